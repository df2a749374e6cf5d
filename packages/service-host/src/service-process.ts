/**
 * Starts a pipeline service as a child process (`node services/<name>/src/main.ts`, run by hostService),
 * as `facetracker up` and the pipeline benchmark do: each service gets its own process, so the stages
 * use every core. The child stops when its parent is gone (FACETRACKER_PARENT_PID).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { connectHostOf } from "@facetracker/config";
import type { ServiceName } from "./service-catalog.ts";

export interface ServiceProcessOptions {
  name: ServiceName;
  /** Configuration file the child loads (FACETRACKER_CONFIG). */
  configFile: string;
  /** More environment for the child (on top of this process's). */
  env?: Record<string, string>;
  /** Each line the child writes (stdout and stderr): JSON log lines. Default: dropped. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** How long to wait for /healthz to say ready (default 60 s). */
  readyTimeoutMs?: number;
  /** Suffix for the instance (several embed workers): `embed-2`. */
  instance?: string;
  /**
   * The address the child binds its /healthz and /metrics (metrics.listen, else listen_host, of the
   * configuration it loads); default 127.0.0.1. Readiness is asked there (loopback for 0.0.0.0 and ::).
   */
  httpHost?: string;
}

export interface ServiceProcess {
  /** `name` or `name-instance`. */
  readonly id: string;
  readonly pid: number;
  /** Base URL of its /healthz and /metrics (reachable from this machine). */
  readonly httpUrl: string;
  /**
   * What the child reported it bound, from its /healthz (`listening`): `health` (its /healthz and
   * /metrics, host:port) and the service's own listeners (the api's `grpc`, the web page's `web`).
   */
  readonly listening: Readonly<Record<string, string>>;
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /**
   * CPU seconds (user + system) and resident memory of the child and its own children (ffmpeg): the
   * running ones and those that exited (once the child reaped them), from /proc (Linux).
   */
  usage(): { cpuSeconds: number; rssBytes: number } | undefined;
  /** SIGTERM (the service drains), then SIGKILL after `graceMs` (default 10 s). Idempotent. */
  stop(graceMs?: number): Promise<number | string>;
  /** SIGKILL at once (a crash, for tests). */
  kill(): Promise<number | string>;
}

const mainOf = (name: ServiceName) =>
  fileURLToPath(new URL(`../../../services/${name}/src/main.ts`, import.meta.url));

/** A free TCP port on 127.0.0.1. */
export async function freeLocalPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CLOCK_TICKS = 100;

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
  /** CPU seconds of its children that exited and were waited for. */
  exitedChildrenCpuSeconds: number;
  rssBytes: number;
}

function procStat(pid: number | string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state=0, ppid=1 … utime=11, stime=12, cutime=13, cstime=14, rss (pages)=21.
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      exitedChildrenCpuSeconds: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
      rssBytes: Number(fields[21]) * 4096,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds and RSS of a process and its children (e.g. ingest's ffmpeg decoders), from /proc: the CPU
 * of the running children and of those that exited (a looping file camera starts a new ffmpeg each loop:
 * without them a benchmark would miss most of the decoders' CPU); the RSS of the running ones.
 */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  const own = procStat(pid);
  if (!own) return undefined;
  let cpuSeconds = own.cpuSeconds + own.exitedChildrenCpuSeconds;
  let { rssBytes } = own;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const child = procStat(entry);
    if (child?.ppid === pid) {
      cpuSeconds += child.cpuSeconds;
      rssBytes += child.rssBytes;
    }
  }
  return { cpuSeconds, rssBytes };
}

/** A host for a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The `listening` map of a /healthz body (only string values kept). */
function listeningOf(body: unknown): Record<string, string> {
  const listening = (body as { listening?: unknown } | null)?.listening;
  if (typeof listening !== "object" || listening === null) return {};
  return Object.fromEntries(
    Object.entries(listening).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/** Starts the service and resolves once its /healthz reports ready; rejects (child killed) otherwise. */
export async function spawnServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const id = options.instance ? `${options.name}-${options.instance}` : options.name;
  const port = await freeLocalPort();
  const child: ChildProcess = spawn(process.execPath, [mainOf(options.name)], {
    env: {
      ...process.env,
      ...options.env,
      FACETRACKER_CONFIG: options.configFile,
      FACETRACKER_HTTP_PORT: String(port),
      FACETRACKER_PARENT_PID: String(process.pid),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    let rest = "";
    child[stream]?.setEncoding("utf8");
    child[stream]?.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line, stream);
      }
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  let done: number | string | undefined;
  void exited.then((code) => {
    done = code;
  });
  const httpUrl = `http://${urlHost(connectHostOf(options.httpHost ?? "127.0.0.1"))}:${port}`;
  let listening: Record<string, string> = {};
  let stopping: Promise<number | string> | undefined;
  const handle: ServiceProcess = {
    id,
    pid: child.pid as number,
    httpUrl,
    get listening() {
      return listening;
    },
    exited,
    usage: () => (done === undefined ? processUsage(child.pid as number) : undefined),
    stop: (graceMs = 10_000) => {
      stopping ??= (async () => {
        if (done !== undefined) return done;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
    kill: async () => {
      if (done === undefined) child.kill("SIGKILL");
      return exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (done !== undefined) {
      throw new Error(
        `service ${id} exited (${done}) before it was ready; its last output:\n${tail.join("\n")}`,
      );
    }
    try {
      const response = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) {
        listening = listeningOf(await response.json());
        return handle;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.stop(2000);
      throw new Error(
        `service ${id} was not ready within ${options.readyTimeoutMs ?? 60_000} ms; its last output:\n${tail.join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
