/**
 * Typed request/reply over core NATS with queue groups (the embed workers): every server in the same
 * queue group receives a share of the requests, so adding workers adds throughput. A request that does
 * not decode, or whose handler throws, is answered with an empty body and an Ft-Error header;
 * requestMessage turns that into a RemoteError.
 */

import type { MessageType } from "@facetracker/proto";
import {
  type Msg,
  type NatsConnection,
  NoRespondersError,
  headers as natsHeaders,
  RequestError,
  TimeoutError,
} from "@nats-io/transport-node";
import { errorText } from "./dead-letter.ts";
import { type BusLogger, stderrLogger } from "./logger.ts";

/** Header of an error reply. */
export const REPLY_ERROR_HEADER = "Ft-Error";

/** The server answered the request with an error. */
export class RemoteError extends Error {
  override name = "RemoteError";
}

/** The request got no answer: nobody listening, or no reply in time. */
export class RequestFailedError extends Error {
  override name = "RequestFailedError";
  readonly reason: "no-responders" | "timeout" | "other";
  constructor(message: string, reason: "no-responders" | "timeout" | "other", options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

export interface RequestServerCounters {
  received: number;
  replied: number;
  failed: number;
}

export interface RequestServer {
  readonly counters: Readonly<RequestServerCounters>;
  /** Stops taking requests, finishes those already received, then resolves. */
  stop(): Promise<void>;
  /** Resolves when the subscription has ended. */
  readonly done: Promise<void>;
}

export interface ServeRequestsOptions {
  logger?: BusLogger;
  /**
   * Requests handled at once, at most (default 1). More lets a handler gather the requests that wait
   * into one batch (the embed workers do).
   */
  concurrency?: number;
}

/**
 * Answers requests on `subject` as a member of `queue`, one at a time unless `concurrency` says more
 * (run more workers for more throughput).
 */
export function serveRequests<Req, Rep>(
  nc: NatsConnection,
  subject: string,
  queue: string,
  requestType: MessageType<Req>,
  replyType: MessageType<Rep>,
  handler: (request: Req, message: Msg) => Rep | Promise<Rep>,
  options: ServeRequestsOptions = {},
): RequestServer {
  const logger = options.logger ?? stderrLogger;
  const counters: RequestServerCounters = { received: 0, replied: 0, failed: 0 };
  const subscription = nc.subscribe(subject, { queue });

  function replyError(m: Msg, error: unknown, what: string): void {
    counters.failed++;
    const text = errorText(error);
    logger.error(what, { subject, queue, error: text });
    const h = natsHeaders();
    h.set(REPLY_ERROR_HEADER, text);
    m.respond(new Uint8Array(0), { headers: h });
  }

  async function handle(m: Msg): Promise<void> {
    counters.received++;
    if (!m.reply) {
      counters.failed++;
      logger.warn("request without a reply subject ignored", { subject });
      return;
    }
    let request: Req;
    try {
      request = requestType.decode(m.data);
    } catch (error) {
      replyError(m, error, "request does not decode");
      return;
    }
    let reply: Uint8Array;
    try {
      reply = replyType.encode(await handler(request, m)).finish();
    } catch (error) {
      replyError(m, error, "request handler failed");
      return;
    }
    m.respond(reply);
    counters.replied++;
  }

  const concurrency = Math.max(1, options.concurrency ?? 1);
  const done = (async () => {
    const inFlight = new Set<Promise<void>>();
    for await (const m of subscription) {
      const running: Promise<void> = handle(m).finally(() => inFlight.delete(running));
      inFlight.add(running);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  return {
    counters,
    async stop() {
      await subscription.drain();
      await done;
    },
    done,
  };
}

/** Sends one request and decodes the reply; throws RemoteError or RequestFailedError saying why. */
export async function requestMessage<Req, Rep>(
  nc: NatsConnection,
  subject: string,
  requestType: MessageType<Req>,
  replyType: MessageType<Rep>,
  value: Req,
  timeoutMs: number,
): Promise<Rep> {
  let reply: Msg;
  try {
    reply = await nc.request(subject, requestType.encode(value).finish(), { timeout: timeoutMs });
  } catch (error) {
    const noResponders =
      error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
    if (noResponders) {
      throw new RequestFailedError(
        `no server answers requests on ${subject} (none running?)`,
        "no-responders",
        {
          cause: error,
        },
      );
    }
    if (error instanceof TimeoutError || (error instanceof Error && error.cause instanceof TimeoutError)) {
      throw new RequestFailedError(`request on ${subject} got no reply within ${timeoutMs} ms`, "timeout", {
        cause: error,
      });
    }
    throw new RequestFailedError(`request on ${subject} failed: ${errorText(error)}`, "other", {
      cause: error,
    });
  }
  const remoteError = reply.headers?.get(REPLY_ERROR_HEADER);
  if (remoteError) throw new RemoteError(`${subject}: ${remoteError}`);
  try {
    return replyType.decode(reply.data);
  } catch (error) {
    throw new RemoteError(`${subject}: the reply does not decode (${errorText(error)})`, { cause: error });
  }
}
