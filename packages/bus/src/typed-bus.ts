/**
 * The typed bus: what services use to talk over the bus. Each message kind is bound to its subject
 * (`ft.<kind>.<camera>`), stream, protobuf type, metrics hooks and dead-lettering in one place, so a
 * service names a kind and gets values of its type, never a subject, stream name or codec:
 *
 *   const bus = typedBus(connection, { logger, onPublished, onConsumed, onDeadLettered });
 *   await bus.publish("frames", frame, { msgId });
 *   await bus.consume("detections", { durable: "track", handler: (d) => … });
 *   bus.galleryChanged.subscribe((change) => …);
 *   await bus.embed.request(request, timeoutMs);
 *
 * Streams lost in a server restart (memory storage) are brought back on publish and on consume.
 */

import type { PubAck } from "@nats-io/jetstream";
import { type EmbedRequests, embedRequests, type GalleryChanges, galleryChanges } from "./bus-channels.ts";
import { type PublishMessageOptions, publishMessage } from "./codec.ts";
import type { Bus } from "./connection.ts";
import { type ConsumeMessagesOptions, consumeMessages, type MessageConsumer } from "./consumer.ts";
import type { DeadLetter } from "./dead-letter.ts";
import { type BusLogger, stderrLogger } from "./logger.ts";
import { MESSAGE_CHECKS, type MessageCheck } from "./message-checks.ts";
import { MESSAGE_TYPES, type MessageKind, type MessageKinds, streamOf } from "./message-kinds.ts";
import { consumerAckFloor, replayStream } from "./stream-replay.ts";
import { type EnsuredStream, ensureStreams } from "./streams.ts";
import { SUBJECT_PREFIX, subject } from "./subjects.ts";

/** What the counting hooks name: a per-camera kind, or "embed" for the embed requests served. */
export type BusKind = MessageKind | "embed";

export interface TypedBusOptions {
  /** Where consumers and request servers log (default: stderr). */
  logger?: BusLogger;
  /** After each message published to a stream, and each embed reply sent. */
  onPublished?: (kind: BusKind) => void;
  /** After each message taken from a stream decoded (before its handler), and each embed request served. */
  onConsumed?: (kind: BusKind) => void;
  /** After a message that did not decode, or whose handler failed permanently, was dead-lettered. */
  onDeadLettered?: (kind: MessageKind, letter: DeadLetter) => void;
  /** After a message whose handler failed transiently was handed back to be tried again (each attempt). */
  onRetried?: (kind: MessageKind) => void;
  /** After a message still failing transiently was given up on, too old to be of use (retryForMs). */
  onExpired?: (kind: MessageKind) => void;
}

/** Publish options: de-duplication ID, headers, acknowledgement timeout. */
export type PublishOptions = Omit<PublishMessageOptions, "ensureStream">;

export interface ConsumeOptions<K extends MessageKind>
  extends Pick<
    ConsumeMessagesOptions<MessageKinds[K]>,
    | "durable"
    | "handler"
    | "maxAckPending"
    | "ackWaitMs"
    | "deliverPolicy"
    | "startSeq"
    | "startTime"
    | "concurrency"
    | "logger"
    | "retryBackoff"
    | "retryForMs"
  > {
  /** Only this camera's messages (default: every camera's). */
  camera?: string;
}

export interface ReplayOptions<K extends MessageKind> {
  /** Messages after this stream sequence… */
  afterSeq: number;
  /** …up to and including this one. */
  upToSeq: number;
  handler: (value: MessageKinds[K], info: { subject: string; streamSeq: number }) => void | Promise<void>;
}

/** Where a kind's stream stands. */
export interface StreamState {
  /** When the stream was created (a memory stream is re-created, numbering afresh, after a restart). */
  created: string;
  messages: number;
  firstSeq: number;
  lastSeq: number;
}

export interface TypedBus {
  /** The connection underneath (for KV buckets such as the camera registry). */
  readonly connection: Bus;
  /** Publishes `value` on `ft.<kind>.<value.camera>`; resolves with the stream's acknowledgement. */
  publish<K extends MessageKind>(kind: K, value: MessageKinds[K], options?: PublishOptions): Promise<PubAck>;
  /** Consumes the kind's messages (one camera's or every camera's); see consumeMessages. */
  consume<K extends MessageKind>(kind: K, options: ConsumeOptions<K>): Promise<MessageConsumer>;
  /**
   * Reads back one camera's messages (undefined: every camera's) between two stream sequences (see
   * replayStream); returns how many.
   */
  replay<K extends MessageKind>(
    kind: K,
    camera: string | undefined,
    options: ReplayOptions<K>,
  ): Promise<number>;
  /** The kind's message stored at stream sequence `seq`; undefined when none, another kind's, or undecodable. */
  messageAt<K extends MessageKind>(
    kind: K,
    seq: number,
  ): Promise<{ value: MessageKinds[K]; subject: string } | undefined>;
  /** The stream sequence up to which the durable consumer acknowledged everything (0: no such consumer). */
  ackFloor(kind: MessageKind, durable: string): Promise<number>;
  /**
   * Messages the durable consumer has not been given yet (pending) and not acknowledged yet (ackPending).
   * A name ending in `*` sums every durable whose name starts with what precedes it (`track_*`: the
   * track service's per-camera consumers).
   */
  backlog(kind: MessageKind, durable: string): Promise<{ pending: number; ackPending: number }>;
  /** Where the kind's stream stands (creating the streams when it is missing). */
  streamState(kind: MessageKind): Promise<StreamState>;
  /** Creates or updates every stream of the pipeline (idempotent). */
  ensureStreams(): Promise<EnsuredStream[]>;
  /** The gallery-changed broadcast. */
  readonly galleryChanged: GalleryChanges;
  /** The embed workers' request/reply. */
  readonly embed: EmbedRequests;
}

/**
 * Every camera's subjects of a kind, `ft.<kind>.>` (the filter the durable consumers were created with;
 * a filter that differs would update them).
 */
const everyCamera = (kind: MessageKind) => `${SUBJECT_PREFIX}.${kind}.>`;

/** The typed bus over a connection. */
export function typedBus(connection: Bus, options: TypedBusOptions = {}): TypedBus {
  const logger = options.logger ?? stderrLogger;
  const { onPublished, onConsumed, onDeadLettered, onRetried, onExpired } = options;
  const ensure = () => ensureStreams(connection.jsm);

  return {
    connection,

    async publish(kind, value, publishOptions = {}) {
      const camera = (value as { camera: string }).camera;
      const ack = await publishMessage(connection.js, subject(kind, camera), MESSAGE_TYPES[kind], value, {
        ...publishOptions,
        ensureStream: ensure,
      });
      onPublished?.(kind);
      return ack;
    },

    consume(kind, { camera, handler, ...rest }) {
      return consumeMessages({
        logger,
        ...rest,
        js: connection.js,
        stream: streamOf(kind),
        filterSubject: camera === undefined ? everyCamera(kind) : subject(kind, camera),
        type: MESSAGE_TYPES[kind],
        check: MESSAGE_CHECKS[kind] as MessageCheck<MessageKinds[typeof kind]> | undefined,
        ensureStream: ensure,
        onDeadLetter: (letter) => onDeadLettered?.(kind, letter),
        onRetry: () => onRetried?.(kind),
        onExpired: () => onExpired?.(kind),
        handler: (value, info) => {
          onConsumed?.(kind);
          return handler(value, info);
        },
      });
    },

    replay(kind, camera, { afterSeq, upToSeq, handler }) {
      return replayStream({
        jsm: connection.jsm,
        stream: streamOf(kind),
        subject: camera === undefined ? everyCamera(kind) : subject(kind, camera),
        afterSeq,
        upToSeq,
        type: MESSAGE_TYPES[kind],
        handler,
      });
    },

    async messageAt(kind, seq) {
      try {
        const stored = await connection.jsm.streams.getMessage(streamOf(kind), { seq });
        if (!stored?.subject.startsWith(`${SUBJECT_PREFIX}.${kind}.`)) return undefined;
        return {
          value: MESSAGE_TYPES[kind].decode(stored.data) as MessageKinds[typeof kind],
          subject: stored.subject,
        };
      } catch {
        return undefined;
      }
    },

    ackFloor: (kind, durable) => consumerAckFloor(connection.jsm, streamOf(kind), durable),

    async backlog(kind, durable) {
      if (durable.endsWith("*")) {
        const prefix = durable.slice(0, -1);
        const sum = { pending: 0, ackPending: 0 };
        for await (const info of connection.jsm.consumers.list(streamOf(kind))) {
          if (!info.name.startsWith(prefix)) continue;
          sum.pending += info.num_pending;
          sum.ackPending += info.num_ack_pending;
        }
        return sum;
      }
      const info = await connection.jsm.consumers.info(streamOf(kind), durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    },

    async streamState(kind) {
      const stream = streamOf(kind);
      let info: Awaited<ReturnType<typeof connection.jsm.streams.info>>;
      try {
        info = await connection.jsm.streams.info(stream);
      } catch {
        await ensure();
        info = await connection.jsm.streams.info(stream);
      }
      const { state } = info;
      return {
        created: info.created,
        messages: state.messages,
        firstSeq: state.first_seq,
        lastSeq: state.last_seq,
      };
    },

    ensureStreams: ensure,
    galleryChanged: galleryChanges(connection.nc, { logger }),
    embed: embedRequests(connection.nc, { logger, onConsumed, onPublished }),
  };
}
