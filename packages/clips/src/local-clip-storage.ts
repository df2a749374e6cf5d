/** ClipStorage on a local directory: one file per key, written atomically, served as file:// URLs. */

import type { Dirent } from "node:fs";
import { mkdir, readdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { copyFileAtomic, errnoCode, errnoReason, isHiddenName, realPathInside } from "@facetracker/infra";
import { validateKey, validatePrefix } from "./clip-key.ts";
import { type ClipStorage, ClipStorageError, type StoredClipObject } from "./clip-storage.ts";

/**
 * Clips as files under `directory` (key "cam1/2024-05-17/080309-a1.mp4" → `<directory>/cam1/2024-05-17/…`).
 * put() copies through a hidden temporary file renamed into place, so readers never see a partial clip;
 * hidden files (temporary ones included) are never listed. delete() also removes directories it leaves
 * empty. The directory is created on the first put().
 */
export class LocalClipStorage implements ClipStorage {
  /** Absolute path of the root directory. */
  readonly directory: string;

  constructor(directory: string) {
    if (typeof directory !== "string" || directory.trim() === "") {
      throw new TypeError("LocalClipStorage needs a directory path");
    }
    this.directory = resolve(directory);
  }

  /** The absolute local path of `key` (validated). */
  pathOf(key: string): string {
    validateKey(key);
    return join(this.directory, ...key.split("/"));
  }

  /** The real path of a key's file (pathOf): inside the real directory, else OutsideRootError (EOUTSIDEROOT). */
  #realPath(file: string): Promise<string> {
    return realPathInside(this.directory, file);
  }

  /** Copies `file` to the key's path (atomically); the content type is not kept (a file's extension is). */
  async put(key: string, file: string, _contentType: string): Promise<void> {
    const dest = this.pathOf(key);
    let source: Awaited<ReturnType<typeof stat>>;
    try {
      source = await stat(file);
    } catch (error) {
      throw this.#error(`cannot store ${key}: cannot read the clip file ${file}`, key, error);
    }
    if (!source.isFile()) {
      throw new ClipStorageError(`cannot store ${key} in ${this.describe()}: ${file} is not a regular file`, {
        code: "EISDIR",
        storage: this.describe(),
        key,
      });
    }
    // A concurrent delete()/prune may remove the (then empty) day directory between mkdir and the copy:
    // create it again and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(dest), { recursive: true });
        await copyFileAtomic(file, dest);
        return;
      } catch (error) {
        const sourceGone = errnoCode(error) === "ENOENT" && !(await exists(file));
        if (errnoCode(error) !== "ENOENT" || sourceGone || attempt >= 3) {
          throw this.#error(`cannot store ${key} (from ${file})`, key, error);
        }
      }
    }
  }

  /**
   * The file:// URL of the key's real path (links followed). A key whose file leads outside the directory
   * (a symbolic link out of it) is refused with code EOUTSIDEROOT, as get() and download() refuse it.
   */
  async url(key: string): Promise<string> {
    const file = this.pathOf(key);
    let path: string;
    try {
      path = await this.#realPath(file);
      await stat(path);
    } catch (error) {
      throw this.#error(`cannot make a URL for ${key}`, key, error, true);
    }
    return pathToFileURL(path).href;
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.pathOf(key);
    try {
      return new Uint8Array(await readFile(await this.#realPath(file)));
    } catch (error) {
      throw this.#error(`cannot read ${key}`, key, error, true);
    }
  }

  async download(key: string, destPath: string): Promise<void> {
    const file = this.pathOf(key);
    let path: string;
    try {
      path = await this.#realPath(file);
      await stat(path);
    } catch (error) {
      throw this.#error(`cannot download ${key}`, key, error, true);
    }
    try {
      await mkdir(dirname(resolve(destPath)), { recursive: true });
      await copyFileAtomic(path, resolve(destPath));
    } catch (error) {
      throw this.#error(`cannot download ${key} to ${destPath}`, key, error);
    }
  }

  async list(prefix = ""): Promise<StoredClipObject[]> {
    validatePrefix(prefix);
    // Start the walk at the deepest directory the prefix names completely.
    const slash = prefix.lastIndexOf("/");
    const baseKey = slash < 0 ? "" : prefix.slice(0, slash);
    const objects: StoredClipObject[] = [];
    try {
      await this.#walk(baseKey, prefix, objects);
    } catch (error) {
      throw this.#error(`cannot list${prefix ? ` "${prefix}"` : ""}`, undefined, error);
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async #walk(dirKey: string, prefix: string, out: StoredClipObject[]): Promise<void> {
    const dir = dirKey === "" ? this.directory : join(this.directory, ...dirKey.split("/"));
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") return; // nothing stored there
      throw error;
    }
    for (const entry of entries) {
      if (isHiddenName(entry.name)) continue;
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys can still match the prefix.
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix) || key.startsWith(prefix)) {
          await this.#walk(key, prefix, out);
        }
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const info = await stat(join(dir, entry.name));
          out.push({ key, size: info.size, lastModified: info.mtime });
        } catch (error) {
          if (errnoCode(error) !== "ENOENT") throw error; // deleted meanwhile: skip
        }
      }
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw this.#error(`cannot delete ${key}`, key, error);
    }
    // Remove directories left empty, up to (not including) the root.
    let dir = dirname(path);
    while (dir.startsWith(`${this.directory}/`)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or already gone, or in use): stop
      }
      dir = dirname(dir);
    }
  }

  /** Nothing to release (for symmetry with S3ClipStorage). */
  async close(): Promise<void> {}

  describe(): string {
    return `local directory ${this.directory}`;
  }

  /** A ClipStorageError for a failed fs call; `missingKey`: ENOENT means the object does not exist. */
  #error(action: string, key: string | undefined, error: unknown, missingKey = false): ClipStorageError {
    if (error instanceof ClipStorageError) return error;
    const code = errnoCode(error) ?? "EIO";
    const notFound = missingKey && code === "ENOENT";
    const reason = notFound ? "no such clip" : errnoReason(error);
    return new ClipStorageError(`${action} in ${this.describe()}: ${reason}`, {
      code: notFound ? "NoSuchKey" : code,
      storage: this.describe(),
      ...(key === undefined ? {} : { key }),
      cause: error,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
