/**
 * How many copies a stream that holds state keeps: one per server of the cluster the connection is in, at
 * most three (a single server: one). Known from the server's INFO: `cluster` (its cluster's name) and
 * `connect_urls` (the client URLs of every server of the cluster it knows, itself included).
 *
 * A server that starts while some of its cluster is still down knows fewer servers: replicas are then
 * only ever raised automatically (raiseReplicas), never lowered, so a later start with the whole cluster
 * up brings them to three.
 */

import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, ServerInfo } from "@nats-io/transport-node";

/** The most copies of a stream kept (a majority survives one server lost). */
export const MAX_REPLICAS = 3;

/** Replicas for state streams on a server with this INFO: min(3, servers in its cluster); 1 without one. */
export function replicasForServer(info: Pick<ServerInfo, "cluster" | "connect_urls"> | undefined): number {
  if (!info?.cluster) return 1;
  const servers = new Set(info.connect_urls ?? []).size;
  return Math.min(MAX_REPLICAS, Math.max(1, servers));
}

/**
 * The connection behind a NatsConnection, a JetStreamClient or a JetStreamManager (the clients of
 * @nats-io/jetstream keep theirs as `nc`).
 */
function connectionOf(from: unknown): NatsConnection | undefined {
  if (from && typeof from === "object" && "info" in from && "publish" in from) return from as NatsConnection;
  const nc = (from as { nc?: unknown } | undefined)?.nc;
  if (nc && typeof nc === "object" && "info" in nc) return nc as NatsConnection;
  return undefined;
}

/**
 * Replicas for state streams on the server `from` is connected to (see replicasForServer); throws when
 * the connection cannot be found (not a client of @nats-io/transport-node / @nats-io/jetstream).
 */
export function stateReplicas(from: unknown): number {
  const nc = connectionOf(from);
  if (!nc) throw new Error("bus: cannot find the NATS connection to learn the cluster size from");
  return replicasForServer(nc.info);
}

/**
 * Raises stream `name`'s replicas to `want` when it keeps fewer (JetStream copies the stream to the new
 * peers); never lowers them. Returns whether it changed.
 */
export async function raiseReplicas(jsm: JetStreamManager, name: string, want: number): Promise<boolean> {
  const info = await jsm.streams.info(name);
  if ((info.config.num_replicas ?? 1) >= want) return false;
  await jsm.streams.update(name, { num_replicas: want });
  return true;
}

/**
 * Raises the replicas of key-value bucket `bucket` (stream KV_<bucket>) to `want` when it keeps fewer: a
 * bucket created on a single server, or while the cluster was partly up, is copied to the others. Kvm's
 * create() opens an existing bucket as it is.
 */
export async function raiseBucketReplicas(connection: unknown, bucket: string, want: number): Promise<void> {
  if (want <= 1) return;
  const nc = connectionOf(connection);
  if (!nc) throw new Error(`bus: cannot find the NATS connection of bucket ${bucket}`);
  await raiseReplicas(await jetstreamManager(nc), `KV_${bucket}`, want);
}
