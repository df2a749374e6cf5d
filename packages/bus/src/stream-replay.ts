/**
 * Reading a stream back: the messages of one subject between two stream sequences, e.g. the messages a
 * durable consumer acknowledged after a service last saved its state, to bring that state up to date
 * after a crash. Messages are fetched one by one by sequence (STREAM.MSG.GET with next_by_subj): no
 * consumer is created, nothing is acknowledged.
 */

import type { MessageType } from "@facetracker/proto";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type MsgRequest,
} from "@nats-io/jetstream";

/**
 * The stream sequence up to which the durable consumer has acknowledged every message it was given
 * (its ack floor); 0 when the consumer does not exist (yet).
 */
export async function consumerAckFloor(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<number> {
  try {
    const info = await jsm.consumers.info(stream, durable);
    return info.ack_floor.stream_seq;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return 0;
    throw error;
  }
}

export interface ReplayStreamOptions<T> {
  jsm: JetStreamManager;
  stream: string;
  /** Exact subject (or a subject filter) of the messages to read. */
  subject: string;
  /** Read messages after this stream sequence… */
  afterSeq: number;
  /** …up to and including this one. */
  upToSeq: number;
  type: MessageType<T>;
  /** Called for each message in stream order; a message that does not decode is given to onUndecodable. */
  handler: (value: T, info: { subject: string; streamSeq: number }) => void | Promise<void>;
  onUndecodable?: (info: { subject: string; streamSeq: number; error: unknown }) => void;
}

/**
 * Gives the handler every message of `subject` with afterSeq < stream sequence ≤ upToSeq still in the
 * stream (older ones may have aged out), in order; returns how many it was given.
 */
export async function replayStream<T>(options: ReplayStreamOptions<T>): Promise<number> {
  const { jsm, stream, subject, upToSeq } = options;
  let next = options.afterSeq + 1;
  let handled = 0;
  while (next <= upToSeq) {
    // next_by_subj: the first message of the subject at or after `seq` (not in MsgRequest's type).
    const query = { seq: next, next_by_subj: subject } as unknown as MsgRequest;
    const stored = await jsm.streams.getMessage(stream, query);
    if (!stored || stored.seq > upToSeq) break;
    const info = { subject: stored.subject, streamSeq: stored.seq };
    let value: T | undefined;
    try {
      value = options.type.decode(stored.data);
    } catch (error) {
      options.onUndecodable?.({ ...info, error });
    }
    if (value !== undefined) {
      await options.handler(value, info);
      handled++;
    }
    next = stored.seq + 1;
  }
  return handled;
}
