/**
 * The keys of a key-value bucket that hold a value, without the client's `kv.keys()`: that one reads the
 * bucket through an ordered consumer and waits for its last message, which never comes on some servers
 * while keys expire by the bucket's TTL (nats-server issue #3481: 2.9 blocks), hanging its caller (a
 * camera lease round stopped for good). Here: the stream's subjects (one stream-info request), then each
 * key's last entry, kept when it is a value (not a delete or purge marker).
 */

import { type JetStreamClient, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** The JetStream manager of a connection or of a JetStream client. */
export function managerOf(connection: NatsConnection | JetStreamClient): Promise<JetStreamManager> {
  return "jetstreamManager" in connection
    ? connection.jetstreamManager()
    : jetstreamManager(connection as NatsConnection);
}

/** The keys under `prefix` (e.g. "track.", "" for all) that hold a value now, sorted. */
export async function liveKeys(
  jsm: JetStreamManager,
  kv: KV,
  bucket: string,
  prefix = "",
): Promise<string[]> {
  const subjectPrefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${subjectPrefix}${prefix}>` });
  const keys = Object.keys(info.state.subjects ?? {})
    .map((subject) => subject.slice(subjectPrefix.length))
    .sort();
  const live: string[] = [];
  for (const key of keys) {
    const entry = await kv.get(key);
    if (entry?.operation === "PUT") live.push(key);
  }
  return live;
}
