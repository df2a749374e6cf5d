/** Creating the JetStream consumers behind consumeMessages: a durable pull consumer, or an ordered one. */

import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
} from "@nats-io/jetstream";

export type StartPolicy = "all" | "new" | "last" | "last_per_subject";

export interface ConsumerSetup {
  js: JetStreamClient;
  stream: string;
  filterSubject: string;
  maxAckPending: number;
  ackWaitMs: number;
  deliverPolicy?: StartPolicy | undefined;
  startSeq?: number | undefined;
  startTime?: Date | undefined;
}

const NANOS_PER_MS = 1_000_000;

/** deliver_policy (and opt_start_seq or opt_start_time) of a new consumer. */
export function startConfig(
  setup: Pick<ConsumerSetup, "deliverPolicy" | "startSeq" | "startTime">,
): Partial<ConsumerConfig> {
  if (setup.startSeq !== undefined) {
    if (!Number.isSafeInteger(setup.startSeq) || setup.startSeq < 1) {
      throw new Error(`consumeMessages: startSeq must be a positive integer, not ${setup.startSeq}`);
    }
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: setup.startSeq };
  }
  if (setup.startTime !== undefined) {
    if (!Number.isFinite(setup.startTime.getTime())) {
      throw new Error("consumeMessages: startTime is not a valid date");
    }
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: setup.startTime.toISOString() };
  }
  const policies: Record<StartPolicy, DeliverPolicy> = {
    all: DeliverPolicy.All,
    new: DeliverPolicy.New,
    last: DeliverPolicy.Last,
    last_per_subject: DeliverPolicy.LastPerSubject,
  };
  const policy = policies[setup.deliverPolicy ?? "all"];
  if (policy === undefined) throw new Error(`consumeMessages: unknown deliverPolicy ${setup.deliverPolicy}`);
  return { deliver_policy: policy };
}

/**
 * Creates the durable consumer with explicit acknowledgement, or updates the settings that may change on
 * an existing one (filter, max ack pending, ack wait; an existing durable keeps its position).
 */
export async function ensureDurable(setup: ConsumerSetup, durable: string): Promise<Consumer> {
  const jsm = await setup.js.jetstreamManager();
  const settings = {
    filter_subject: setup.filterSubject,
    max_ack_pending: setup.maxAckPending,
    ack_wait: setup.ackWaitMs * NANOS_PER_MS,
  };
  try {
    const { config } = await jsm.consumers.info(setup.stream, durable);
    if (
      config.filter_subject !== settings.filter_subject ||
      config.max_ack_pending !== settings.max_ack_pending ||
      config.ack_wait !== settings.ack_wait
    ) {
      await jsm.consumers.update(setup.stream, durable, settings);
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound))
      throw error;
    await jsm.consumers.add(setup.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ...startConfig(setup),
      ...settings,
    });
  }
  return setup.js.consumers.get(setup.stream, durable);
}

/** An ephemeral ordered consumer (the client recreates it on gaps; nothing to acknowledge). */
export function orderedConsumer(setup: ConsumerSetup): Promise<Consumer> {
  return setup.js.consumers.get(setup.stream, {
    filter_subjects: setup.filterSubject,
    ...startConfig(setup),
  });
}

/** When the stream was created (it changes when a memory stream is re-created after a server restart). */
export async function streamCreated(js: JetStreamClient, stream: string): Promise<string> {
  const jsm = await js.jetstreamManager();
  return (await jsm.streams.info(stream)).created;
}

/**
 * Where a re-created consumer resumes after the last message it handled: its beginning when the stream is
 * not the one the consumer read (created at another time than `createdBefore`: a memory stream re-created
 * after a server restart, holding only messages published since, such as the frames ingest kept through
 * the outage), else the next sequence when the stream still holds it, else its beginning.
 */
export async function resumeAfter(
  js: JetStreamClient,
  stream: string,
  lastSeq: number,
  createdBefore?: string,
): Promise<Pick<ConsumerSetup, "deliverPolicy" | "startSeq">> {
  const jsm = await js.jetstreamManager();
  const { state, created } = await jsm.streams.info(stream);
  if (createdBefore !== undefined && created !== createdBefore) return { deliverPolicy: "all" };
  if (lastSeq === 0) return {};
  return state.last_seq >= lastSeq ? { startSeq: lastSeq + 1 } : { deliverPolicy: "all" };
}
