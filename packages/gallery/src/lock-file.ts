/**
 * Single-writer lock: a file containing the owner's pid, created exclusively ('wx'). A lock whose pid is no
 * longer alive (on this host) is stale and taken over; a live one is GalleryError('LOCKED').
 */

import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { errnoCode, ioError } from "./fs-utils.ts";
import { GalleryError } from "./types.ts";

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}

function parsePid(text: string): number | undefined {
  const match = /^\s*(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

async function readPid(path: string): Promise<number | undefined | "absent"> {
  try {
    return parsePid(await readFile(path, "utf8"));
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return "absent";
    throw error;
  }
}

export class LockFile {
  readonly path: string;
  #released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** Acquires the lock at `path` (the file is created; its directory must exist). */
  static async acquire(path: string): Promise<LockFile> {
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await tryCreate(path)) return new LockFile(path);
        const owner = await readOwner(path);
        if (owner === "absent") continue; // released meanwhile: try again
        if (owner !== undefined && isProcessAlive(owner)) {
          throw new GalleryError(
            "LOCKED",
            `gallery is locked: ${path} is held by process ${owner}` +
              (owner === process.pid ? " (this process: the gallery is already open)" : "") +
              "; close the other instance, or delete the file if that process is not using it",
          );
        }
        await removeStale(path, owner);
      }
      throw new GalleryError(
        "LOCKED",
        `could not acquire ${path}: it keeps being re-created by another process`,
      );
    } catch (error) {
      throw error instanceof GalleryError ? error : ioError("lock", path, error);
    }
  }

  /** Removes the lock file if it still names this process. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const owner = await readPid(this.path);
    if (owner === process.pid) await rm(this.path, { force: true });
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
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
    throw error;
  }
  await handle.close();
  return true;
}

/**
 * The pid in the lock file. An empty/unreadable content is re-read a few times (the owner may be between
 * creating the file and writing its pid) before it is considered stale (undefined).
 */
async function readOwner(path: string): Promise<number | undefined | "absent"> {
  for (let i = 0; i < 5; i++) {
    const owner = await readPid(path);
    if (owner !== undefined) return owner;
    await sleep(20);
  }
  return undefined;
}

/**
 * Removes a stale lock without racing another process doing the same: the file is first renamed aside,
 * and if what was moved is not the stale lock we looked at (someone took it over meanwhile), it is put back.
 */
async function removeStale(path: string, stalePid: number | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return;
    throw error;
  }
  const moved = await readPid(aside);
  if (moved !== stalePid && moved !== "absent" && moved !== undefined && isProcessAlive(moved)) {
    await link(aside, path).catch(() => {});
  }
  await rm(aside, { force: true });
}
