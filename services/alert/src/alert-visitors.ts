/**
 * The face memory's visitors in alerts: an unknown face's alert names the visitor it is ("unknown visitor
 * #17, third visit today"), and the one-alert-per-person cooldown holds per visitor. The alert service
 * opens the memory the api records into (`<db_path>/memory.sqlite`, shared by processes); a service that
 * cannot open it alerts as before, without visitors.
 */

import { RetryLaterError } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { type FaceMemory, MemoryError, type VisitorSighting } from "@facetracker/face-memory";
import { openConfiguredMemory } from "@facetracker/pipeline/configured-memory";
import type { Logger } from "@facetracker/service-kit";

export interface AlertVisitors {
  /** The visitor an unknown face is, as far as the memory knows it now; undefined when none. */
  lookup(camera: string, trackId: number, embedding: Float32Array | undefined): number | undefined;
  /** Puts the track of an unknown face's alert in its visitor (`hint`: an alert's visitor seen again). */
  join(
    camera: string,
    trackId: number,
    timeMs: number,
    embedding: Float32Array | undefined,
    hint?: number,
  ): VisitorSighting;
  close(): void;
}

/** The start of the local day of `timeMs` (visits "today"). */
export function localDayStart(timeMs: number): number {
  const day = new Date(timeMs);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** A busy database (another process writing for longer than the timeout) is tried again later. */
function retryable<T>(what: () => T): T {
  try {
    return what();
  } catch (error) {
    if (error instanceof MemoryError && error.code === "IO") throw new RetryLaterError(error.message);
    throw error;
  }
}

/** The visitors of the configured face memory, or undefined (logged) when it cannot be opened. */
export function openAlertVisitors(config: FaceTrackerConfig, logger: Logger): AlertVisitors | undefined {
  let memory: FaceMemory;
  try {
    memory = openConfiguredMemory(config);
  } catch (error) {
    logger.warn("the face memory cannot be opened: alerts will not name unknown visitors", {
      dbPath: config.db_path,
      error: (error as Error).message,
    });
    return undefined;
  }
  return {
    lookup: (camera, trackId, embedding) =>
      retryable(() => memory.liveVisitor(camera, trackId, embedding ? [embedding] : [])),
    join: (camera, trackId, timeMs, embedding, hint) =>
      retryable(() =>
        memory.joinLiveVisitor({
          camera,
          trackId,
          timeMs,
          embeddings: embedding ? [embedding] : [],
          ...(hint !== undefined ? { visitor: hint } : {}),
          dayStartMs: localDayStart(timeMs),
        }),
      ),
    close: () => memory.close(),
  };
}
