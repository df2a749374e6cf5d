/**
 * Append-only journal of JSON records with a CRC32 per record.
 *
 * Each line is itself a JSON object of fixed layout, followed by "\n":
 *
 *   {"crc":"<8 lowercase hex digits>","rec":<record JSON>}
 *
 * where the CRC32 (IEEE, as zlib) covers exactly the UTF-8 bytes of `<record JSON>`. Appends are fsynced, so
 * an acknowledged append is durable. On read, the last line may be torn (a crash during an append): when it
 * is incomplete or fails its checksum it is reported as a torn tail and can be truncated away; an invalid
 * line followed by any other line is corruption (GalleryError('CORRUPT') naming the file and the line).
 */

import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { errnoCode, fsyncDirectory } from "@facetracker/infra";
import { ioError } from "./io-error.ts";
import { GalleryError } from "./types.ts";

type FileHandle = Awaited<ReturnType<typeof open>>;

const PREFIX = Buffer.from('{"crc":"');
const MIDDLE = Buffer.from('","rec":');
const CRC_OFFSET = PREFIX.length;
const REC_OFFSET = PREFIX.length + 8 + MIDDLE.length;
const NEWLINE = 0x0a;
const READ_CHUNK = 1 << 20;

/** Encodes one record as a journal line (with its trailing newline). */
export function encodeLine(record: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(record), "utf8");
  const crc = crc32(json).toString(16).padStart(8, "0");
  return Buffer.concat([PREFIX, Buffer.from(crc, "latin1"), MIDDLE, json, Buffer.from("}\n")]);
}

/** Decodes a line (without its newline); returns the reason as a string when the line is invalid. */
export function decodeLine(line: Buffer): { record: unknown } | { error: string } {
  if (line.length < REC_OFFSET + 2) return { error: "line too short" };
  if (
    !line.subarray(0, PREFIX.length).equals(PREFIX) ||
    !line.subarray(CRC_OFFSET + 8, REC_OFFSET).equals(MIDDLE)
  ) {
    return { error: "not a journal record" };
  }
  if (line[line.length - 1] !== 0x7d /* } */) return { error: "record is not terminated" };
  const crcText = line.toString("latin1", CRC_OFFSET, CRC_OFFSET + 8);
  if (!/^[0-9a-f]{8}$/.test(crcText)) return { error: "invalid checksum field" };
  const json = line.subarray(REC_OFFSET, line.length - 1);
  const actual = crc32(json);
  if (actual !== Number.parseInt(crcText, 16)) {
    return {
      error: `checksum mismatch (stored ${crcText}, computed ${actual.toString(16).padStart(8, "0")})`,
    };
  }
  try {
    return { record: JSON.parse(json.toString("utf8")) };
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}` };
  }
}

export interface ReadResult {
  /** Number of valid records read. */
  records: number;
  /** Byte length of the valid prefix (ends right after the last valid record's newline). */
  validBytes: number;
  /** Bytes after the valid prefix that form a torn last line (0 when the file is clean). */
  tornBytes: number;
  /** Why the torn tail is invalid (when tornBytes > 0). */
  tornReason?: string;
}

/**
 * Reads the journal at `path`, calling `onRecord(record, lineNumber)` for each valid record in order (it
 * may throw, e.g. a GalleryError('CORRUPT') for a record that makes no sense). A missing file reads as empty.
 */
export async function readJournal(
  path: string,
  onRecord: (record: unknown, line: number) => void,
): Promise<ReadResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return { records: 0, validBytes: 0, tornBytes: 0 };
    throw ioError("open", path, error);
  }
  try {
    let records = 0;
    let validBytes = 0;
    let lineNumber = 0;
    let filePosition = 0;
    let pending: Buffer[] = [];
    let pendingLength = 0;
    // An invalid line is tolerated only if it turns out to be the last one.
    let bad: { line: number; reason: string; start: number } | undefined;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);

    const handleLine = (line: Buffer, start: number): void => {
      lineNumber++;
      if (bad) throw corrupt(path, bad.line, bad.reason);
      const decoded = decodeLine(line);
      if ("error" in decoded) {
        bad = { line: lineNumber, reason: decoded.error, start };
        return;
      }
      onRecord(decoded.record, lineNumber);
      records++;
      validBytes = start + line.length + 1;
    };

    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, READ_CHUNK, filePosition));
      } catch (error) {
        throw ioError("read", path, error);
      }
      if (bytesRead === 0) break;
      const data = chunk.subarray(0, bytesRead);
      let from = 0;
      for (;;) {
        const nl = data.indexOf(NEWLINE, from);
        if (nl < 0) break;
        const piece = data.subarray(from, nl);
        const lineStart = filePosition + from - pendingLength;
        const line = pendingLength > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingLength = 0;
        handleLine(line, lineStart);
        from = nl + 1;
      }
      if (from < bytesRead) {
        pending.push(Buffer.from(data.subarray(from)));
        pendingLength += bytesRead - from;
      }
      filePosition += bytesRead;
    }

    if (pendingLength > 0) {
      // An unterminated last line: the append never completed.
      lineNumber++;
      if (bad) throw corrupt(path, bad.line, bad.reason);
      return {
        records,
        validBytes,
        tornBytes: filePosition - validBytes,
        tornReason: `line ${lineNumber} is incomplete (no newline)`,
      };
    }
    if (bad) {
      return {
        records,
        validBytes,
        tornBytes: filePosition - validBytes,
        tornReason: `line ${bad.line}: ${bad.reason}`,
      };
    }
    return { records, validBytes, tornBytes: 0 };
  } finally {
    await handle.close();
  }
}

function corrupt(path: string, line: number, reason: string): GalleryError {
  return new GalleryError(
    "CORRUPT",
    `${path} is corrupt at line ${line}: ${reason} (only the last line may be damaged by a crash; restore the file from a backup or remove the damaged record)`,
  );
}

/** An open journal file that records are appended to (one writer). */
export class Journal {
  readonly path: string;
  #handle: FileHandle | undefined;
  #size: number;
  #broken: GalleryError | undefined;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  /**
   * Opens `path` for appending, first truncating it to `validBytes` (dropping a torn tail) when the file is
   * longer. The file is created when missing.
   */
  static async open(path: string, validBytes: number): Promise<Journal> {
    let handle: FileHandle;
    try {
      handle = await open(path, "a");
    } catch (error) {
      throw ioError("open", path, error);
    }
    try {
      const { size } = await handle.stat();
      if (size > validBytes) {
        await handle.truncate(validBytes);
        await handle.sync();
      } else if (size < validBytes) {
        throw new GalleryError(
          "CORRUPT",
          `${path} shrank while it was being opened (${size} < ${validBytes} bytes)`,
        );
      }
      return new Journal(path, handle, validBytes);
    } catch (error) {
      await handle.close().catch(() => {});
      throw ioError("open", path, error);
    }
  }

  /** Bytes in the journal. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends records (one line each) and fsyncs. On failure the file is truncated back to its previous
   * length so that a failed append leaves no partial line behind; if even that fails, the journal refuses
   * further appends (the gallery must be reopened).
   */
  async append(records: readonly unknown[]): Promise<void> {
    const handle = this.#writable();
    const data = Buffer.concat(records.map(encodeLine));
    const before = this.#size;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await handle.sync();
      this.#size = before + data.length;
    } catch (error) {
      try {
        await handle.truncate(before);
        await handle.sync();
      } catch (rollbackError) {
        this.#broken = ioError(
          "append to",
          this.path,
          new Error(
            `a failed write could not be rolled back (${(rollbackError as Error).message}); reopen the gallery`,
          ),
        );
      }
      throw ioError("append to", this.path, error);
    }
  }

  /**
   * Atomically replaces the journal's content with `records` (compaction): they are written to
   * `<path>.tmp`, fsynced, renamed over `<path>`, and the directory is fsynced. On failure before the
   * rename the old journal is untouched and still used.
   */
  async rewrite(records: Iterable<unknown>): Promise<void> {
    const handle = this.#writable();
    const tmpPath = `${this.path}.tmp`;
    let size = 0;
    try {
      const tmp = await open(tmpPath, "w", 0o644);
      try {
        let batch: Buffer[] = [];
        let batchLength = 0;
        const flush = async (): Promise<void> => {
          const data = Buffer.concat(batch, batchLength);
          batch = [];
          batchLength = 0;
          let written = 0;
          while (written < data.length) {
            const { bytesWritten } = await tmp.write(data, written, data.length - written);
            written += bytesWritten;
          }
        };
        for (const record of records) {
          const line = encodeLine(record);
          batch.push(line);
          batchLength += line.length;
          size += line.length;
          if (batchLength >= READ_CHUNK) await flush();
        }
        await flush();
        await tmp.sync();
      } finally {
        await tmp.close();
      }
      await rename(tmpPath, this.path);
    } catch (error) {
      await rm(tmpPath, { force: true }).catch(() => {});
      throw ioError("compact", this.path, error);
    }
    // The new file is in place: from here on, failing means the handle we hold is the old (unlinked) file.
    try {
      await fsyncDirectory(dirname(this.path));
      this.#handle = await open(this.path, "a");
      this.#size = size;
    } catch (error) {
      this.#handle = undefined;
      this.#broken = ioError("reopen", this.path, error);
      throw this.#broken;
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    this.#broken ??= new GalleryError("INVALID", `${this.path} is closed`);
    await handle?.close();
  }

  #writable(): FileHandle {
    if (this.#broken) throw this.#broken;
    if (!this.#handle) throw new GalleryError("INVALID", `${this.path} is closed`);
    return this.#handle;
  }
}
