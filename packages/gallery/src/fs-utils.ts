/** Small file-system helpers: errno checks, IO errors with the path and reason, durable atomic writes. */

import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { GalleryError } from "./types.ts";

export function errnoCode(error: unknown): string | undefined {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** GalleryError('IO') naming the action, the path and the reason (e.g. "EACCES: permission denied"). */
export function ioError(action: string, path: string, error: unknown): GalleryError {
  if (error instanceof GalleryError) return error;
  const code = errnoCode(error);
  const raw = error instanceof Error ? error.message : String(error);
  // Node messages look like "EACCES: permission denied, open '/x'": keep the reason, we name the path ourselves.
  const reason = raw.replace(/,\s*\w+\s+'[^']*'(?:\s*->\s*'[^']*')?$/, "");
  const text = code && !reason.startsWith(code) ? `${code}: ${reason}` : reason;
  return new GalleryError("IO", `cannot ${action} ${path}: ${text}`, { cause: error });
}

/** fsync a directory so that entries created/renamed in it are durable (best effort where unsupported). */
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

export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Writes `data` to `path` atomically and durably: a temporary file in the same directory is written and
 * fsynced, renamed over `path`, then the directory is fsynced (unless `syncDirectory` is false, for callers
 * that sync it once after several writes). Raw fs errors are thrown (callers map them to GalleryError).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { syncDirectory?: boolean } = {},
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
