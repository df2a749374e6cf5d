/**
 * A nats-server child process with JetStream: for the embedded run (`facetracker up`: a store directory
 * under ./data, port 4222 when free) and for tests (a free port and a temporary store, never the machine's
 * own server). stop() ends it (and removes a temporary store); restart() keeps the port and store (for
 * reconnection tests, and to bring back a server that died: `exited` says when). With `lockFile`, the
 * server process holds an exclusive flock(2) on that file for its whole life, so two servers never share
 * a store. Children still running when the Node process exits are killed.
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
  /**
   * A nats-server configuration file (`-c FILE`), e.g. accounts, users and permissions: secrets stay in
   * the file (write it 0600), never on the command line. Address, port and store still come from here.
   */
  configFile?: string;
  /** Called with each line the server logs once it is ready (e.g. permission violations). */
  onLogLine?: (line: string) => void;
  /** The nats-server executable; default $NATS_SERVER, else nats-server on PATH, else /usr/sbin/nats-server. */
  executable?: string;
  /** How long to wait for the server to be ready, ms (default 15000). */
  startTimeoutMs?: number;
  /** JetStream store directory, kept after stop(); default a temporary directory removed by stop(). */
  storeDir?: string;
  /** Port to listen on; default a free one. */
  port?: number;
  /**
   * Hold an exclusive lock on this file (flock(2), through util-linux `flock`) for the server's whole
   * life: the server process itself holds it, so the kernel releases it when the server exits, even
   * SIGKILLed. When another process holds it, start and restart() reject at once with
   * NatsStoreLockedError. Default: no lock.
   */
  lockFile?: string;
  /**
   * Run the server in a process group of its own, so that a Ctrl-C at the terminal (SIGINT to the whole
   * foreground group) does not reach it and its owner can stop it last, after its clients drained.
   * Default false.
   */
  ownProcessGroup?: boolean;
  /**
   * Join a cluster (see startNatsCluster): this node's unique JetStream server name, the cluster's name,
   * the port it listens on for routes (127.0.0.1) and the route URLs of the other nodes.
   */
  cluster?: { serverName: string; name: string; port: number; routes: string[] };
}

/** How a server process ended. */
export interface NatsServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what it wrote on stderr. */
  log: string;
}

/** The lock file of the store is held by another process: a server runs on that store already. */
export class NatsStoreLockedError extends Error {
  override name = "NatsStoreLockedError";
  readonly lockFile: string;
  constructor(lockFile: string) {
    super(`nats-server: ${lockFile} is locked by another process (a nats-server already runs on this store)`);
    this.lockFile = lockFile;
  }
}

export interface NatsServerChild {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** JetStream store directory (a temporary one is removed by stop()). */
  readonly storeDir: string;
  /** Pid of the current server process. */
  readonly pid: number;
  /** Resolves when the current server process exits (stopped, killed or crashed), saying how. */
  readonly exited: Promise<NatsServerExit>;
  /** Stops the server (SIGTERM, then SIGKILL) and removes the store directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server (if it still runs) and starts it again on the same port with the same store
   * directory; rejects (the server stays down) when the new one does not start.
   */
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
  return findOnPath("nats-server") ?? "/usr/sbin/nats-server";
}

interface Started {
  child: ChildProcess;
  port: number;
  exited: Promise<NatsServerExit>;
}

/** Exit status of the shell when flock(1) finds the lock held (EX_TEMPFAIL). */
const LOCK_HELD_EXIT = 75;
/** What is kept of a running server's stderr, for NatsServerExit.log. */
const LOG_TAIL_CHARS = 4000;

/**
 * The command that starts the server, holding `lockFile` when given: sh opens the lock file on fd 9,
 * flock(1) locks it (the lock belongs to the open file, shared with sh), then sh becomes nats-server
 * (exec: same pid), which inherits fd 9 and so holds the lock until it exits.
 */
function serverCommand(executable: string, args: string[], lockFile?: string): [string, string[]] {
  if (lockFile === undefined) return [executable, args];
  const flock = findOnPath("flock");
  if (!flock) throw new Error("nats-server: 'flock' not found: install the Debian package util-linux");
  if (executable.includes("/") && !existsSync(executable)) {
    throw new Error(
      `nats-server: '${executable}' not found: install the Debian package nats-server (apt-get install nats-server)`,
    );
  }
  const script = `exec 9>>"$1" || exit 2; "$2" -n -E ${LOCK_HELD_EXIT} 9 || exit $?; shift 2; exec "$@"`;
  return ["/bin/sh", ["-c", script, "sh", lockFile, flock, executable, ...args]];
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return ["/usr/bin", "/bin"].map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** Spawns nats-server and resolves with its port once it logs "Server is ready". */
function spawnServer(
  executable: string,
  args: string[],
  timeoutMs: number,
  {
    lockFile,
    ownProcessGroup = false,
    onLogLine,
  }: Pick<NatsServerOptions, "lockFile" | "ownProcessGroup" | "onLogLine">,
): Promise<Started> {
  return new Promise((resolve, reject) => {
    const [command, commandArgs] = serverCommand(executable, args, lockFile);
    const child = spawn(command, commandArgs, {
      stdio: ["ignore", "ignore", "pipe"],
      detached: ownProcessGroup,
    });
    trackChild(child);
    installExitHook();
    let log = "";
    let port: number | undefined;
    // "close": after its last words on stderr too.
    const exited = new Promise<NatsServerExit>((resolveExit) => {
      child.once("close", (code, signal) => resolveExit({ code, signal, log: log.slice(-LOG_TAIL_CHARS) }));
    });
    const fail = (message: string | Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(
        typeof message === "string" ? new Error(`nats-server: ${message}\n${log.slice(-2000)}`) : message,
      );
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
        if (lockFile !== undefined && code === LOCK_HELD_EXIT) fail(new NatsStoreLockedError(lockFile));
        else fail(`exited before it was ready (code ${code}, signal ${signal})`);
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
        let partial = "";
        child.stderr?.on("data", (more: string) => {
          log = (log + more).slice(-LOG_TAIL_CHARS);
          if (!onLogLine) return;
          const lines = (partial + more).split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) if (line.trim()) onLogLine(line);
        });
        resolve({ child, port, exited });
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
  if (options.configFile !== undefined) auth.push("-c", options.configFile);
  const c = options.cluster;
  if (c !== undefined) {
    auth.push("--server_name", c.serverName, "--cluster_name", c.name);
    auth.push("--cluster", `nats://127.0.0.1:${c.port}`, "--routes", c.routes.join(","));
  }
  const argsFor = (port: number) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...auth];

  const spawnOptions = {
    lockFile: options.lockFile,
    ownProcessGroup: options.ownProcessGroup,
    onLogLine: options.onLogLine,
  };
  let current: Started;
  try {
    current = await spawnServer(executable, argsFor(options.port ?? -1), timeoutMs, spawnOptions);
  } catch (error) {
    if (temporary) {
      storeDirs.delete(storeDir);
      await rm(storeDir, { recursive: true, force: true });
    }
    throw error;
  }
  const port = current.port;
  let stopped = false;
  let restarting: Promise<void> | undefined;

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return current.child.pid ?? -1;
    },
    get exited() {
      return current.exited;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await restarting?.catch(() => {});
      await stopChild(current.child);
      if (temporary) {
        storeDirs.delete(storeDir);
        await rm(storeDir, { recursive: true, force: true });
      }
    },
    async restart() {
      if (stopped) throw new Error("nats-server: restart() after stop()");
      if (restarting) throw new Error("nats-server: restart() while restarting");
      restarting = (async () => {
        await stopChild(current.child);
        const next = await spawnServer(executable, argsFor(port), timeoutMs, spawnOptions);
        if (stopped) {
          await stopChild(next.child); // stop() came while it was starting
          throw new Error("nats-server: stopped while restarting");
        }
        current = next;
      })();
      try {
        await restarting;
      } finally {
        restarting = undefined;
      }
    },
  };
}
