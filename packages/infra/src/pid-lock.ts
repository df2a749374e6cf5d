/**
 * Single-owner lock files: a file holding the owner's pid, created exclusively ('wx'). A lock this process
 * holds is refused at once; a lock naming a live process is refused; any other lock (its process is gone,
 * its content is empty or garbage, or it names this process's pid without being held here: left by an
 * earlier process that had the same pid) is stale and taken over without racing another process doing the
 * same. Refusals are PidLockError, which callers turn into their own messages.
 */

import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errnoCode } from "./errno.ts";
import { isProcessAlive } from "./process-alive.ts";

/** Lock files held (or being taken) by this process, by absolute path. */
const heldHere = new Set<string>();

/** Why a lock was refused: `held` (by `owner`, this process when `heldHere`), or `contended`. */
export class PidLockError extends Error {
  readonly reason: "held" | "contended";
  readonly path: string;
  /** The pid holding the lock (reason `held`). */
  readonly owner: number | undefined;
  /** This process holds the lock already. */
  readonly heldHere: boolean;

  constructor(reason: "held" | "contended", path: string, owner?: number) {
    super(
      reason === "held"
        ? `${path} is held by process ${owner}${owner === process.pid ? " (this process)" : ""}`
        : `${path} keeps being re-created by another process`,
    );
    this.name = "PidLockError";
    this.reason = reason;
    this.path = path;
    this.owner = owner;
    this.heldHere = owner === process.pid;
  }
}

/** A held lock file; release() removes it. */
export class PidLock {
  readonly path: string;
  readonly #key: string;
  #released = false;

  private constructor(path: string, key: string) {
    this.path = path;
    this.#key = key;
  }

  /**
   * Takes the lock file `path` (its directory must exist). Rejects with PidLockError when it is held, and
   * with the raw fs error when the file cannot be created or read.
   */
  static async acquire(path: string): Promise<PidLock> {
    const key = resolve(path);
    if (heldHere.has(key)) throw new PidLockError("held", path, process.pid);
    heldHere.add(key); // before any await: a second acquire in this process is refused above
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await tryCreate(path)) return new PidLock(path, key);
        const owner = await readOwner(path);
        if (owner === "absent") continue; // released meanwhile: try again
        if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
          throw new PidLockError("held", path, owner);
        }
        await removeStale(path, owner);
      }
      throw new PidLockError("contended", path);
    } catch (error) {
      heldHere.delete(key);
      throw error;
    }
  }

  /** Removes the lock file if it still names this process. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      if ((await readPid(this.path)) === process.pid) await rm(this.path, { force: true });
    } finally {
      heldHere.delete(this.#key);
    }
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
