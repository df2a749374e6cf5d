/**
 * What a consumer does with a message it could not handle. A transient failure (see isTransientFailure:
 * no responders, a timeout, the connection down) is tried again: negative acknowledgement with a delay
 * that grows with each delivery (JetStream `nak(delay)`), for as long as the message is younger than
 * `retryForMs`; past that it is given up (terminated and counted, not dead-lettered: it was not bad, only
 * too late). Any other failure is permanent: the message is dead-lettered and terminated. Either way each
 * message is logged once, however many times it comes back.
 */

import { type BackoffOptions, backoffDelayMs } from "@facetracker/infra";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { type DeadLetter, errorText, type FailureStage, publishDeadLetter } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import { isTransientFailure } from "./transient-failure.ts";

/** Delay of the retries of a transient failure: 0.5 s, doubling per delivery, at most 10 s. */
export const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialMs: 500, factor: 2, maxMs: 10_000 };

/** Messages whose failure was logged, remembered per consumer (the oldest forgotten first). */
const REMEMBERED_FAILURES = 1024;

export interface FailureCounters {
  /** Messages sent to the dead-letter subject. */
  deadLettered: number;
  /** Negative acknowledgements with a delay after a transient failure (one per attempt). */
  retried: number;
  /** Messages given up on: still failing transiently when older than retryForMs. */
  expired: number;
}

export interface MessageFailuresOptions {
  js: JetStreamClient;
  /** Durable consumer name; undefined for an ordered consumer (nothing to acknowledge or retry). */
  durable: string | undefined;
  /** The consumer's name for the logs. */
  name: string;
  logger: BusLogger;
  counters: FailureCounters;
  backoff: BackoffOptions;
  /** Retry a transient failure only while the message is younger than this, ms (default: no bound). */
  retryForMs: number | undefined;
  onDeadLetter: ((letter: DeadLetter) => void) | undefined;
  onRetry: (() => void) | undefined;
  onExpired: (() => void) | undefined;
}

/** Handles the failures of one consumer's messages (see the module comment). */
export class MessageFailures {
  readonly #o: MessageFailuresOptions;
  /** Stream sequences of the messages already logged as failing, in the order logged. */
  readonly #logged = new Set<number>();

  constructor(options: MessageFailuresOptions) {
    this.#o = options;
  }

  /** The message could not be decoded (stage "decode"), failed its sanity check ("check") or handled ("handler"). */
  async fail(m: JsMsg, stage: FailureStage, error: unknown): Promise<void> {
    if (stage === "handler" && isTransientFailure(error)) this.#retryLater(m, error);
    else await this.#deadLetter(m, stage, error);
  }

  /** The message was handled: a message that had failed before says so, once. */
  handled(m: JsMsg): void {
    if (!this.#logged.delete(m.seq)) return;
    this.#o.logger.info("message handled after a transient failure", {
      ...this.#fields(m),
      deliveries: m.info.deliveryCount,
    });
  }

  #fields(m: JsMsg) {
    return { subject: m.subject, stream: m.info.stream, seq: m.seq, consumer: this.#o.name };
  }

  /** Logs at `level` unless this message was logged already; true when it logged. */
  #logOnce(m: JsMsg, level: "warn" | "error", msg: string, fields: Record<string, unknown>): boolean {
    if (this.#logged.has(m.seq)) return false;
    this.#logged.add(m.seq);
    if (this.#logged.size > REMEMBERED_FAILURES) {
      this.#logged.delete(this.#logged.values().next().value as number);
    }
    this.#o.logger[level](msg, { ...this.#fields(m), ...fields });
    return true;
  }

  #retryLater(m: JsMsg, error: unknown): void {
    const { durable, retryForMs, counters } = this.#o;
    const text = errorText(error);
    if (!durable) {
      // An ordered consumer's messages are live views: nothing to ask for again, the next one will do.
      this.#logOnce(m, "warn", "transient failure of a live message: skipped", { error: text });
      return;
    }
    const delay = backoffDelayMs(m.info.deliveryCount, this.#o.backoff);
    const ageMs = Date.now() - m.time.getTime();
    if (retryForMs !== undefined && ageMs + delay > retryForMs) {
      this.#o.logger.warn("gave up retrying a message: it would be too old to be of use", {
        ...this.#fields(m),
        error: text,
        ageMs,
        retryForMs,
        deliveries: m.info.deliveryCount,
      });
      this.#logged.delete(m.seq);
      settle(() => m.term());
      counters.expired++;
      this.#o.onExpired?.();
      return;
    }
    this.#logOnce(m, "warn", "transient failure: the message will be tried again (logged once)", {
      error: text,
      retryInMs: delay,
    });
    settle(() => m.nak(delay));
    counters.retried++;
    this.#o.onRetry?.();
  }

  async #deadLetter(m: JsMsg, stage: FailureStage, error: unknown): Promise<void> {
    const { js, durable, counters } = this.#o;
    const letter: DeadLetter = {
      subject: m.subject,
      stream: m.info.stream,
      streamSeq: m.seq,
      consumer: durable ?? "",
      stage,
      error: errorText(error),
      data: m.data,
    };
    const what =
      stage === "decode"
        ? "message does not decode"
        : stage === "check"
          ? "message failed its sanity check"
          : "handler failed";
    try {
      await publishDeadLetter(js, letter);
    } catch (publishError) {
      // Not lost: a durable message comes back after the delay; an ordered one is only logged.
      const delay = backoffDelayMs(m.info.deliveryCount, this.#o.backoff);
      this.#logOnce(m, "error", `${what}; the dead letter could not be published: will try again`, {
        error: letter.error,
        dlqError: errorText(publishError),
        retryInMs: delay,
      });
      if (durable) settle(() => m.nak(delay));
      return;
    }
    // Terminated: it will not come back, and this is its one "dead-lettered" line.
    this.#logged.delete(m.seq);
    this.#o.logger.error(`${what}: dead-lettered`, { ...this.#fields(m), error: letter.error });
    counters.deadLettered++;
    if (durable) settle(() => m.term());
    this.#o.onDeadLetter?.(letter);
  }
}

/**
 * Sends an acknowledgement of some kind; one that cannot be sent (the connection is closed) is left
 * undone: the server delivers the message again after its ack wait.
 */
function settle(send: () => void): void {
  try {
    send();
  } catch {
    // see above
  }
}
