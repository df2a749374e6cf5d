/**
 * Single-owner lock of a spool directory: a `lock` file holding the owner's pid (@facetracker/infra's
 * PidLock). A live owner, or this process while the spool is open here, is refused, so two outboxes never
 * upload the same entries; a stale lock is taken over.
 */

import { PidLock, PidLockError } from "@facetracker/infra";

/** A held spool lock; release() removes the file. */
export interface SpoolLock {
  release(): Promise<void>;
}

/** Takes the lock file `path` (its directory must exist); `what` names the spool in errors. */
export async function acquireSpoolLock(path: string, what: string): Promise<SpoolLock> {
  try {
    return await PidLock.acquire(path);
  } catch (error) {
    if (!(error instanceof PidLockError)) throw error;
    if (error.reason === "contended") {
      throw new Error(`cannot lock ${what}: ${path} keeps being re-created by another process`);
    }
    if (error.heldHere) {
      throw new Error(`${what} is already open in this process (close the other ClipOutbox first)`);
    }
    throw new Error(
      `${what} is in use by process ${error.owner} (lock file ${path}); stop that process, or delete the lock ` +
        "file if it is not using the spool",
    );
  }
}
