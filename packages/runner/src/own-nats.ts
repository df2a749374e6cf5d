/**
 * The pipeline's private nats-server: JetStream store under the data directory, port 4222 when free,
 * supervised (restarted on the same port and store when it dies), in a process group of its own (a Ctrl-C
 * at the terminal reaches the services, which drain, and the server is stopped last). One run per store: the store is
 * claimed first (a live run holding it is refused with a clear message; a server left running by a run
 * that was killed is stopped), and the server holds an flock on the store for its whole life.
 */

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type NatsServerChild, NatsStoreLockedError, startNatsServer } from "@facetracker/bus";
import { claimNatsStore, lockedStoreError, SERVER_LOCK } from "./nats-store.ts";
import { superviseNats } from "./nats-supervisor.ts";
import type { PipelineLog } from "./pipeline-log.ts";

export { NatsStoreInUseError } from "./nats-store.ts";

/** The private server, as the runner holds it. */
export interface OwnNats {
  /** nats://127.0.0.1:<port> (the same across restarts). */
  readonly url: string;
  readonly storeDir: string;
  /** Pid of the current server process. */
  readonly pid: number;
  /** true while the server runs; else since when it is down and why (for /healthz). */
  health(): true | string;
  /** Stops supervising, stops the server, releases the store. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Claims `storeDir`, starts nats-server on it (port 4222 when free, else any free port) and supervises it.
 * With `configFile` (users and permissions, see bus-credentials.ts) the server requires them; each
 * permission violation it logs is reported as a warning.
 */
export async function startOwnNats(
  storeDir: string,
  log: PipelineLog,
  configFile?: string,
): Promise<OwnNats> {
  await mkdir(storeDir, { recursive: true });
  const claim = await claimNatsStore(storeDir, log);
  const lockFile = path.join(storeDir, SERVER_LOCK);
  const serverOptions = {
    lockFile,
    ownProcessGroup: true,
    ...(configFile ? { configFile } : {}),
    onLogLine: (line: string) => {
      if (/Violation|authentication error|authorization error/i.test(line)) {
        log({ level: "warn", message: `nats-server: ${line.replace(/^\[\d+\] \S+ \S+ /, "")}` });
      }
    },
  };
  let nats: NatsServerChild;
  try {
    try {
      nats = await startNatsServer({ storeDir, port: 4222, ...serverOptions });
    } catch (error) {
      if (error instanceof NatsStoreLockedError) throw error;
      nats = await startNatsServer({ storeDir, ...serverOptions }); // 4222 is taken
    }
  } catch (error) {
    await claim.release();
    throw error instanceof NatsStoreLockedError ? lockedStoreError(storeDir, lockFile) : error;
  }
  const relativeStore = path.relative(process.cwd(), nats.storeDir);
  log({
    level: "info",
    message: `started nats-server ${nats.url} (pid ${nats.pid}, JetStream store ${relativeStore})`,
  });
  const supervisor = superviseNats(nats, log);
  const server = nats;
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    storeDir: server.storeDir,
    get pid() {
      return server.pid;
    },
    health: () => supervisor.health(),
    stop() {
      stopping ??= (async () => {
        await supervisor.stop();
        await server.stop();
        await claim.release();
      })();
      return stopping;
    },
  };
}
