/**
 * consumeMessages: a typed JetStream pull consumer. Each message is decoded with the generated type and
 * given to the handler, one at a time (or up to `concurrency` at once), in stream order. A handler that
 * returns acknowledges the message. A handler that fails transiently (no responders, a timeout, the
 * connection down, RetryLaterError) gets the message again later (negative acknowledgement with a growing
 * delay, see message-failures.ts); a message that does not decode, or whose handler fails otherwise, is
 * logged, republished to ft.dlq.<kind> and terminated, so one bad message never blocks the stream nor
 * crashes the service. Each failing message is logged once. When the stream or the consumer disappears
 * (a memory stream after a server restart), the consumer is re-created.
 */

import type { BackoffOptions } from "@facetracker/infra";
import type { MessageType } from "@facetracker/proto";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { ClosedConnectionError, type MsgHdrs } from "@nats-io/transport-node";
import {
  type ConsumerSetup,
  ensureDurable,
  orderedConsumer,
  resumeAfter,
  type StartPolicy,
  streamCreated,
} from "./consumer-setup.ts";
import { type DeadLetter, errorText } from "./dead-letter.ts";
import { type BusLogger, stderrLogger } from "./logger.ts";
import { InsaneMessageError, type MessageCheck } from "./message-checks.ts";
import { DEFAULT_RETRY_BACKOFF, MessageFailures } from "./message-failures.ts";

export type { StartPolicy } from "./consumer-setup.ts";

export interface ConsumeCounters {
  /** Messages taken from the stream. */
  received: number;
  /** Messages whose handler returned (acknowledged). */
  processed: number;
  /** Messages sent to the dead-letter subject. */
  deadLettered: number;
  /** Times the consumer was re-created after its stream or consumer disappeared. */
  recreated: number;
  /** Negative acknowledgements with a delay after a transient failure (one per attempt). */
  retried: number;
  /** Messages given up on: still failing transiently when older than retryForMs. */
  expired: number;
}

/** Where a message came from, for the handler. */
export interface MessageInfo {
  subject: string;
  stream: string;
  /** Sequence of the message in its stream. */
  streamSeq: number;
  /** How many times it has been delivered (1 the first time). */
  deliveryCount: number;
  headers: MsgHdrs | undefined;
}

export interface ConsumeMessagesOptions<T> {
  js: JetStreamClient;
  stream: string;
  /**
   * Durable consumer name: the server remembers its position across restarts and messages must be
   * acknowledged. Without it, an ephemeral ordered consumer (nothing to acknowledge; for live views).
   */
  durable?: string;
  /** Subject filter within the stream, e.g. ft.detections.* or ft.detections.cam1. */
  filterSubject: string;
  type: MessageType<T>;
  handler: (value: T, info: MessageInfo) => void | Promise<void>;
  /**
   * Sanity check of each decoded message before its handler: a message it refuses (returns a reason) is
   * dead-lettered with that reason (stage "check") and terminated by a durable consumer, skipped (and
   * logged) by an ordered one. Default: none.
   */
  check?: MessageCheck<T>;
  /** Messages delivered but not yet acknowledged, at most (durable; default 256). */
  maxAckPending?: number;
  /** Time after which an unacknowledged message is delivered again, ms (durable; default 30000). */
  ackWaitMs?: number;
  /**
   * Where a new consumer starts (default "all"; an existing durable keeps its position). Ignored when
   * startSeq or startTime is given.
   */
  deliverPolicy?: StartPolicy;
  /** Start at this stream sequence (a new consumer only). */
  startSeq?: number;
  /** Start at the first message stored at or after this time (a new consumer only; ignored with startSeq). */
  startTime?: Date;
  /**
   * Called before the consumer is re-created when its stream or consumer disappeared, to bring the
   * stream back, e.g. `() => ensureStreams(jsm)`. Without it, re-creation waits for someone else to.
   */
  ensureStream?: () => Promise<unknown>;
  logger?: BusLogger;
  /** Called after a message was dead-lettered. */
  onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * Delays between the attempts of a message whose handler failed transiently (durable; default 0.5 s
   * doubling per delivery up to 10 s).
   */
  retryBackoff?: BackoffOptions;
  /**
   * A message that fails transiently is tried again while it is younger than this (time since it was
   * stored), ms; past that it is terminated and counted as expired (default: for as long as the stream
   * keeps it). Set it to how long the message stays of use.
   */
  retryForMs?: number;
  /** Called after each negative acknowledgement of a transient failure. */
  onRetry?: () => void;
  /** Called after a message was given up on (too old to retry). */
  onExpired?: () => void;
  /**
   * Handlers run at once, at most (default 1: one at a time). Messages still start in stream order; a
   * handler that must publish in order waits for its predecessor (see OrderedSteps). Keep maxAckPending
   * above it.
   */
  concurrency?: number;
}

export interface MessageConsumer {
  /** Live counters (read them any time). */
  readonly counters: Readonly<ConsumeCounters>;
  /** The durable name, or "ordered consumer of <stream>". */
  readonly name: string;
  /** Stops pulling; resolves once the message in hand (if any) is finished. */
  stop(): Promise<void>;
  /** Resolves when consumption has ended (after stop(), or when the connection closed). */
  readonly done: Promise<void>;
}

const DEFAULT_MAX_ACK_PENDING = 256;
const DEFAULT_ACK_WAIT_MS = 30_000;
const MAX_RETRY_DELAY_MS = 10_000;

function isMissingResource(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /stream not found|consumer not found|consumer deleted/i.test(message);
}

/** Starts consuming; resolves once the consumer exists on the server. */
export async function consumeMessages<T>(options: ConsumeMessagesOptions<T>): Promise<MessageConsumer> {
  const logger = options.logger ?? stderrLogger;
  const durable = options.durable;
  const name = durable ?? `ordered consumer of ${options.stream}`;
  const setup: ConsumerSetup = {
    js: options.js,
    stream: options.stream,
    filterSubject: options.filterSubject,
    maxAckPending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
    ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    deliverPolicy: options.deliverPolicy,
    startSeq: options.startSeq,
    startTime: options.startTime,
  };
  const counters: ConsumeCounters = {
    received: 0,
    processed: 0,
    deadLettered: 0,
    recreated: 0,
    retried: 0,
    expired: 0,
  };
  const failures = new MessageFailures({
    js: options.js,
    durable,
    name,
    logger,
    counters,
    backoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
    retryForMs: options.retryForMs,
    onDeadLetter: options.onDeadLetter,
    onRetry: options.onRetry,
    onExpired: options.onExpired,
  });
  let lastSeq = 0;
  let stopped = false;
  let wakeUp: () => void = () => {};

  /** When the stream this consumer reads was created (a re-created stream is read from its start). */
  let created: string | undefined;

  async function open(from: Partial<ConsumerSetup> = {}): Promise<ConsumerMessages> {
    const s = { ...setup, ...from };
    created = await streamCreated(options.js, options.stream);
    const consumer = durable ? await ensureDurable(s, durable) : await orderedConsumer(s);
    return consumer.consume({
      max_messages: Math.min(setup.maxAckPending, 256),
      abort_on_missing_resource: true,
    });
  }

  async function handle(m: JsMsg): Promise<void> {
    counters.received++;
    lastSeq = m.seq;
    let value: T;
    try {
      value = options.type.decode(m.data);
    } catch (error) {
      await failures.fail(m, "decode", error);
      return;
    }
    const insane = options.check?.(value, m.subject, Date.now());
    if (insane !== undefined) {
      // The durable consumer of the stage it was meant for dead-letters it; a live view only skips it.
      if (durable) await failures.fail(m, "check", new InsaneMessageError(insane));
      else logger.warn("message failed its sanity check: skipped", { ...where(m), error: insane });
      return;
    }
    // A long handler keeps its message: tell the server work is in progress every half ack wait.
    const keepAlive = durable
      ? setInterval(() => m.working(), Math.max(setup.ackWaitMs / 2, 100))
      : undefined;
    try {
      await options.handler(value, {
        subject: m.subject,
        stream: m.info.stream,
        streamSeq: m.seq,
        deliveryCount: m.info.deliveryCount,
        headers: m.headers,
      });
    } catch (error) {
      await failures.fail(m, "handler", error);
      return;
    } finally {
      clearInterval(keepAlive);
    }
    if (durable) m.ack();
    counters.processed++;
    failures.handled(m);
  }

  const where = (m: JsMsg) => ({ stream: options.stream, consumer: name, subject: m.subject, seq: m.seq });

  /** Re-creates the consumer after its stream or consumer vanished, retrying with backoff until stopped. */
  async function reopen(): Promise<ConsumerMessages | undefined> {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await options.ensureStream?.();
        const opened = await open(await resumeAfter(options.js, options.stream, lastSeq, created));
        counters.recreated++;
        logger.info("consumer re-created", { stream: options.stream, consumer: name, afterSeq: lastSeq });
        return opened;
      } catch (error) {
        if (error instanceof ClosedConnectionError) return undefined;
        const delay = Math.min(250 * 2 ** attempt, MAX_RETRY_DELAY_MS);
        logger.warn("cannot re-create the consumer yet", {
          stream: options.stream,
          consumer: name,
          error: errorText(error),
          retryInMs: delay,
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return undefined;
  }

  let messages: ConsumerMessages | undefined = await open();

  const done = (async () => {
    while (messages && !stopped) {
      try {
        const concurrency = Math.max(1, options.concurrency ?? 1);
        const inFlight = new Set<Promise<void>>();
        try {
          for await (const m of messages) {
            if (concurrency === 1) {
              await handle(m);
              continue;
            }
            const running: Promise<void> = handle(m).finally(() => inFlight.delete(running));
            inFlight.add(running);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
          }
        } finally {
          await Promise.all(inFlight);
        }
        return; // closed: by stop(), or with the connection
      } catch (error) {
        if (stopped) return;
        if (!isMissingResource(error)) {
          logger.error("consumer stopped on an error", {
            stream: options.stream,
            consumer: name,
            error: errorText(error),
          });
          return;
        }
        logger.warn("stream or consumer disappeared; re-creating the consumer", {
          stream: options.stream,
          consumer: name,
          error: errorText(error),
        });
      }
      messages = await reopen();
      if (stopped) await messages?.close(); // stop() came while re-creating
    }
  })();

  return {
    counters,
    name,
    async stop() {
      stopped = true;
      wakeUp();
      await messages?.close();
      await done;
    },
    done,
  };
}
