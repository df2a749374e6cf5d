/** Publishing protobuf messages to JetStream. */

import type { MessageType } from "@facetracker/proto";
import type { JetStreamClient, JetStreamPublishOptions, PubAck } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";

export interface PublishMessageOptions {
  /**
   * De-duplication ID, sent as the Nats-Msg-Id header: a second message with the same ID within the
   * stream's duplicate window is not stored again (the PubAck says `duplicate`).
   */
  msgId?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** How long to wait for the stream's acknowledgement, ms (default: the client's, 5000). */
  timeoutMs?: number;
  /**
   * Brings the stream back when no stream takes the subject (a memory stream lost in a server restart),
   * e.g. `() => ensureStreams(jsm)`; the message is then published again, once.
   */
  ensureStream?: () => Promise<unknown>;
}

/**
 * The publish found no stream for its subject: JetStream answers "no responders", which the client
 * reports as JetStreamNotEnabled with the no-responders error as its cause (so the causes are read too).
 */
function isMissingStream(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    const message =
      e instanceof Error ? `${e.message} ${String((e as { code?: unknown }).code ?? "")}` : String(e);
    if (/no responders|503|stream not found/i.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** Encodes `value` with `type` and publishes it to JetStream; resolves with the stream's acknowledgement. */
export async function publishMessage<T>(
  js: JetStreamClient,
  subject: string,
  type: MessageType<T>,
  value: T,
  options: PublishMessageOptions = {},
): Promise<PubAck> {
  const payload = type.encode(value).finish();
  const publishOptions: Partial<JetStreamPublishOptions> = {};
  if (options.msgId !== undefined) publishOptions.msgID = options.msgId;
  if (options.timeoutMs !== undefined) publishOptions.timeout = options.timeoutMs;
  if (options.headers && Object.keys(options.headers).length > 0) {
    const h = natsHeaders();
    for (const [key, headerValue] of Object.entries(options.headers)) h.set(key, headerValue);
    publishOptions.headers = h;
  }
  try {
    return await js.publish(subject, payload, publishOptions);
  } catch (error) {
    if (!options.ensureStream || !isMissingStream(error)) throw error;
    await options.ensureStream();
    return js.publish(subject, payload, publishOptions);
  }
}
