/**
 * A nats-server child process with JetStream: for the embedded run (`facetracker up`: a store directory
 * under ./data, port 4222 when free) and for tests (a free port and a temporary store, never the machine's
 * own server). stop() ends it (and removes a temporary store); restart() keeps the port and store, for
 * reconnection tests. Children still running when the Node process exits are killed.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killTrackedChildren, trackChild } from "@facetracker/infra";

export interface NatsServerOptions {
  /** Require this token (`--auth`). */
  token?: string;
  /** Require this user and password (`--user`, `--pass`). */
  user?: string;
  pass?: string;
  /** The nats-server executable; default $NATS_SERVER, else nats-server on PATH, else /usr/sbin/nats-server. */
  executable?: string;
  /** How long to wait for the server to be ready, ms (default 15000). */
  startTimeoutMs?: number;
  /** JetStream store directory, kept after stop(); default a temporary directory removed by stop(). */
  storeDir?: string;
  /** Port to listen on; default a free one. */
  port?: number;
}

export interface NatsServerChild {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** JetStream store directory (a temporary one is removed by stop()). */
  readonly storeDir: string;
  /** Pid of the current server process. */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes the store directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port with the same store directory. */
  restart(): Promise<void>;
}

/** Store directories of servers not stopped yet, removed with them if the process dies. */
const storeDirs = new Set<string>();
let exitHookInstalled = false;

function removeStoreDirs(): void {
  for (const dir of storeDirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes the temporary stores when this process exits (the servers are tracked children: killed then);
 * on SIGINT/SIGTERM kills the children and removes the stores too (then re-raises) unless another handler
 * of that signal takes care of the shutdown.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", removeStoreDirs);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, function onSignal() {
      // Another handler (e.g. `facetracker up`) stops things in order, the server last; alone, we do it.
      if (process.listenerCount(signal) === 1) {
        killTrackedChildren();
        removeStoreDirs();
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    });
  }
}

function findExecutable(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "nats-server"))) return join(dir, "nats-server");
  }
  return "/usr/sbin/nats-server";
}

interface Started {
  child: ChildProcess;
  port: number;
}

/** Spawns nats-server and resolves with its port once it logs "Server is ready". */
function spawnServer(executable: string, args: string[], timeoutMs: number): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ["ignore", "ignore", "pipe"] });
    trackChild(child);
    installExitHook();
    let log = "";
    let port: number | undefined;
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`nats-server: ${message}\n${log.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      fail(
        error.code === "ENOENT"
          ? `'${executable}' not found: install the Debian package nats-server (apt-get install nats-server)`
          : error.message,
      );
    });
    child.once("exit", (code, signal) => {
      if (port === undefined || !log.includes("Server is ready")) {
        fail(`exited before it was ready (code ${code}, signal ${signal})`);
      }
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (log.length < 100_000) log += chunk;
      const listening = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (listening?.[1]) port = Number(listening[1]);
      if (port !== undefined && log.includes("Server is ready")) {
        clearTimeout(timer);
        child.stderr?.removeAllListeners("data");
        child.stderr?.resume();
        resolve({ child, port });
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(killTimer);
}

/** Starts a nats-server with JetStream on 127.0.0.1. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerChild> {
  const executable = findExecutable(options.executable);
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const temporary = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "ft-nats-")));
  if (temporary) storeDirs.add(storeDir);
  else await mkdir(storeDir, { recursive: true });
  const auth: string[] = [];
  if (options.token !== undefined) auth.push("--auth", options.token);
  if (options.user !== undefined) auth.push("--user", options.user);
  if (options.pass !== undefined) auth.push("--pass", options.pass);
  const argsFor = (port: number) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...auth];

  let current: Started;
  try {
    current = await spawnServer(executable, argsFor(options.port ?? -1), timeoutMs);
  } catch (error) {
    if (temporary) {
      storeDirs.delete(storeDir);
      await rm(storeDir, { recursive: true, force: true });
    }
    throw error;
  }
  const port = current.port;
  let stopped = false;

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return current.child.pid ?? -1;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(current.child);
      if (temporary) {
        storeDirs.delete(storeDir);
        await rm(storeDir, { recursive: true, force: true });
      }
    },
    async restart() {
      if (stopped) throw new Error("nats-server: restart() after stop()");
      await stopChild(current.child);
      current = await spawnServer(executable, argsFor(port), timeoutMs);
    },
  };
}
