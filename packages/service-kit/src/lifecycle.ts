/**
 * Runs a service as a process: start it, stop it cleanly on SIGTERM/SIGINT (bounded by a timeout), and
 * exit 1 on an uncaught exception or unhandled rejection: a service must not keep running in an
 * unknown state.
 *
 * Exit codes: 0 after a clean stop; 1 when start or stop fails, stop times out, or an error escapes.
 */

import type { Logger } from "./logger.ts";

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface ServiceContext {
  readonly name: string;
  readonly logger: Logger;
  /** Aborted when stopping begins (e.g. a signal arrived while start was still running). */
  readonly stopping: AbortSignal;
}

export interface RunningService {
  /** Drains and releases everything (NATS drain, servers closed). Called at most once. */
  stop(): Promise<void>;
}

/** The part of `process` runService listens on; tests pass an EventEmitter. */
export interface ProcessEvents {
  on(event: string, listener: (value: unknown) => void): unknown;
  off(event: string, listener: (value: unknown) => void): unknown;
}

export interface RunServiceOptions {
  name: string;
  start: (ctx: ServiceContext) => Promise<RunningService>;
  logger: Logger;
  /** Time stop() gets before the process exits 1 anyway (default 10 s). */
  stopTimeoutMs?: number;
  /** Default process.exit. Once it is called, runService's listeners are removed. */
  exit?: (code: number) => void;
  /** Where signals and uncaught errors are listened for (default process). */
  events?: ProcessEvents;
}

export interface ServiceHandle {
  /** Stops as a signal would; resolves with the exit code. Idempotent: every call gets the same promise. */
  stop(reason?: string): Promise<number>;
  /** Resolves with the exit code once exit has been called. */
  readonly exited: Promise<number>;
}

const installedOn = new WeakSet<ProcessEvents>();

function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

/**
 * Starts the service and owns the process's lifecycle from then on. Throws when another runService is
 * already installed on the same process (signal handlers are installed once).
 */
export function runService(options: RunServiceOptions): ServiceHandle {
  const { name, logger } = options;
  const events = options.events ?? process;
  const exitProcess = options.exit ?? ((code: number) => process.exit(code));
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  if (installedOn.has(events)) throw new Error(`runService(${name}): a service already runs in this process`);
  installedOn.add(events);

  const stopping = new AbortController();
  let exitCode: number | undefined;
  let resolveExited: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExited = resolve;
  });

  const onSignal = (signal: unknown) => {
    if (stopping.signal.aborted) {
      logger.warn("already stopping", { signal });
      return;
    }
    void stop(`signal ${String(signal)}`);
  };
  const onUncaughtException = (error: unknown) => {
    logger.error("uncaught exception", { err: error });
    exit(1);
  };
  const onUnhandledRejection = (reason: unknown) => {
    logger.error("unhandled rejection", { err: reason });
    exit(1);
  };
  const listeners: [string, (value: unknown) => void][] = [
    ...STOP_SIGNALS.map((signal): [string, (value: unknown) => void] => [signal, onSignal]),
    ["uncaughtException", onUncaughtException],
    ["unhandledRejection", onUnhandledRejection],
  ];
  for (const [event, listener] of listeners) events.on(event, listener);

  function exit(code: number): void {
    if (exitCode !== undefined) return;
    exitCode = code;
    for (const [event, listener] of listeners) events.off(event, listener);
    installedOn.delete(events);
    resolveExited(code);
    exitProcess(code);
  }

  const startedAt = performance.now();
  const started: Promise<RunningService | undefined> = (async () => {
    try {
      const running = await options.start({ name, logger, stopping: stopping.signal });
      logger.info("started", { startupMs: elapsedMs(startedAt) });
      return running;
    } catch (error) {
      logger.error("start failed", { err: error });
      exit(1);
      return undefined;
    }
  })();

  let stopped: Promise<number> | undefined;
  function stop(reason = "stop requested"): Promise<number> {
    stopped ??= stopOnce(reason);
    return stopped;
  }

  async function stopOnce(reason: string): Promise<number> {
    stopping.abort();
    logger.info("stopping", { reason, timeoutMs: stopTimeoutMs });
    const running = await started;
    if (running === undefined || exitCode !== undefined) return exited;
    const stopStartedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), stopTimeoutMs);
    });
    try {
      const outcome = await Promise.race([running.stop().then(() => "stopped" as const), timedOut]);
      if (outcome === "timeout") {
        logger.error("stop timed out", { timeoutMs: stopTimeoutMs });
        exit(1);
      } else {
        logger.info("stopped", { stopMs: elapsedMs(stopStartedAt) });
        exit(0);
      }
    } catch (error) {
      logger.error("stop failed", { err: error });
      exit(1);
    } finally {
      clearTimeout(timer);
    }
    return exited;
  }

  return { stop, exited };
}
