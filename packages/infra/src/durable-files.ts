/**
 * Durable file-system writes: directory and file fsyncs, temporary names beside a target, atomic writes and
 * copies (temporary file, fsync, rename, directory fsync), and a mkdir -p that cannot loop.
 */

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errnoCode } from "./errno.ts";

/** fsync a directory so entries created or renamed in it are durable (skipped where unsupported). */
export async function fsyncDirectory(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch (error) {
    // Some platforms/file systems cannot fsync directories (EISDIR/EINVAL/EPERM on Windows, some FUSE).
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

/** True for the names temporaryPathFor makes (and any other hidden file). */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** fsync the directory after the rename (default true); false for callers that sync it once after several writes. */
  syncDirectory?: boolean;
}

/**
 * Copies `source` to `dest` atomically and durably: a temporary file beside `dest` is written, fsynced and
 * renamed over `dest`, then the directory is fsynced. On failure the temporary file is removed and `dest`
 * is unchanged. Raw fs errors are thrown.
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

/**
 * Writes `data` to `path` atomically and durably: a temporary file in the same directory is written and
 * fsynced, renamed over `path`, then the directory is fsynced. Raw fs errors are thrown.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
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
  if (options.syncDirectory ?? true) await fsyncDirectory(dirname(path));
}

/**
 * mkdir -p. (fs.mkdir's own `recursive` can loop forever on file systems that answer ENOENT for a child
 * of an existing directory, e.g. /proc/x: here the parent is created at most once before retrying.)
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "EEXIST") {
      if ((await stat(path)).isDirectory()) return;
      throw error;
    }
    const parent = dirname(path);
    if (code !== "ENOENT" || parent === path) throw error;
    await makeDirectory(parent);
    try {
      await mkdir(path);
    } catch (retryError) {
      if (errnoCode(retryError) === "EEXIST" && (await stat(path)).isDirectory()) return;
      throw retryError;
    }
  }
}
