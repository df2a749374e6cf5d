/** Small file-system helpers: errno checks, durable directory syncs, temporary names, atomic copies. */

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The errno code ("ENOENT", …) of a Node error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** A Node fs error's reason without the path Node appends ("EACCES: permission denied"). */
export function errnoReason(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  return raw.replace(/,\s*\w+\s+'[^']*'(?:\s*->\s*'[^']*')?$/, "");
}

/** fsync a directory so entries created or renamed in it are durable (skipped where unsupported). */
export async function fsyncDirectory(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch (error) {
    const code = errnoCode(error);
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP") throw error;
  } finally {
    await handle?.close();
  }
}

/** fsync a file's data. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A hidden temporary name beside `path` (same directory, so a rename onto `path` is atomic). */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** True for the names temporaryPathFor makes (and any other hidden file): never listed as objects. */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}

/**
 * Copies `source` to `dest` atomically and durably: a temporary file beside `dest` is written, fsynced and
 * renamed over `dest`, then the directory is fsynced. On failure the temporary file is removed and `dest`
 * is unchanged.
 */
export async function copyFileAtomic(source: string, dest: string): Promise<void> {
  const tmp = temporaryPathFor(dest);
  try {
    await copyFile(source, tmp, constants.COPYFILE_EXCL);
    await fsyncFile(tmp);
    await rename(tmp, dest);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
  await fsyncDirectory(dirname(dest));
}

/** Writes `data` to `path` atomically and durably (temporary file, fsync, rename, directory fsync). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporaryPathFor(path);
  try {
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
