/**
 * Transient and permanent failures of a message's handling. A transient failure may succeed if the same
 * message is tried again later: nobody answered a request (no responders, no reply in time), a publish or
 * request timed out, the connection is down or draining, or the handler said so by throwing
 * RetryLaterError. Any other failure (a message that does not decode, a handler that rejects the message,
 * a worker that answered with an error) is permanent: trying the message again would fail again.
 */

import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from "@nats-io/transport-node";
import { RequestFailedError } from "./request-reply.ts";

/** Thrown by a handler whose message should be tried again later (what it needs is not available now). */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
}

/** How deep a chain of causes is followed. */
const MAX_CAUSES = 8;

/** Whether `error` (or one of its causes) is a failure that may succeed when the message is tried again. */
export function isTransientFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth++) {
    if (
      current instanceof RetryLaterError ||
      current instanceof RequestFailedError ||
      current instanceof NoRespondersError ||
      current instanceof TimeoutError ||
      current instanceof ConnectionError ||
      current instanceof DrainingConnectionError ||
      current instanceof ClosedConnectionError ||
      (current instanceof RequestError && current.isNoResponders())
    ) {
      return true;
    }
    current = current.cause;
  }
  return false;
}
