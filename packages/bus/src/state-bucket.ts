/**
 * A key-value bucket of JSON values (file storage, only the latest value kept per key): where a service
 * keeps state it must find again after a restart, e.g. the track service's per-camera tracking state.
 */

import { type JetStreamClient, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { liveKeys, managerOf } from "./kv-keys.ts";
import { raiseBucketReplicas, stateReplicas } from "./replicas.ts";

export interface StateBucketOptions {
  description?: string;
  /** Copies kept in a cluster (default: one per server of the cluster, at most 3; see replicas.ts). */
  replicas?: number;
  /** Keys older than this are removed by the server, ms (default: kept). */
  ttlMs?: number;
}

export interface StateBucket {
  readonly name: string;
  /** Stores `value` as JSON under `key` (replacing the previous value); returns the revision. */
  put(key: string, value: unknown): Promise<number>;
  /** The value under `key`, parsed; undefined when none (or deleted). Throws when it is not JSON. */
  get(key: string): Promise<unknown>;
  /** Every key that holds a value, sorted. */
  keys(): Promise<string[]>;
  delete(key: string): Promise<void>;
  /**
   * Calls `onChange` with every key's current value (undefined: deleted), then with each change as it is
   * made (by any process), until stopped. A value that is not JSON is passed as undefined.
   */
  watch(onChange: (key: string, value: unknown) => void): Promise<{ stop(): void }>;
}

/** Opens the bucket, creating it when missing (idempotent: an existing bucket is opened as it is). */
export async function openStateBucket(
  connection: NatsConnection | JetStreamClient,
  name: string,
  options: StateBucketOptions = {},
): Promise<StateBucket> {
  const replicas = options.replicas ?? stateReplicas(connection);
  const kv = await new Kvm(connection).create(name, {
    storage: StorageType.File,
    history: 1,
    replicas,
    ...(options.ttlMs !== undefined ? { ttl: options.ttlMs } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
  });
  await raiseBucketReplicas(connection, name, replicas);
  return {
    name,
    put: (key, value) => kv.put(key, JSON.stringify(value)),
    async get(key) {
      const entry = await kv.get(key);
      if (entry?.operation !== "PUT") return undefined;
      try {
        return JSON.parse(entry.string());
      } catch (error) {
        throw new Error(`${name}/${key}: the stored value is not JSON (${(error as Error).message})`);
      }
    },
    async keys() {
      // Not kv.keys(): it can hang while keys expire by the bucket's TTL (see kv-keys.ts).
      return liveKeys(await managerOf(connection), kv, name);
    },
    async delete(key) {
      await kv.delete(key);
    },
    async watch(onChange) {
      const watcher = await kv.watch();
      void (async () => {
        for await (const entry of watcher) {
          let value: unknown;
          if (entry.operation === "PUT") {
            try {
              value = JSON.parse(entry.string());
            } catch {
              value = undefined;
            }
          }
          onChange(entry.key, value);
        }
      })();
      return { stop: () => watcher.stop() };
    },
  };
}
