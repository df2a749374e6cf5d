/**
 * One supervisor per JetStream store: the process that runs the pipeline's private nats-server holds a pid
 * lock in the store (`facetracker-up.lock`, stale once that process is gone), and the server itself holds
 * an flock on `nats-server.lock` (released by the kernel when it exits, even SIGKILLed). Servers running
 * on a store are found by their command line (`-sd DIR`), so a server left running by a killed supervisor
 * is found and stopped, and a refusal names both pids.
 */

import { readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive, PidLock, PidLockError } from "@facetracker/infra";
import type { PipelineLog } from "./pipeline-log.ts";

/** The supervisor's pid lock, in the store. */
export const SUPERVISOR_LOCK = "facetracker-up.lock";
/** The file the running nats-server holds an flock on, in the store. */
export const SERVER_LOCK = "nats-server.lock";

/** Another run holds the JetStream store. */
export class NatsStoreInUseError extends Error {
  override name = "NatsStoreInUseError";
}

/** The arguments of a process (argv), or undefined when it is gone. */
async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    if (argv.at(-1) === "") argv.pop();
    return argv.length > 0 ? argv : undefined;
  } catch {
    return undefined;
  }
}

/** The value of nats-server's store directory option (-sd DIR, --store_dir=DIR …) in `argv`. */
function storeDirArgument(argv: string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    const match = /^--?(?:sd|store_dir)(?:=(.*))?$/.exec(arg);
    if (match) return match[1] ?? argv[i + 1];
  }
  return undefined;
}

/** Pids of the nats-server processes whose JetStream store is `storeDir` (from /proc). */
export async function natsServersOn(storeDir: string): Promise<number[]> {
  const wanted = path.resolve(storeDir);
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await commandLine(Number(entry));
    if (!argv || path.basename(argv[0] ?? "") !== "nats-server") continue;
    const dir = storeDirArgument(argv);
    if (dir === undefined) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "/");
    if (path.resolve(cwd, dir) === wanted) pids.push(Number(entry));
  }
  return pids;
}

/** "facetracker up pid M" when that process runs `up`, else "process M (its command)". */
async function describeHolder(pid: number): Promise<string> {
  if (pid === process.pid) return `this process (pid ${pid}: a pipeline already runs on this data directory)`;
  const argv = await commandLine(pid);
  if (argv?.includes("up")) return `facetracker up pid ${pid}`;
  return `process ${pid}${argv ? ` (${argv.join(" ").slice(0, 120)})` : ""}`;
}

/**
 * Takes the store for this process (its pid lock). When a live process holds it, throws
 * NatsStoreInUseError naming the store, its nats-server and that process. Once taken, any nats-server
 * still running on the store was left by a supervisor that is gone: it is stopped (SIGTERM, then SIGKILL).
 */
export async function claimNatsStore(storeDir: string, log: PipelineLog): Promise<PidLock> {
  let lock: PidLock;
  try {
    lock = await PidLock.acquire(path.join(storeDir, SUPERVISOR_LOCK));
  } catch (error) {
    if (!(error instanceof PidLockError) || error.reason !== "held" || error.owner === undefined) throw error;
    const [server] = await natsServersOn(storeDir);
    const holder = await describeHolder(error.owner);
    throw new NatsStoreInUseError(
      server === undefined
        ? `the JetStream store ${storeDir} is in use by ${holder} (its nats-server is being restarted): stop that run first, or give this one another data directory (--data)`
        : `the JetStream store ${storeDir} is in use by nats-server pid ${server} (started by ${holder}): stop that run first, or give this one another data directory (--data)`,
    );
  }
  try {
    for (const pid of await natsServersOn(storeDir)) await stopStaleServer(pid, storeDir, log);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}

/** The store's lock is held although no supervisor holds the store and no server was found on it. */
export function lockedStoreError(storeDir: string, lockFile: string): NatsStoreInUseError {
  return new NatsStoreInUseError(
    `the JetStream store ${storeDir} is in use: another process holds its lock ${lockFile} (find it with: fuser -v ${lockFile})`,
  );
}

/** Stops a nats-server left running on the store by an earlier run: SIGTERM, after 5 s SIGKILL. */
async function stopStaleServer(pid: number, storeDir: string, log: PipelineLog): Promise<void> {
  log({
    level: "info",
    message: `stopping nats-server pid ${pid}, left running on ${storeDir} by an earlier run`,
  });
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if (!isProcessAlive(pid)) return;
    }
  }
  throw new NatsStoreInUseError(
    `the JetStream store ${storeDir} is in use by nats-server pid ${pid}, left by an earlier run, which could not be stopped (not even by SIGKILL)`,
  );
}
