/**
 * Test helper: runs a service in a real Node child process, optionally sends it a signal once it has
 * logged a given line, and returns its exit code and its parsed log lines. For a service's own tests:
 * "SIGTERM after started → stop runs → exit 0".
 */

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { LogRecord } from "@facetracker/service-kit";

/** URL of service-kit's entry point, for `import { runService } from "${SERVICE_KIT_URL}"` in a script. */
export const SERVICE_KIT_URL: string = import.meta.resolve("@facetracker/service-kit");

export interface ServiceChildOptions {
  /** ES module source, run with `node --input-type=module -e`. Exactly one of script and args. */
  script?: string;
  /** Arguments for node instead, e.g. [pathToServiceMain]. */
  args?: readonly string[];
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  /** Signal to send once a log line satisfies `sendSignalWhen`. Omit to just wait for the child to exit. */
  signal?: NodeJS.Signals;
  /** Default: the line runService logs once start resolved (msg "started"). */
  sendSignalWhen?: (line: LogRecord) => boolean;
  /** Safety net against a hung child: SIGKILL after this long (default 30 s); see killedAfterMs. */
  killAfterMs?: number;
}

export interface ServiceChildResult {
  /** Exit code, null when the child was ended by a signal. */
  code: number | null;
  /** The signal that ended the child, if one did (unhandled). */
  exitSignal: NodeJS.Signals | null;
  /** stdout lines that parsed as JSON objects, in order. */
  lines: LogRecord[];
  /** stdout lines that did not. */
  otherStdout: string[];
  stderr: string;
  /** Whether `signal` was sent. */
  signalSent: boolean;
  /** Set when the safety net killed the child. */
  killedAfterMs?: number;
}

function parseLine(line: string): LogRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

export function runServiceChild(options: ServiceChildOptions): Promise<ServiceChildResult> {
  if ((options.script === undefined) === (options.args === undefined)) {
    throw new Error("runServiceChild: give exactly one of script and args");
  }
  const nodeArgs =
    options.script !== undefined ? ["--input-type=module", "-e", options.script] : [...(options.args ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // Keep a child that uses node:test from reporting into the parent's test run.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, nodeArgs, { env, stdio: ["ignore", "pipe", "pipe"] });
  const sendSignalWhen = options.sendSignalWhen ?? ((line: LogRecord) => line.msg === "started");
  const killAfterMs = options.killAfterMs ?? 30_000;

  const result: ServiceChildResult = {
    code: null,
    exitSignal: null,
    lines: [],
    otherStdout: [],
    stderr: "",
    signalSent: false,
  };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    result.stderr += chunk;
  });
  const stdoutLines = createInterface({ input: child.stdout });
  stdoutLines.on("line", (text) => {
    const line = parseLine(text);
    if (line === undefined) {
      result.otherStdout.push(text);
      return;
    }
    result.lines.push(line);
    if (options.signal !== undefined && !result.signalSent && sendSignalWhen(line)) {
      result.signalSent = child.kill(options.signal);
    }
  });
  const stdoutDone = new Promise<void>((resolve) => stdoutLines.once("close", resolve));

  return new Promise((resolve, reject) => {
    const safetyNet = setTimeout(() => {
      result.killedAfterMs = killAfterMs;
      child.kill("SIGKILL");
    }, killAfterMs);
    child.once("error", (error) => {
      clearTimeout(safetyNet);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(safetyNet);
      result.code = code;
      result.exitSignal = signal;
      stdoutDone.then(() => resolve(result), reject);
    });
  });
}
