/**
 * Watches the pipeline's private nats-server: when it dies, says so and starts it again on the same port
 * and store (the services keep their URL and reconnect by themselves), after 1 s, then 2, 4 … 30 s while
 * it keeps dying or cannot start (once it has run 10 s, the next restart is after 1 s again). Its health is `true` while it runs, else why not.
 */

import type { NatsServerChild, NatsServerExit } from "@facetracker/bus";
import { abortableSleep, type BackoffOptions, backoffDelayMs } from "@facetracker/infra";
import type { PipelineLog } from "./pipeline-log.ts";

/** Delays between restarts. */
export const NATS_RESTART_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2 };
/** A server that ran this long before dying is restarted after the first delay again. */
const STABLE_MS = 10_000;

export interface NatsSupervisor {
  /** true while the server runs; else since when it is down and why. */
  health(): true | string;
  /** Stops watching (a restart in progress is abandoned); the server itself is stopped by its owner. */
  stop(): Promise<void>;
}

/** How a server ended, in words: "signal SIGKILL", "exit code 1: <its last log line>". */
function describeExit({ code, signal, log }: NatsServerExit): string {
  if (signal) return `signal ${signal}`;
  const last = log.trim().split("\n").at(-1)?.trim();
  return `exit code ${code}${code !== 0 && last ? `: ${last}` : ""}`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** Supervises `nats` (started already) until stop(); `onRestarted` is told each new pid. */
export function superviseNats(
  nats: NatsServerChild,
  log: PipelineLog,
  onRestarted: (pid: number) => void | Promise<void> = () => {},
): NatsSupervisor {
  const stopping = new AbortController();
  let down: { since: Date; why: string } | undefined;
  let streak = 0; // restarts without STABLE_MS of uptime in between

  const stopped = new Promise<undefined>((resolve) =>
    stopping.signal.addEventListener("abort", () => resolve(undefined), { once: true }),
  );

  async function watch(): Promise<void> {
    let startedAt = Date.now();
    for (;;) {
      const pid = nats.pid;
      const exit = await Promise.race([nats.exited, stopped]);
      if (exit === undefined || stopping.signal.aborted) return;
      if (Date.now() - startedAt >= STABLE_MS) streak = 0;
      const how = describeExit(exit);
      down = { since: new Date(), why: `nats-server pid ${pid} exited (${how})` };
      let message = `nats-server pid ${pid} died (${how}); restarting it on ${nats.url} (same JetStream store)`;
      for (;;) {
        streak++;
        const delay = backoffDelayMs(streak, NATS_RESTART_BACKOFF);
        log({ level: "warn", message: `${message} in ${delay / 1000} s` });
        if (!(await abortableSleep(delay, stopping.signal))) return;
        try {
          await nats.restart();
          break;
        } catch (error) {
          if (stopping.signal.aborted) return;
          down.why = `cannot restart nats-server: ${firstLine(error)}`;
          message = `${down.why} (attempt ${streak}); trying again`;
        }
      }
      const seconds = ((Date.now() - down.since.getTime()) / 1000).toFixed(1);
      down = undefined;
      startedAt = Date.now();
      log({
        level: "warn",
        message: `restarted nats-server ${nats.url} (pid ${nats.pid}, JetStream store ${nats.storeDir}) after ${seconds} s down`,
      });
      await onRestarted(nats.pid);
    }
  }

  const watching = watch().catch((error: Error) =>
    log({ level: "warn", message: `nats-server supervision stopped: ${error.message}` }),
  );
  return {
    health: () => (down ? `down since ${down.since.toISOString()}: ${down.why}; restarting it` : true),
    async stop() {
      stopping.abort();
      await watching;
    },
  };
}
