/**
 * Runs a short-lived command to completion, capturing its output; aborting the signal stops it
 * (SIGTERM, then SIGKILL after a grace period) and still waits for it to end, so no child outlives
 * its use. Children still running when Node exits are killed.
 */

import { spawn } from "node:child_process";
import { dieWithParent, trackChild } from "@facetracker/infra";

/** How a run ended. `aborted` is true when the signal stopped it. */
export interface ChildRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, at most the last `maxOutputChars` characters. */
  output: string;
  aborted: boolean;
}

/** The command could not be started (not found, not executable). */
export class ChildStartError extends Error {
  readonly code: string | undefined;

  constructor(command: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = code === "ENOENT" ? "not found" : code === "EACCES" ? "permission denied" : String(cause);
    super(`cannot run ${command}: ${why}`, { cause });
    this.name = "ChildStartError";
    this.code = code;
  }
}

/** Options of runChild. */
export interface ChildRunOptions {
  signal: AbortSignal;
  /** Time between SIGTERM and SIGKILL when aborted (default 2000 ms). */
  killGraceMs?: number;
  maxOutputChars?: number;
  /** Variables added to this process's environment for the child (e.g. secrets kept off its command line). */
  env?: Record<string, string>;
  /** Each piece of output (stdout or stderr) as it comes, before the child exits. */
  onOutput?: (text: string) => void;
}

/** Runs `command args` with stdin closed; resolves when it has exited and its pipes are closed. */
export async function runChild(
  command: string,
  args: string[],
  options: ChildRunOptions,
): Promise<ChildRunResult> {
  const { signal, killGraceMs = 2000, maxOutputChars = 64 * 1024 } = options;
  const env = options.env ? { ...process.env, ...options.env } : process.env;
  // Killed with this process: an apprise left running by a SIGKILLed service would send unseen, and the
  // restarted service, finding no sent-mark, would send again.
  const line = dieWithParent(command, args);
  // In a process group of its own, so that stopping it stops what it started too (a wrapper script's
  // children would otherwise hold its pipes open, and the run, until they end).
  const child = spawn(line.command, line.args, { stdio: ["ignore", "pipe", "pipe"], env, detached: true });
  trackChild(child);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (error) {
    throw new ChildStartError(command, error);
  }
  child.on("error", () => {});

  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    options.onOutput?.(text);
    if (output.length > maxOutputChars * 2) output = output.slice(-maxOutputChars);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (how: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, how);
    } catch {
      child.kill(how); // the group is gone: the child alone, if it still runs
    }
  };
  const onAbort = () => {
    aborted = true;
    stop("SIGTERM");
    killTimer = setTimeout(() => stop("SIGKILL"), killGraceMs);
  };
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code: number | null, exitSignal: NodeJS.Signals | null) =>
      resolve({ code, signal: exitSignal }),
    );
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  try {
    const status = await closed;
    return { ...status, output: output.slice(-maxOutputChars), aborted };
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (killTimer) clearTimeout(killTimer);
  }
}
