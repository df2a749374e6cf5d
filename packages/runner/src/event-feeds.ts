/**
 * The pipeline's events as async iterators: track events, alerts, their "seen again" updates, clip events
 * and alert deliveries, each
 * from the moment the pipeline started. The last sequence of each stream is noted at start, and each
 * iterator opens an ordered consumer (nothing stored on the server) at the next one, so an iterator opened
 * late misses nothing. Messages are queued as they come (an opened iterator that is not read keeps them);
 * breaking out of a for-await stops its consumer; close() ends every iterator once it has everything the
 * stream held by then.
 */

import {
  allCamerasSubject,
  type MessageConsumer,
  type MessageKinds,
  streamOf,
  type TypedBus,
} from "@facetracker/bus";

/** The kinds a pipeline's handle gives as iterators. */
export type FeedKind = "tracks" | "alerts" | "alert_updates" | "clips" | "deliveries";
const FEED_KINDS: readonly FeedKind[] = ["tracks", "alerts", "alert_updates", "clips", "deliveries"];

/** How long close() waits for an iterator to receive what its stream already holds. */
const CATCH_UP_MS = 3000;

export interface EventFeeds {
  /** The kind's messages (every camera's) published since the feeds were opened. */
  follow<K extends FeedKind>(kind: K): AsyncGenerator<MessageKinds[K], void, undefined>;
  /** Ends every iterator (after it caught up with its stream, bounded in time); idempotent. */
  close(): Promise<void>;
}

interface OpenFeed {
  kind: FeedKind;
  /** Its consumer, once created on the server. */
  consumer: Promise<MessageConsumer | undefined>;
  /** Stream sequence of the last message received. */
  lastSeq: () => number;
}

/** Notes where each stream stands now; iterators start there. */
export async function openEventFeeds(bus: TypedBus): Promise<EventFeeds> {
  const startSeq = {} as Record<FeedKind, number>;
  for (const kind of FEED_KINDS) startSeq[kind] = (await bus.streamState(kind)).lastSeq + 1;
  const open = new Set<OpenFeed>();
  let closing: Promise<void> | undefined;

  /** The stream sequence of the kind's last message (0: none). */
  async function lastSeqOf(kind: FeedKind): Promise<number> {
    const stream = streamOf(kind);
    const { jsm } = bus.connection;
    const info = await jsm.streams.info(stream, { subjects_filter: allCamerasSubject(kind) });
    let last = 0;
    for (const name of Object.keys(info.state.subjects ?? {})) {
      const message = await jsm.streams.getMessage(stream, { last_by_subj: name });
      if (message) last = Math.max(last, message.seq);
    }
    return last;
  }

  async function catchUp(feed: OpenFeed): Promise<void> {
    const deadline = Date.now() + CATCH_UP_MS;
    const target = await lastSeqOf(feed.kind).catch(() => 0);
    if (target < startSeq[feed.kind]) return; // nothing of its kind since the start
    while (feed.lastSeq() < target && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function* follow<K extends FeedKind>(kind: K): AsyncGenerator<MessageKinds[K], void, undefined> {
    if (closing) return;
    const queue: MessageKinds[K][] = [];
    let lastSeq = 0;
    let ended = false;
    let wake: (() => void) | undefined;
    const opening = bus.consume(kind, {
      startSeq: startSeq[kind],
      handler: (value, info) => {
        queue.push(value);
        lastSeq = info.streamSeq;
        wake?.();
      },
    });
    // Known to close() from now on, so that it waits for this consumer too.
    const feed: OpenFeed = { kind, consumer: opening.catch(() => undefined), lastSeq: () => lastSeq };
    open.add(feed);
    let consumer: MessageConsumer;
    try {
      consumer = await opening;
    } catch (error) {
      open.delete(feed);
      throw error;
    }
    void consumer.done.then(() => {
      ended = true;
      wake?.();
    });
    try {
      for (;;) {
        const value = queue.shift();
        if (value !== undefined) {
          yield value;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      open.delete(feed);
      await consumer.stop();
    }
  }

  return {
    follow,
    close() {
      closing ??= (async () => {
        await Promise.all(
          [...open].map(async (feed) => {
            const consumer = await feed.consumer;
            if (!consumer) return;
            await catchUp(feed);
            await consumer.stop();
          }),
        );
      })();
      return closing;
    },
  };
}
