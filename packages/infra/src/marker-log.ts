/**
 * MarkerLog: a small durable map of string keys to JSON values, for what a service must remember across
 * its own crash and an outage of the bus: which effects already happened (a notification sent to a
 * destination, an alert's clip spooled). One file, one JSON record per line (`{"t":ms,"k":key,"v":value}`),
 * appended and fsync'ed before set() resolves; read into memory at open, the latest record of a key
 * winning. A torn last line (a crash mid-write) is cut off; a damaged line anywhere else stops the open
 * with an error naming the file and the line. Records older than maxAgeMs are forgotten at open, and the
 * file is rewritten atomically when forgotten or superseded records dominate.
 */

import { mkdir, open, readFile, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { fsyncDirectory, writeFileAtomic } from "./durable-files.ts";
import { errnoCode, errnoReason } from "./errno.ts";

/** Options of MarkerLog.open. */
export interface MarkerLogOptions {
  /** Records older than this are forgotten at open, ms (e.g. the longest a message can be redelivered). */
  maxAgeMs: number;
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

interface MarkerRecord {
  t: number;
  k: string;
  v: unknown;
}

/** A damaged marker file (not a torn last line): names the file and the line. */
export class MarkerLogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MarkerLogError";
  }
}

function parseRecord(line: string): MarkerRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<MarkerRecord>;
    if (typeof r !== "object" || r === null) return undefined;
    if (typeof r.t !== "number" || typeof r.k !== "string" || !("v" in r)) return undefined;
    return { t: r.t, k: r.k, v: r.v };
  } catch {
    return undefined;
  }
}

const line = (record: MarkerRecord) => `${JSON.stringify(record)}\n`;

/** Durable key → JSON value records in an append-only file (see the module comment). */
export class MarkerLog<V = unknown> {
  /** The file. */
  readonly path: string;
  readonly #records: Map<string, MarkerRecord>;
  readonly #now: () => number;
  #handle: Awaited<ReturnType<typeof open>> | undefined;
  /** Appends in order, one at a time (each waits for the previous one's fsync). */
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, records: Map<string, MarkerRecord>, now: () => number) {
    this.path = path;
    this.#records = records;
    this.#now = now;
  }

  /** Opens (creating) the file and reads it; rejects with a MarkerLogError when a line is damaged. */
  static async open<V = unknown>(path: string, options: MarkerLogOptions): Promise<MarkerLog<V>> {
    const { maxAgeMs } = options;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
      throw new RangeError(`MarkerLog ${path}: maxAgeMs must be a positive number, got ${maxAgeMs}`);
    }
    const now = options.now ?? Date.now;
    await mkdir(dirname(path), { recursive: true });
    let text = "";
    let created = false;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") {
        throw new MarkerLogError(`cannot read the marker file ${path}: ${errnoReason(error)}`, {
          cause: error,
        });
      }
      created = true;
    }
    // A last line without its newline was cut short by a crash mid-write: it never counted.
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) {
      await truncate(path, Buffer.byteLength(text.slice(0, end)));
      text = text.slice(0, end);
    }
    const records = new Map<string, MarkerRecord>();
    const lines = text.split("\n");
    lines.pop(); // after the last newline
    const oldest = now() - maxAgeMs;
    let total = 0;
    lines.forEach((text, i) => {
      if (text === "") return;
      total++;
      const record = parseRecord(text);
      if (!record) {
        throw new MarkerLogError(
          `the marker file ${path} is damaged at line ${i + 1} (not a {"t","k","v"} JSON record): ${text.slice(0, 120)}`,
        );
      }
      records.delete(record.k); // the newest record of a key is the one kept, in its place
      if (record.t >= oldest) records.set(record.k, record);
    });
    const log = new MarkerLog<V>(path, records, now);
    // Forgotten and superseded lines dominate: the file is rewritten with the live records only.
    const dead = total - records.size;
    if (dead > 0 && dead >= records.size) {
      await writeFileAtomic(path, [...records.values()].map(line).join(""));
    }
    log.#handle = await open(path, "a");
    if (created) await fsyncDirectory(dirname(path));
    return log;
  }

  /** Keys held (forgotten ones excluded). */
  get size(): number {
    return this.#records.size;
  }

  /** Whether `key` holds a value. */
  has(key: string): boolean {
    return this.#records.has(key);
  }

  /** The value under `key`, or undefined. */
  get(key: string): V | undefined {
    return this.#records.get(key)?.v as V | undefined;
  }

  /** Every key with its value, oldest set first. */
  entries(): [string, V][] {
    return [...this.#records.values()].map((r) => [r.k, r.v as V]);
  }

  /**
   * Sets the values (one append, one fsync for all of them); resolves once they are durable, rejects when
   * they could not be written (then they are not set either).
   */
  set(entries: Iterable<readonly [string, V]>): Promise<void> {
    const t = this.#now();
    const records = [...entries].map(([k, v]) => ({ t, k, v }) satisfies MarkerRecord);
    const write = this.#writes.then(async () => {
      const handle = this.#handle;
      if (this.#closed || !handle) throw new MarkerLogError(`the marker file ${this.path} is closed`);
      if (records.length === 0) return;
      try {
        await handle.appendFile(records.map(line).join(""));
        await handle.sync();
      } catch (error) {
        throw new MarkerLogError(`cannot write the marker file ${this.path}: ${errnoReason(error)}`, {
          cause: error,
        });
      }
      for (const record of records) {
        this.#records.delete(record.k); // re-set: now the newest
        this.#records.set(record.k, record);
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /** Waits for the writes in progress, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes;
    this.#closed = true;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
