/**
 * The face memory's live recording: durable consumers ("memory") of the track events, the alerts and the
 * clips write each camera track into the face memory (`<db_path>/memory.sqlite`) as its events come:
 * confirmed starts the record, identified and identity_changed bring the decision, the embedding and the
 * thumbnail, lost and ended its last sighting; an alert names the track's alert, a clip the alert's clip.
 * Each message is acknowledged once written, so a restart goes on where the record stopped; a new consumer
 * starts with what the streams still hold (tracks: 7 days). Retention also runs every hour, so that a
 * quiet site forgets old tracks too.
 */

import { RetryLaterError, type TypedBus } from "@facetracker/bus";
import { type FaceMemory, MemoryError } from "@facetracker/face-memory";
import { alertToMemoryLink, clipToMemoryLink, trackEventToMemoryUpdate } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";

/** The durable consumers' name (one per stream). */
export const MEMORY_DURABLE = "memory";
const RETENTION_EVERY_MS = 3_600_000;

export interface MemoryRecorder {
  stop(): Promise<void>;
}

/** Writes into the memory; a database busy for longer than its timeout is tried again later. */
function write(what: () => void): void {
  try {
    what();
  } catch (error) {
    if (error instanceof MemoryError && error.code === "IO") throw new RetryLaterError(error.message);
    throw error;
  }
}

export async function startMemoryRecorder(
  bus: TypedBus,
  memory: FaceMemory,
  logger: ServiceDeps["logger"],
): Promise<MemoryRecorder> {
  const consumers = [
    await bus.consume("tracks", {
      durable: MEMORY_DURABLE,
      handler: (event) => {
        const update = trackEventToMemoryUpdate(event);
        if (update) write(() => memory.observeLiveTrack(update));
      },
    }),
    await bus.consume("alerts", {
      durable: MEMORY_DURABLE,
      handler: (alert) => write(() => memory.linkAlert(alertToMemoryLink(alert))),
    }),
    await bus.consume("clips", {
      durable: MEMORY_DURABLE,
      handler: (clip) => write(() => memory.linkClip(clipToMemoryLink(clip))),
    }),
  ];
  const retention = setInterval(() => {
    try {
      const forgotten = memory.applyRetention();
      if (forgotten > 0) logger.info("face memory retention", { forgotten });
    } catch (error) {
      logger.warn("face memory retention failed", { error: (error as Error).message });
    }
  }, RETENTION_EVERY_MS);
  retention.unref();
  return {
    async stop() {
      clearInterval(retention);
      for (const consumer of consumers) await consumer.stop();
    },
  };
}
