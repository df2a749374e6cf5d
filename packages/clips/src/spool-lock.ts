/**
 * Single-owner lock of a spool directory: a `lock` file holding the owner's pid, created exclusively.
 * A lock whose process is gone is stale and taken over; a live owner (or this process, while the spool is
 * open here) is refused, so two outboxes never upload the same entries.
 */

import { open, readFile, rm } from "node:fs/promises";
import { errnoCode } from "./fs-helpers.ts";

/** Spool lock files held by this process. */
const heldHere = new Set<string>();

/** True when a process with this pid exists (EPERM: it exists, another user's). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}

async function tryCreate(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o644);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(path: string): Promise<number | undefined | "absent"> {
  try {
    const match = /^\s*(\d+)\s*$/.exec(await readFile(path, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return "absent";
    throw error;
  }
}

/** A held spool lock; release() removes the file. */
export interface SpoolLock {
  release(): Promise<void>;
}

/** Takes the lock file `path` (its directory must exist); `what` names the spool in errors. */
export async function acquireSpoolLock(path: string, what: string): Promise<SpoolLock> {
  if (heldHere.has(path)) {
    throw new Error(`${what} is already open in this process (close the other ClipOutbox first)`);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(path)) {
      heldHere.add(path);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          await rm(path, { force: true });
        },
      };
    }
    const owner = await readOwner(path);
    if (owner === "absent") continue;
    if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
      throw new Error(
        `${what} is in use by process ${owner} (lock file ${path}); stop that process, or delete the lock ` +
          "file if it is not using the spool",
      );
    }
    // Stale: its process is gone (or it is this process's own, left by an outbox never closed).
    await rm(path, { force: true });
  }
  throw new Error(`cannot lock ${what}: ${path} keeps being re-created by another process`);
}
