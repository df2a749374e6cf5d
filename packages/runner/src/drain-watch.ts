/** When a finite run is over: every camera ended and every stage processed what was published. */

import { type MessageKind, streamOf, type TypedBus } from "@facetracker/bus";
import { abortableSleep } from "@facetracker/infra";
import type { HostedServices } from "./hosted-services.ts";
import type { PipelineLog } from "./pipeline-log.ts";

/** The durable consumers that must be caught up before a finite run is over. */
const durables: [MessageKind, string][] = [
  ["frames", "detect"],
  ["detections", "track_*"],
  ["tracks", "alert_*"],
  ["alerts", "notify"],
  ["alerts", "clip-recorder_*"],
  // The api's face memory records every track (and its alert and clip) before a finite run is over.
  ["tracks", "memory"],
  ["alerts", "memory"],
  ["clips", "memory"],
];

/**
 * Resolves once the services say every camera ended and no durable consumer of the pipeline has
 * anything pending or unacknowledged, or once `signal` aborts (checked every 500 ms).
 */
export async function untilDrained(
  services: HostedServices,
  bus: TypedBus,
  log: PipelineLog,
  signal: AbortSignal,
): Promise<void> {
  while (await abortableSleep(500, signal)) {
    if (!services.finished()) continue;
    let pending = 0;
    for (const [kind, durable] of durables) {
      try {
        const backlog = await bus.backlog(kind, durable);
        pending += backlog.pending + backlog.ackPending;
      } catch (error) {
        log({
          level: "warn",
          message: `consumer info of ${durable} on ${streamOf(kind)}: ${(error as Error).message}`,
        });
      }
    }
    if (pending === 0) return;
  }
}
