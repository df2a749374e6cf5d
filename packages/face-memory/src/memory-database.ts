/**
 * The face memory's SQLite database, `<dir>/memory.sqlite` (Node's built-in node:sqlite): opening it so
 * that several processes share it (WAL: readers never wait for the writer; one writer at a time waits up to
 * the busy timeout), its schema, transactions, and SQLite errors as MemoryErrors naming the file.
 *
 * Schema (format 1):
 *   meta(key, value)          "format" = 1, "dimension", "changes_pruned_through"; with a vector store
 *                             (Qdrant) also "vectors_synced <target>" and "vectors_sync_lease" (vector-sync.ts)
 *   tracks(id, source_kind camera|file|clip, source, camera, track_id, first_ms, last_ms, first_s, last_s,
 *          identity_id, identity_name, identity_similarity, closest_id, closest_name, closest_similarity,
 *          undetermined, thumbnail JPEG, thumbnail_quality, alert_id, clip_key, clip_url, open, lost)
 *   track_embeddings(id, track → tracks ON DELETE CASCADE, quality, vector BLOB little-endian float32)
 *   alert_clips(alert_id, clip_key, clip_url, recorded_ms)   the clip of each alert (live tracks join it)
 *   visitors(id, created_ms, identity_id, identity_name, named_ms)   unknown tracks grouped into people;
 *                             tracks.visitor_id names a track's visitor (added to older files when opened
 *                             for writing; see visitors.ts)
 *   corrections(id, track, kind, decision before, identity after, gallery items added, times)
 *                             corrections of tracks (corrections.ts; added to older files when opened for
 *                             writing)
 *   changes(version, track)   filled by triggers: the track of every row of tracks or track_embeddings
 *                             inserted, updated or deleted, in commit order
 * A process that has read the memory up to some `changes.version` catches up by reading again only the
 * tracks named after it (memory-index-sync in face-memory.ts).
 */

import type { DatabaseSync } from "node:sqlite";
import { openWalDatabase, sqliteFailureKind } from "@facetracker/infra";
import { ensureCorrectionsSchema } from "./corrections.ts";

export { inTransaction, StatementCache } from "@facetracker/infra";

export const MEMORY_FILE = "memory.sqlite";
export const MEMORY_FORMAT = 1;
/** How long a statement waits for another connection's lock before failing (SQLite busy timeout). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Rows of `changes` kept; a process further behind than that reads the whole memory again. */
export const KEPT_CHANGES = 10_000;

/** MISSING: no memory there (opened read-only); INVALID: not a face memory, or not usable as asked. */
export type MemoryErrorCode = "MISSING" | "IO" | "CORRUPT" | "INVALID";

/** A face memory that cannot be read or written: the file, and what is wrong. */
export class MemoryError extends Error {
  override readonly name = "MemoryError";
  readonly code: MemoryErrorCode;
  constructor(code: MemoryErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tracks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_kind TEXT NOT NULL CHECK (source_kind IN ('camera', 'file', 'clip')),
  source TEXT NOT NULL,
  camera TEXT,
  track_id INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  first_s REAL,
  last_s REAL,
  identity_id TEXT,
  identity_name TEXT,
  identity_similarity REAL,
  closest_id TEXT,
  closest_name TEXT,
  closest_similarity REAL,
  undetermined INTEGER NOT NULL DEFAULT 0,
  thumbnail BLOB,
  thumbnail_quality REAL,
  alert_id TEXT,
  clip_key TEXT,
  clip_url TEXT,
  open INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS tracks_by_last_seen ON tracks(last_ms, id);
CREATE INDEX IF NOT EXISTS tracks_by_source ON tracks(source_kind, source, track_id);
CREATE INDEX IF NOT EXISTS tracks_by_identity_name ON tracks(identity_name);
CREATE INDEX IF NOT EXISTS tracks_by_identity_id ON tracks(identity_id);
CREATE INDEX IF NOT EXISTS tracks_by_alert ON tracks(alert_id);
CREATE TABLE IF NOT EXISTS track_embeddings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  track INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  quality REAL NOT NULL,
  vector BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS track_embeddings_by_track ON track_embeddings(track);
CREATE TABLE IF NOT EXISTS alert_clips (
  alert_id TEXT PRIMARY KEY,
  clip_key TEXT NOT NULL,
  clip_url TEXT,
  recorded_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS alert_clips_by_time ON alert_clips(recorded_ms);
CREATE TABLE IF NOT EXISTS changes (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  track INTEGER NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS track_inserted AFTER INSERT ON tracks
  BEGIN INSERT INTO changes (track) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS track_updated AFTER UPDATE ON tracks
  WHEN OLD.camera IS NOT NEW.camera OR OLD.first_ms IS NOT NEW.first_ms OR OLD.last_ms IS NOT NEW.last_ms
  BEGIN INSERT INTO changes (track) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS track_deleted AFTER DELETE ON tracks
  BEGIN INSERT INTO changes (track) VALUES (OLD.id); END;
CREATE TRIGGER IF NOT EXISTS embedding_inserted AFTER INSERT ON track_embeddings
  BEGIN INSERT INTO changes (track) VALUES (NEW.track); END;
CREATE TRIGGER IF NOT EXISTS embedding_deleted AFTER DELETE ON track_embeddings
  BEGIN INSERT INTO changes (track) VALUES (OLD.track); END;
`;

/**
 * A SQLite failure as a MemoryError naming the file: CORRUPT for a damaged file or one that is not a
 * database, IO otherwise (a lock held longer than the busy timeout included). MemoryErrors pass through.
 */
export function databaseError(action: string, file: string, error: unknown): MemoryError {
  if (error instanceof MemoryError) return error;
  const kind = sqliteFailureKind(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (kind === "corrupt") {
    return new MemoryError(
      "CORRUPT",
      `${file} is damaged (${reason}): move it away to start an empty face memory`,
      { cause: error },
    );
  }
  if (kind === "busy") {
    return new MemoryError(
      "IO",
      `cannot ${action} ${file}: ${reason} (another process kept it busy for longer than the busy timeout)`,
      { cause: error },
    );
  }
  return new MemoryError("IO", `cannot ${action} ${file}: ${reason}`, { cause: error });
}

/**
 * Opens `file` (created when missing unless read-only). A read-write connection puts it in WAL mode, with
 * synchronous=NORMAL: a commit survives the process crashing (not a power loss: the last commits may
 * then be lost, which costs a few tracks' records, not the database).
 */
export function openDatabase(
  file: string,
  options: { readOnly: boolean; busyTimeoutMs: number },
): DatabaseSync {
  try {
    // Pages of 16 KiB hold 7 embedding rows (2 KiB each at 512-d); 4 KiB pages hold one, wasting half the
    // file. Only a new database takes it (before its first table).
    return openWalDatabase(file, { ...options, synchronous: "NORMAL", pageSize: 16384 });
  } catch (error) {
    throw databaseError("open", file, error);
  }
}

/**
 * The dimension recorded in the meta table, or undefined when the database holds no table yet. A
 * database with tables but no memory meta, or of another format, is INVALID.
 */
export function readDimension(db: DatabaseSync, file: string): number | undefined {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as {
    name: string;
  }[];
  if (tables.length === 0) return undefined;
  if (!tables.some((t) => t.name === "meta") || !tables.some((t) => t.name === "tracks")) {
    throw new MemoryError(
      "INVALID",
      `${file} is a SQLite database but not a face memory (no meta/tracks table)`,
    );
  }
  const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
  const value = (key: string) => rows.find((r) => r.key === key)?.value;
  const format = Number(value("format"));
  const dimension = Number(value("dimension"));
  if (format !== MEMORY_FORMAT) {
    throw new MemoryError(
      "INVALID",
      `${file}: unsupported face memory format ${value("format")} (this version reads format ${MEMORY_FORMAT})`,
    );
  }
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new MemoryError("CORRUPT", `${file}: the meta table has no valid "dimension"`);
  }
  return dimension;
}

/** Creates the tables and the meta rows (in a transaction, on a database with no table yet). */
export function createSchema(db: DatabaseSync, dimension: number): void {
  db.exec(SCHEMA);
  const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  insert.run("format", String(MEMORY_FORMAT));
  insert.run("dimension", String(dimension));
  insert.run("changes_pruned_through", "0");
  ensureVisitorSchema(db);
  ensureCorrectionsSchema(db);
}

const VISITOR_SCHEMA = `
CREATE TABLE IF NOT EXISTS visitors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ms INTEGER NOT NULL,
  identity_id TEXT,
  identity_name TEXT,
  named_ms INTEGER
) STRICT;
`;

/** Whether the memory has the visitors' table and column (a file written before them has not). */
export function hasVisitorSchema(db: DatabaseSync): boolean {
  const columns = db.prepare("PRAGMA table_info(tracks)").all() as { name: string }[];
  return columns.some((c) => c.name === "visitor_id");
}

/** Adds the visitors' table and `tracks.visitor_id` where missing (in a write transaction). */
export function ensureVisitorSchema(db: DatabaseSync): void {
  db.exec(VISITOR_SCHEMA);
  if (!hasVisitorSchema(db)) {
    db.exec("ALTER TABLE tracks ADD COLUMN visitor_id INTEGER REFERENCES visitors(id) ON DELETE SET NULL");
  }
  db.exec("CREATE INDEX IF NOT EXISTS tracks_by_visitor ON tracks(visitor_id)");
}

/** Vectors as little-endian float32 bytes, the layout of the `vector` columns. */
export { float32FromBytes as vectorFromBytes, float32ToBytes as vectorToBytes } from "@facetracker/infra";
