/**
 * The one registry of child processes that must not outlive this Node process (ffmpeg, apprise,
 * nats-server …): each tracked child is SIGKILLed if the process exits while it still runs.
 */

import type { ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** SIGKILLs every tracked child that still runs (the exit hook; also for a signal that ends the process). */
export function killTrackedChildren(): void {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Tracks a spawned child until it has exited (or failed to start): killed if this process exits first.
 * Idempotent.
 */
export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.on("exit", killTrackedChildren);
    exitHookInstalled = true;
  }
  if (running.has(child)) return;
  running.add(child);
  const forget = () => running.delete(child);
  child.once("exit", forget);
  child.once("close", forget);
}
