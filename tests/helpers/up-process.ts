/**
 * `facetracker up` as a user runs it (`node packages/cli/src/main.ts up --config FILE --data DIR`), in a
 * child process: its output, the addresses it prints, its /healthz, and a graceful stop (SIGTERM, as
 * Ctrl-C).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { waitFor } from "@facetracker/testing";
import { repoRoot } from "./run-cli.ts";

export interface UpProcess {
  readonly pid: number;
  /** What up printed so far (stdout and stderr interleaved, as lines). */
  output(): string;
  /** The NATS URL(s): its own nats-server's, or the configured bus's (`natsUrls`). */
  readonly natsUrl: string[];
  /**
   * The read-only bus user of the run (DATA/nats-auth.json): its own nats-server refuses anonymous clients.
   * None on a configured bus.
   */
  readonly natsObserver: { user?: string; pass?: string };
  /** Its health endpoint (every service ready). */
  readonly healthUrl: string;
  /** The gRPC API, host:port. */
  readonly grpcAddress: string;
  /** Whether up's /healthz says every service is ready (false while unreachable). */
  healthy(): Promise<boolean>;
  /** /healthz's answer (the checks of each service), or why it could not be read. */
  health(): Promise<string>;
  /** Resolves with up's exit code (or signal) once it exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (as Ctrl-C) and waits for the exit, SIGKILL after `limitMs`; resolves with the exit code. */
  stop(limitMs?: number): Promise<number | string>;
}

/** Starts up and resolves once it printed "Ctrl-C stops" (every service started and ready). */
export async function startUp(
  configFile: string,
  dataDir: string,
  options: {
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    startLimitMs?: number;
    /** More arguments for up (e.g. `--instances track=2`). */
    args?: string[];
    /** The bus the configuration names (nats.url): up starts no nats-server of its own. */
    natsUrls?: string[];
  } = {},
): Promise<UpProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(repoRoot, "packages/cli/src/main.ts"),
      "up",
      "--config",
      configFile,
      "--data",
      dataDir,
      ...(options.args ?? []),
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, FACETRACKER_CONFIG: "", NATS_URL: "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        options.onLine?.(line);
      }
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  let exitCode: number | string | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const output = () => lines.join("\n");
  try {
    await waitFor(
      () => {
        if (exitCode !== undefined) throw new Error(`up exited (${exitCode}) while starting:\n${output()}`);
        return /Ctrl-C stops/.test(output());
      },
      "up to start every service",
      options.startLimitMs ?? 300_000,
      200,
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const text = output();
  const own = /up: started nats-server (nats:\/\/\S+)/.exec(text)?.[1];
  const natsUrl = options.natsUrls ?? (own ? [own] : undefined);
  const api = /up: gRPC API (\S+), health (http:\/\/\S+\/healthz)/.exec(text);
  if (!natsUrl || !api)
    throw new Error(`up did not print its nats-server, API and health addresses:\n${text}`);
  const healthUrl = api[2] as string;
  let natsObserver: { user?: string; pass?: string } = {};
  if (!options.natsUrls) {
    const auth = JSON.parse(await readFile(path.join(dataDir, "nats-auth.json"), "utf8")) as {
      users: Record<string, string>;
    };
    natsObserver = { user: "observer", pass: auth.users.observer ?? "" };
  }
  const health = async () => {
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(5000) });
      return `${response.status} ${await response.text()}`;
    } catch (error) {
      return `unreachable: ${(error as Error).message}`;
    }
  };
  return {
    pid: child.pid as number,
    output,
    natsUrl,
    natsObserver,
    healthUrl,
    grpcAddress: api[1] as string,
    healthy: async () => (await health()).startsWith("200 "),
    health,
    exited,
    stop: async (limitMs = 120_000) => {
      if (exitCode !== undefined) return exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
