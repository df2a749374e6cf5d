/**
 * The services' log files of an embedded run: DATA/logs/SERVICE.log, one JSON object per line, rotated by
 * size (SERVICE.log → SERVICE.log.1 → SERVICE.log.2 …, the oldest dropped). `facetracker logs` reads them.
 */

import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";

/** The folder under the data directory. */
export const LOG_DIR = "logs";
/** A log file is rotated when a line would take it past this size. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 2 ** 20;
/** Rotated files kept per service (SERVICE.log.1 … .N). */
export const DEFAULT_LOG_FILES = 3;

/** A log file written line by line (synchronously: lines stay whole and in order), rotated by size. */
export class RotatingLogFile {
  readonly file: string;
  readonly #maxBytes: number;
  readonly #files: number;
  #fd: number | undefined;
  #size = 0;

  constructor(file: string, options: { maxBytes?: number; files?: number } = {}) {
    this.file = file;
    this.#maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.#files = options.files ?? DEFAULT_LOG_FILES;
    if (!(this.#maxBytes > 0)) throw new RangeError(`maxBytes must be above 0, got ${this.#maxBytes}`);
    if (!(Number.isInteger(this.#files) && this.#files >= 1))
      throw new RangeError(`files must be a whole number from 1, got ${this.#files}`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#open();
  }

  /** Appends one line (a newline is added). */
  write(line: string): void {
    const bytes = Buffer.from(`${line}\n`);
    if (this.#size > 0 && this.#size + bytes.length > this.#maxBytes) this.#rotate();
    if (this.#fd === undefined) this.#open();
    writeSync(this.#fd as number, bytes);
    this.#size += bytes.length;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    this.#fd = openSync(this.file, "a", 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate(): void {
    this.close();
    rmSync(`${this.file}.${this.#files}`, { force: true });
    for (let i = this.#files - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.#open();
  }
}

/** The services that have a log in `dir`, sorted. */
export function loggedServices(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .map((f) => f.slice(0, -".log".length))
    .sort();
}

/** A service's log files, oldest first (SERVICE.log.N … SERVICE.log.1, SERVICE.log). */
export function logFilesOf(dir: string, service: string): string[] {
  const current = path.join(dir, `${service}.log`);
  const rotated = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => new RegExp(`^${service.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.log\\.(\\d+)$`).exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .sort((a, b) => Number(b[1]) - Number(a[1]))
        .map((m) => path.join(dir, m[0]))
    : [];
  return [...rotated, ...(existsSync(current) ? [current] : [])];
}
