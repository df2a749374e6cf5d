/**
 * Single-writer lock of an embedded gallery: the `LOCK` file holding the owner's pid (@facetracker/infra's
 * PidLock). A live owner, or this process while the gallery is open here, is GalleryError('LOCKED'); a stale
 * lock is taken over.
 */

import { PidLock, PidLockError } from "@facetracker/infra";
import { ioError } from "./io-error.ts";
import { GalleryError } from "./types.ts";

/** Acquires the lock at `path` (the file is created; its directory must exist). */
export async function acquireGalleryLock(path: string): Promise<PidLock> {
  try {
    return await PidLock.acquire(path);
  } catch (error) {
    if (!(error instanceof PidLockError)) throw ioError("lock", path, error);
    if (error.reason === "contended") {
      throw new GalleryError(
        "LOCKED",
        `could not acquire ${path}: it keeps being re-created by another process`,
      );
    }
    throw new GalleryError(
      "LOCKED",
      `gallery is locked: ${path} is held by process ${error.owner}` +
        (error.heldHere ? " (this process: the gallery is already open)" : "") +
        "; close the other instance, or delete the file if that process is not using it",
    );
  }
}
