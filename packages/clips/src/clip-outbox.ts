/**
 * A durable local spool in front of a ClipStorage, so no clip is lost while S3 is unreachable or the
 * service restarts.
 *
 * Layout of `spoolDir`:
 *   lock                  pid of the process that has the spool open (one ClipOutbox at a time)
 *   incoming/<id>/        an enqueue in progress (left-overs are removed at open: their sources are intact)
 *   pending/<id>/         manifest.json + clip.mp4, clip.json, …: committed, waiting for upload
 *   done/<id>/            stored and reported, being removed
 *   failed/<id>/          entries that cannot ever be uploaded (corrupt manifest, missing file): kept for a human
 *
 * Delivery is at-least-once, made idempotent: an entry is uploaded (every file, the ".mp4" last so a
 * reader that sees the video finds its ".json" too), then onStored is called, then the entry leaves the
 * spool. A crash (or close) anywhere before the removal leaves the entry pending, and the next open()
 * uploads it again to the same keys: S3 PUT and the local rename overwrite whole objects, so the result is
 * the same objects, never a duplicate or a half one. Within one process onStored is called at most once per
 * entry (a failed removal is retried without reporting again); across a crash between onStored and the
 * removal it can be called again for the same key, so consumers should treat the key (or an alert id in
 * meta) as the identity of the clip.
 */

import { randomBytes } from "node:crypto";
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { errnoCode, errnoReason, fsyncDirectory, fsyncFile, writeFileAtomic } from "@facetracker/infra";
import type { ClipStorage } from "./clip-storage.ts";
import {
  type ClipOutboxEntry,
  type ClipOutboxRequest,
  entryFromManifest,
  type OutboxManifest,
  parseManifest,
  spoolFileName,
  validateRequest,
} from "./outbox-entry.ts";
import { acquireSpoolLock, type SpoolLock } from "./spool-lock.ts";

/** What onError is told besides the error. */
export interface ClipOutboxErrorInfo {
  /** Failed attempts of this entry so far in this process (1 for the first failure). */
  attempt: number;
  /** When the next attempt (of this or the next entry) starts; undefined when the entry was set aside. */
  retryInMs: number | undefined;
  /** Where an entry that can never be uploaded was moved (spoolDir/failed/<id>). */
  quarantinedTo?: string;
}

/** Options of ClipOutbox.open. */
export interface ClipOutboxOptions {
  /** The spool directory (created if missing); keep it on persistent storage. */
  spoolDir: string;
  /** Where clips go. */
  storage: ClipStorage;
  /** Backoff after a failure: initialMs (default 1000), doubling up to maxMs (default 60000). */
  retry?: { initialMs?: number; maxMs?: number };
  /**
   * Called once all of an entry's files are stored, with the URL of its primary (".mp4") object, before
   * the entry leaves the spool. If it throws, it is called again after the backoff (the upload is not
   * repeated): publish the clip event here.
   */
  onStored(entry: ClipOutboxEntry, url: string): void | Promise<void>;
  /**
   * Called for each failed attempt (the entry stays and is retried) and for entries set aside as
   * unusable (entry undefined when even its manifest is unreadable). Default: a line on stderr.
   */
  onError?(entry: ClipOutboxEntry | undefined, error: Error, info: ClipOutboxErrorInfo): void;
}

/** enqueue() on a closed outbox, a spool that cannot be written, or an entry that can never be uploaded. */
export class ClipOutboxError extends Error {
  override readonly name = "ClipOutboxError";
}

/** Thrown inside the loop when close() stops it between two steps. */
class Closing extends Error {}

/** An entry that can never be uploaded: it is moved to failed/. */
class UnusableEntry extends Error {}

/** Spool entries reported to onStored by this process and not removed yet, per spool directory. */
const reportedInProcess = new Map<string, Set<string>>();

let idSequence = 0;

/** Ids sort by enqueue time: milliseconds, a per-process sequence, randomness. */
function newEntryId(): string {
  idSequence = (idSequence + 1) % 1_000_000;
  return `${Date.now().toString().padStart(14, "0")}-${String(idSequence).padStart(6, "0")}-${randomBytes(4).toString("hex")}`;
}

function defaultOnError(entry: ClipOutboxEntry | undefined, error: Error, info: ClipOutboxErrorInfo): void {
  const retry = info.retryInMs === undefined ? "" : `; retrying in ${info.retryInMs} ms`;
  const where = info.quarantinedTo ? `; moved to ${info.quarantinedTo}` : "";
  process.stderr.write(
    `[clips] outbox: ${entry ? `clip ${entry.key}: ` : ""}${error.message}${retry}${where}\n`,
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Moves or copies `source` to `dest`: a hard link when on the same file system (then the source is unlinked). */
async function placeFile(source: string, dest: string, keepSource: boolean): Promise<void> {
  if (!keepSource) {
    try {
      await link(source, dest);
      return;
    } catch (error) {
      const code = errnoCode(error);
      // Another file system, or one without hard links: copy instead.
      if (
        code !== "EXDEV" &&
        code !== "EPERM" &&
        code !== "ENOTSUP" &&
        code !== "EMLINK" &&
        code !== "ENOSYS"
      ) {
        throw error;
      }
    }
  }
  await copyFile(source, dest);
}

/**
 * The outbox: enqueue() puts a clip in the spool durably and returns; a background loop uploads entries
 * oldest first, retrying with backoff forever (until close()). open() on a spool with pending entries
 * resumes them. See the module comment for the exactly-once reasoning.
 */
export class ClipOutbox {
  readonly spoolDir: string;
  readonly #storage: ClipStorage;
  readonly #onStored: ClipOutboxOptions["onStored"];
  readonly #onError: NonNullable<ClipOutboxOptions["onError"]>;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #lock: SpoolLock;
  readonly #reported: Set<string>;
  /** Pending entries in the order they are tried (a failed one goes to the back). */
  #queue: ClipOutboxEntry[] = [];
  /** Files already uploaded in this process, per entry id (a retry skips them). */
  readonly #uploaded = new Map<string, Set<string>>();
  readonly #attempts = new Map<string, number>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #enqueues = new Set<Promise<ClipOutboxEntry>>();
  #delayMs: number;
  #closed = false;
  /** Ends the wait for work (enqueue, close). */
  #wakeIdle: (() => void) | undefined;
  /** Ends the backoff sleep (close only: new entries wait for the backoff like the others). */
  #wakeSleep: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();

  private constructor(options: ClipOutboxOptions, spoolDir: string, lock: SpoolLock) {
    this.spoolDir = spoolDir;
    this.#storage = options.storage;
    this.#onStored = options.onStored;
    this.#onError = options.onError ?? defaultOnError;
    this.#initialMs = options.retry?.initialMs ?? 1000;
    this.#maxMs = options.retry?.maxMs ?? 60_000;
    this.#delayMs = this.#initialMs;
    this.#lock = lock;
    let reported = reportedInProcess.get(spoolDir);
    if (!reported) {
      reported = new Set();
      reportedInProcess.set(spoolDir, reported);
    }
    this.#reported = reported;
  }

  /**
   * Opens (creating) the spool, takes its lock, clears left-overs of interrupted enqueues and removals,
   * loads pending entries and starts uploading them. Throws ClipOutboxError when the spool cannot be
   * used (not writable, or open in another live process).
   */
  static async open(options: ClipOutboxOptions): Promise<ClipOutbox> {
    if (typeof options?.spoolDir !== "string" || options.spoolDir === "") {
      throw new TypeError("ClipOutbox.open: spoolDir is required");
    }
    if (!options.storage || typeof options.storage.put !== "function") {
      throw new TypeError("ClipOutbox.open: storage must be a ClipStorage");
    }
    if (typeof options.onStored !== "function") throw new TypeError("ClipOutbox.open: onStored is required");
    const initialMs = options.retry?.initialMs ?? 1000;
    const maxMs = options.retry?.maxMs ?? 60_000;
    if (!(Number.isFinite(initialMs) && initialMs > 0 && Number.isFinite(maxMs) && maxMs >= initialMs)) {
      throw new TypeError(
        `ClipOutbox.open: retry needs 0 < initialMs <= maxMs, got initialMs ${initialMs}, maxMs ${maxMs}`,
      );
    }
    const spoolDir = resolve(options.spoolDir);
    let lock: SpoolLock;
    try {
      for (const sub of ["incoming", "pending", "done", "failed"]) {
        await mkdir(join(spoolDir, sub), { recursive: true });
      }
      lock = await acquireSpoolLock(join(spoolDir, "lock"), `clip spool ${spoolDir}`);
    } catch (error) {
      throw new ClipOutboxError(`cannot open the clip spool ${spoolDir}: ${errnoReason(error)}`, {
        cause: error,
      });
    }
    const outbox = new ClipOutbox(options, spoolDir, lock);
    try {
      await outbox.#recover();
    } catch (error) {
      await lock.release();
      throw new ClipOutboxError(`cannot read the clip spool ${spoolDir}: ${errnoReason(error)}`, {
        cause: error,
      });
    }
    outbox.#loop = outbox.#run();
    return outbox;
  }

  /**
   * Puts a clip in the spool and returns its entry once it is durable (files and manifest fsynced); the
   * upload happens later. The files are moved in (hard link + unlink, or copy + unlink across file
   * systems) unless `keepSource`; on failure nothing is moved and the sources are left as they were.
   */
  async enqueue(request: ClipOutboxRequest): Promise<ClipOutboxEntry> {
    if (this.#closed) throw new ClipOutboxError(`cannot enqueue ${request?.key}: the clip outbox is closed`);
    validateRequest(request);
    let meta: Record<string, unknown>;
    try {
      // As the manifest keeps it: onStored sees the same meta before and after a restart.
      meta = JSON.parse(JSON.stringify(request.meta ?? {}));
    } catch (error) {
      throw new TypeError(
        `enqueue ${request.key}: meta is not JSON-serializable: ${(error as Error).message}`,
      );
    }
    const done = this.#spool(request, meta);
    this.#enqueues.add(done);
    try {
      return await done;
    } finally {
      this.#enqueues.delete(done);
    }
  }

  async #spool(request: ClipOutboxRequest, meta: Record<string, unknown>): Promise<ClipOutboxEntry> {
    const files: OutboxManifest["files"] = [];
    for (const file of request.files) {
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(file.path);
      } catch (error) {
        throw new ClipOutboxError(
          `cannot enqueue ${request.key}: cannot read its "${file.suffix}" file ${file.path}: ${errnoReason(error)}`,
          { cause: error },
        );
      }
      if (!info.isFile()) {
        throw new ClipOutboxError(`cannot enqueue ${request.key}: ${file.path} is not a regular file`);
      }
      files.push({
        suffix: file.suffix,
        name: spoolFileName(file.suffix),
        contentType: file.contentType,
        size: info.size,
      });
    }
    const id = newEntryId();
    const manifest: OutboxManifest = {
      version: 1,
      id,
      key: request.key,
      enqueuedAt: new Date().toISOString(),
      meta,
      files,
    };
    const incoming = join(this.spoolDir, "incoming", id);
    const pending = join(this.spoolDir, "pending", id);
    try {
      await mkdir(incoming);
      for (const [index, file] of request.files.entries()) {
        const dest = join(incoming, spoolFileName(file.suffix));
        await placeFile(file.path, dest, request.keepSource ?? false);
        await fsyncFile(dest);
        const size = (await stat(dest)).size;
        const expected = files[index];
        if (expected) expected.size = size; // the size committed is the size spooled
      }
      await writeFileAtomic(join(incoming, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(incoming, pending); // the commit point
      await fsyncDirectory(join(this.spoolDir, "pending"));
    } catch (error) {
      await rm(incoming, { recursive: true, force: true }).catch(() => {});
      throw new ClipOutboxError(`cannot spool ${request.key} in ${this.spoolDir}: ${errnoReason(error)}`, {
        cause: error,
      });
    }
    if (!request.keepSource) {
      for (const file of request.files) await unlink(file.path).catch(() => {}); // already spooled: best effort
    }
    const entry = entryFromManifest(manifest, pending);
    this.#queue.push(entry);
    this.#wakeIdle?.();
    return structuredClone(entry);
  }

  /** Entries in the spool not yet stored and reported, oldest first. */
  pending(): ClipOutboxEntry[] {
    return this.#queue
      .map((entry) => structuredClone(entry))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Resolves once no entry is pending (at once when none is): every clip enqueued so far is stored,
   * reported and out of the spool. Waits as long as that takes (S3 down: indefinitely); resolves on close()
   * too. For a graceful shutdown, race it with a deadline, then close().
   */
  whenIdle(): Promise<void> {
    if (this.#queue.length === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolveIdle) => this.#idleWaiters.push(resolveIdle));
  }

  #notifyIdle(): void {
    if (this.#queue.length > 0 && !this.#closed) return;
    for (const resolveIdle of this.#idleWaiters.splice(0)) resolveIdle();
  }

  /**
   * Stops the loop: the step in progress (one file's upload, the onStored call and the removal after it)
   * finishes, no other starts; entries not finished stay in the spool for the next open(). Releases the lock.
   * Idempotent. The storage is not closed (it is the caller's).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#wakeIdle?.();
      this.#wakeSleep?.();
    }
    await Promise.allSettled(this.#enqueues); // an enqueue under way completes (its entry stays pending)
    await this.#loop;
    this.#notifyIdle();
    await this.#lock.release();
  }

  /** Resolves after `ms`, or at once on close(). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolveSleep) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolveSleep();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }

  /** Resolves on enqueue() or close(). */
  #idle(): Promise<void> {
    return new Promise((resolveIdle) => {
      this.#wakeIdle = () => {
        this.#wakeIdle = undefined;
        resolveIdle();
      };
    });
  }

  async #recover(): Promise<void> {
    // Interrupted enqueues never returned and their sources were not unlinked: drop the partial copies.
    // Interrupted removals were reported: finish removing them.
    for (const sub of ["incoming", "done"]) {
      for (const name of await readdir(join(this.spoolDir, sub))) {
        await rm(join(this.spoolDir, sub, name), { recursive: true, force: true });
      }
    }
    const ids = (await readdir(join(this.spoolDir, "pending")))
      .filter((name) => !name.startsWith("."))
      .sort();
    for (const id of ids) {
      const dir = join(this.spoolDir, "pending", id);
      try {
        const manifest = parseManifest(await readFile(join(dir, "manifest.json"), "utf8"), id);
        this.#queue.push(entryFromManifest(manifest, dir));
      } catch (error) {
        const code = errnoCode(error);
        if (code !== undefined && code !== "ENOENT" && code !== "ENOTDIR") throw error; // I/O trouble: fail open()
        const to = await this.#quarantine(id);
        this.#report(
          undefined,
          new ClipOutboxError(`spool entry ${dir} is unusable: ${errnoReason(error)}`),
          {
            attempt: 1,
            retryInMs: undefined,
            quarantinedTo: to,
          },
        );
      }
    }
  }

  async #quarantine(id: string): Promise<string> {
    const to = join(this.spoolDir, "failed", id);
    await rename(join(this.spoolDir, "pending", id), to);
    await fsyncDirectory(join(this.spoolDir, "pending"));
    return to;
  }

  #report(entry: ClipOutboxEntry | undefined, error: Error, info: ClipOutboxErrorInfo): void {
    try {
      this.#onError(entry === undefined ? undefined : structuredClone(entry), error, info);
    } catch {
      // A failing error handler must not stop the loop.
    }
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const entry = this.#queue[0];
      if (!entry) {
        await this.#idle();
        continue;
      }
      try {
        await this.#deliver(entry);
        this.#queue.shift();
        this.#attempts.delete(entry.id);
        this.#delayMs = this.#initialMs;
        this.#notifyIdle();
      } catch (caught) {
        if (caught instanceof Closing) break;
        const error = asError(caught);
        const attempt = (this.#attempts.get(entry.id) ?? 0) + 1;
        this.#attempts.set(entry.id, attempt);
        if (error instanceof UnusableEntry) {
          this.#queue.shift();
          this.#notifyIdle();
          this.#uploaded.delete(entry.id);
          let to: string | undefined;
          try {
            to = await this.#quarantine(entry.id);
          } catch (moveError) {
            error.message += ` (and it could not be moved to failed/: ${errnoReason(moveError)})`;
          }
          this.#report(entry, new ClipOutboxError(error.message, { cause: error.cause }), {
            attempt,
            retryInMs: undefined,
            ...(to === undefined ? {} : { quarantinedTo: to }),
          });
          continue;
        }
        const delay = this.#delayMs;
        this.#delayMs = Math.min(this.#delayMs * 2, this.#maxMs);
        this.#report(entry, error, { attempt, retryInMs: delay });
        // To the back of the queue, so one entry the storage refuses does not hold the others up.
        this.#queue.push(...this.#queue.splice(0, 1));
        await this.#sleep(delay);
      }
    }
  }

  /** Uploads, reports and removes one entry; each step is skipped when done before in this process. */
  async #deliver(entry: ClipOutboxEntry): Promise<void> {
    if (!this.#reported.has(entry.id)) {
      let uploaded = this.#uploaded.get(entry.id);
      if (!uploaded) {
        uploaded = new Set();
        this.#uploaded.set(entry.id, uploaded);
      }
      for (const file of entry.files) {
        if (uploaded.has(file.suffix)) continue;
        if (this.#closed) throw new Closing();
        await this.#checkSpooledFile(entry, file);
        await this.#storage.put(file.key, file.path, file.contentType);
        uploaded.add(file.suffix);
      }
      if (this.#closed) throw new Closing();
      const url = await this.#storage.url(entry.primaryKey);
      await this.#onStored(structuredClone(entry), url);
      this.#reported.add(entry.id);
      this.#uploaded.delete(entry.id);
    }
    // Once reported, the removal runs even when closing: it is quick, and skipping it would report again.
    const done = join(this.spoolDir, "done", entry.id);
    try {
      await rename(join(this.spoolDir, "pending", entry.id), done);
      await fsyncDirectory(join(this.spoolDir, "pending"));
    } catch (error) {
      throw new ClipOutboxError(
        `clip ${entry.key} is stored but cannot be removed from the spool: ${errnoReason(error)}`,
        {
          cause: error,
        },
      );
    }
    this.#reported.delete(entry.id);
    await rm(done, { recursive: true, force: true }).catch(() => {}); // cleared at the next open() otherwise
  }

  async #checkSpooledFile(entry: ClipOutboxEntry, file: ClipOutboxEntry["files"][number]): Promise<void> {
    let size: number;
    try {
      size = (await stat(file.path)).size;
    } catch (error) {
      if (errnoCode(error) === "ENOENT") {
        throw new UnusableEntry(`clip ${entry.key}: its spooled file ${file.path} is missing`);
      }
      throw new ClipOutboxError(`clip ${entry.key}: cannot read ${file.path}: ${errnoReason(error)}`, {
        cause: error,
      });
    }
    if (size !== file.size) {
      throw new UnusableEntry(
        `clip ${entry.key}: its spooled file ${file.path} has ${size} bytes, the manifest says ${file.size}`,
      );
    }
  }
}
