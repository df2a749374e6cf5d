/**
 * A JetStream cluster of nats-server children on 127.0.0.1, for tests of the replicated bus: each node has
 * a free client port, a free route port, a unique server name and a store of its own, with routes to every
 * other node. kill() SIGKILLs one node (its store stays: restart() brings it back on the same ports).
 */

import { createServer } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type NatsServerChild, type NatsServerOptions, startNatsServer } from "./nats-server-child.ts";

export interface NatsClusterOptions {
  /** Number of nodes (default 3). */
  size?: number;
  /** Cluster name (default "ft-test"). */
  name?: string;
  /** How long to wait for the cluster's JetStream to answer, ms (default 30000). */
  readyTimeoutMs?: number;
  /** Passed to every node (executable, configFile...). */
  server?: Pick<NatsServerOptions, "executable" | "configFile" | "startTimeoutMs">;
}

export interface NatsCluster {
  readonly nodes: NatsServerChild[];
  /** Every node's client URL, for BusConnectOptions.servers. */
  readonly urls: string[];
  /** SIGKILLs node `index` and waits until it is gone; restart it with nodes[index].restart(). */
  kill(index: number): Promise<void>;
  /** Stops every node and removes their stores. */
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 now (the OS picks it; another process could take it before it is used). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until the cluster's JetStream answers on every node's URL (a meta leader is elected) and every
 * node lists every other in its INFO connect_urls (the routes are up).
 */
async function waitReady(urls: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (const url of urls) {
    for (;;) {
      if (Date.now() > deadline) {
        throw new Error(`nats cluster: ${url} not ready after ${timeoutMs} ms (${last})`);
      }
      const nc = await connect({ servers: url, reconnect: false }).catch((error: Error) => {
        last = error.message;
        return undefined;
      });
      if (nc) {
        try {
          const peers = nc.info?.connect_urls?.length ?? 0;
          if (peers < urls.length) throw new Error(`${peers} of ${urls.length} nodes in connect_urls`);
          await (await jetstreamManager(nc, { timeout: 2000 })).getAccountInfo();
          break;
        } catch (error) {
          last = (error as Error).message;
        } finally {
          await nc.close();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Starts a JetStream cluster of `size` nodes on 127.0.0.1 and waits until it is ready. */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error(`nats cluster: size must be ≥ 1, not ${size}`);
  const name = options.name ?? "ft-test";
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const nodes: NatsServerChild[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const started = await Promise.allSettled(
      routePorts.map((port, i) =>
        startNatsServer({
          ...options.server,
          cluster: {
            serverName: `${name}-${i + 1}`,
            name,
            port,
            routes: routePorts.filter((p) => p !== port).map((p) => `nats://127.0.0.1:${p}`),
          },
        }),
      ),
    );
    for (const result of started) if (result.status === "fulfilled") nodes.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    await waitReady(
      nodes.map((node) => node.url),
      options.readyTimeoutMs ?? 30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async kill(index) {
      const node = nodes[index];
      if (!node) throw new Error(`nats cluster: no node ${index} (${nodes.length} nodes)`);
      const exited = node.exited;
      process.kill(node.pid, "SIGKILL");
      await exited;
    },
    stop,
  };
}
