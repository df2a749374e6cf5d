/**
 * Reader of the embedded gallery's first on-disk format, for migration only (legacy-migration.ts):
 *
 *   meta.json     {"format":1,"dimension":512}
 *   journal.log   append-only records, one per line: {"crc":"<8 lowercase hex digits>","rec":<record JSON>}
 *                 where the CRC32 (IEEE, as zlib) covers exactly the UTF-8 bytes of `<record JSON>`; the
 *                 records are those of gallery-records.ts
 *   thumbs/<embeddingId>.jpg
 *
 * The last line may be torn (a crash during an append): when it is incomplete or fails its checksum it is
 * skipped; an invalid line followed by any other line, or a record that makes no sense (unknown id,
 * duplicate name), is GalleryError('CORRUPT') naming the file and the line. Nothing is ever written here.
 */

import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { errnoCode, OutsideRootError, realPathInside } from "@facetracker/infra";
import { type GalleryRecord, type IdentityState, recordFromJson } from "./gallery-records.ts";
import { ioError } from "./io-error.ts";
import { GalleryError } from "./types.ts";

type FileHandle = Awaited<ReturnType<typeof open>>;

export const LEGACY_FORMAT = 1;
export const LEGACY_META_FILE = "meta.json";
export const LEGACY_JOURNAL_FILE = "journal.log";
export const LEGACY_THUMBS_DIR = "thumbs";
/** Every name the first format used in the gallery directory (moved aside once migrated). */
export const LEGACY_NAMES = [
  LEGACY_META_FILE,
  LEGACY_JOURNAL_FILE,
  `${LEGACY_JOURNAL_FILE}.tmp`,
  LEGACY_THUMBS_DIR,
  "LOCK",
] as const;

const PREFIX = Buffer.from('{"crc":"');
const MIDDLE = Buffer.from('","rec":');
const CRC_OFFSET = PREFIX.length;
const REC_OFFSET = PREFIX.length + 8 + MIDDLE.length;
const NEWLINE = 0x0a;
const READ_CHUNK = 1 << 20;

/** Encodes one record as a journal line (with its trailing newline): the format's definition, used by tests to write old galleries. */
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

export type LegacyIdentity = IdentityState;

export interface LegacyEmbedding {
  id: string;
  identityId: string;
  vector: Float32Array;
  source?: string;
  createdAt: string;
  /** The JPEG, when the record said there is one and thumbs/<id>.jpg could be read. */
  thumbnail?: Uint8Array;
}

/** The live state of an old gallery. */
export interface LegacyGallery {
  identities: LegacyIdentity[];
  /** In enrollment order (journal order). */
  embeddings: LegacyEmbedding[];
  /** Bytes of a torn last journal record that were skipped. */
  skippedJournalBytes: number;
  /** Thumbnails the journal mentions whose file is missing or leads outside thumbs/ (not migrated). */
  missingThumbnails: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return false;
    throw ioError("read", path, error);
  }
}

/** Whether `dir` holds a gallery in the first format (meta.json or journal.log). */
export async function hasLegacyGallery(dir: string): Promise<boolean> {
  return (await exists(join(dir, LEGACY_META_FILE))) || (await exists(join(dir, LEGACY_JOURNAL_FILE)));
}

/** Checks meta.json: format 1 and the expected dimension. */
async function checkLegacyMeta(dir: string, dimension: number): Promise<void> {
  const path = join(dir, LEGACY_META_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") {
      throw new GalleryError("CORRUPT", `${path} is missing but ${join(dir, LEGACY_JOURNAL_FILE)} exists`);
    }
    throw ioError("read", path, error);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new GalleryError("CORRUPT", `${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (meta === null || typeof meta !== "object" || !("format" in meta) || !("dimension" in meta)) {
    throw new GalleryError(
      "CORRUPT",
      `${path} does not describe a gallery (expected {"format", "dimension"})`,
    );
  }
  if (meta.format !== LEGACY_FORMAT) {
    throw new GalleryError(
      "INVALID",
      `${path}: unsupported gallery format ${JSON.stringify(meta.format)} (expected format ${LEGACY_FORMAT} next to a journal)`,
    );
  }
  if (meta.dimension !== dimension) {
    throw new GalleryError(
      "INVALID",
      `the gallery at ${dir} has dimension ${JSON.stringify(meta.dimension)}, it was opened with dimension ${dimension}`,
    );
  }
}

interface ReplayIdentity extends IdentityState {
  embeddingIds: Set<string>;
}

/** Applies one record to the replayed state; throws an Error (changing nothing) when it makes no sense. */
function applyRecord(
  record: GalleryRecord,
  identities: Map<string, ReplayIdentity>,
  byName: Map<string, string>,
  embeddings: Map<string, LegacyEmbedding & { hasThumbnail: boolean }>,
): void {
  const upsert = (identity: IdentityState, isNew: boolean): ReplayIdentity => {
    const holder = byName.get(identity.name);
    if (holder !== undefined && holder !== identity.id) {
      throw new Error(`name "${identity.name}" is already used by identity ${holder}`);
    }
    if (isNew && identity.name.length === 0) throw new Error("identity name is empty");
    let entry = identities.get(identity.id);
    if (!entry) {
      entry = { ...identity, attributes: { ...identity.attributes }, embeddingIds: new Set() };
      identities.set(entry.id, entry);
    } else {
      byName.delete(entry.name);
      entry.name = identity.name;
      entry.attributes = { ...identity.attributes };
    }
    byName.set(entry.name, entry.id);
    return entry;
  };
  switch (record.type) {
    case "enroll": {
      const seen = new Set<string>();
      for (const e of record.embeddings) {
        if (embeddings.has(e.id) || seen.has(e.id)) throw new Error(`embedding ${e.id} already exists`);
        seen.add(e.id);
      }
      const entry = upsert(record.identity, !identities.has(record.identity.id));
      for (const e of record.embeddings) {
        embeddings.set(e.id, {
          id: e.id,
          identityId: entry.id,
          vector: e.vector,
          ...(e.source === undefined ? {} : { source: e.source }),
          createdAt: e.createdAt,
          hasThumbnail: e.thumbnail,
        });
        entry.embeddingIds.add(e.id);
      }
      return;
    }
    case "identity":
      if (!identities.has(record.identity.id))
        throw new Error(`identity ${record.identity.id} does not exist`);
      upsert(record.identity, false);
      return;
    case "delete-identity": {
      const entry = identities.get(record.id);
      if (!entry) throw new Error(`identity ${record.id} does not exist`);
      for (const id of entry.embeddingIds) embeddings.delete(id);
      identities.delete(entry.id);
      byName.delete(entry.name);
      return;
    }
    case "delete-embedding": {
      const meta = embeddings.get(record.id);
      if (!meta) throw new Error(`embedding ${record.id} does not exist`);
      embeddings.delete(meta.id);
      identities.get(meta.identityId)?.embeddingIds.delete(meta.id);
      return;
    }
  }
}

/**
 * Reads the old gallery in `dir` (meta.json, journal.log, thumbs/): its live identities and embeddings, with
 * their thumbnails. Throws GalleryError('CORRUPT') for a damaged journal, 'INVALID' for another dimension.
 */
export async function readLegacyGallery(dir: string, dimension: number): Promise<LegacyGallery> {
  await checkLegacyMeta(dir, dimension);
  const journalPath = join(dir, LEGACY_JOURNAL_FILE);
  const identities = new Map<string, ReplayIdentity>();
  const byName = new Map<string, string>();
  const embeddings = new Map<string, LegacyEmbedding & { hasThumbnail: boolean }>();
  const result = await readJournal(journalPath, (json, line) => {
    try {
      applyRecord(recordFromJson(json, dimension), identities, byName, embeddings);
    } catch (error) {
      throw new GalleryError(
        "CORRUPT",
        `${journalPath} is corrupt at line ${line}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  const thumbsDir = join(dir, LEGACY_THUMBS_DIR);
  let missingThumbnails = 0;
  const out: LegacyEmbedding[] = [];
  for (const { hasThumbnail, ...embedding } of embeddings.values()) {
    if (hasThumbnail) {
      const thumbnail = await readThumbnail(thumbsDir, embedding.id);
      if (thumbnail) embedding.thumbnail = thumbnail;
      else missingThumbnails++;
    }
    out.push(embedding);
  }
  return {
    identities: [...identities.values()].map(({ embeddingIds: _, ...identity }) => identity),
    embeddings: out,
    skippedJournalBytes: result.tornBytes,
    missingThumbnails,
  };
}

/** thumbs/<id>.jpg, or undefined when it is missing or leads outside thumbs/ (never followed out). */
async function readThumbnail(thumbsDir: string, id: string): Promise<Uint8Array | undefined> {
  const path = join(thumbsDir, `${id}.jpg`);
  try {
    return new Uint8Array(await readFile(await realPathInside(thumbsDir, path)));
  } catch (error) {
    if (errnoCode(error) === "ENOENT" || error instanceof OutsideRootError) return undefined;
    throw ioError("read", path, error);
  }
}
