/**
 * The embedded gallery's SQLite database, `<dir>/gallery.sqlite` (Node's built-in node:sqlite): opening it
 * so that several processes can share it, its schema and meta rows, transactions, and SQLite errors as
 * GalleryErrors naming the file.
 *
 * Schema (format 2):
 *   meta(key, value)            "format" = 2, "dimension", "migrated_from" when made from an old journal,
 *                               "changes_pruned_through" once old rows of `changes` were deleted
 *   identities(id, name UNIQUE, attributes JSON, created_at)
 *   embeddings(seq, id UNIQUE, identity_id → identities ON DELETE CASCADE, source, created_at,
 *              vector BLOB (little-endian float32), thumbnail BLOB (JPEG) or NULL)   never updated
 *   negatives(seq, id UNIQUE, identity_id → identities ON DELETE CASCADE, source, created_at, vector)
 *                               negative examples (faces that are not this identity, from corrections);
 *                               never updated. Added to an older file when it is opened read-write
 *                               (ensureNegativesSchema); a file without it has no negative example.
 *   changes(version, identity_id, embedding_id)   filled by triggers: the id of every identity inserted,
 *                               updated or deleted and of every embedding or negative example inserted or
 *                               deleted (both in embedding_id: the ids are UUIDs), in commit order
 * `seq` (AUTOINCREMENT: never reused) is the enrollment order. A process that has read the gallery up to
 * some `changes.version` catches up by reading again only the rows named after it (embedded-gallery.ts).
 */

import type { DatabaseSync } from "node:sqlite";
import { openWalDatabase, sqliteCode, sqliteFailureKind } from "@facetracker/infra";
import { GalleryError } from "./types.ts";

export { inTransaction, StatementCache } from "@facetracker/infra";

export const DATABASE_FILE = "gallery.sqlite";
/** Version of the database layout (format 1 was meta.json + journal.log, see legacy-journal-reader.ts). */
export const GALLERY_FORMAT = 2;
/** How long a statement waits for another connection's lock before failing (SQLite busy timeout). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS identities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  attributes TEXT NOT NULL CHECK (json_valid(attributes)),
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS embeddings (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  source TEXT,
  created_at TEXT NOT NULL,
  vector BLOB NOT NULL,
  thumbnail BLOB
) STRICT;
CREATE INDEX IF NOT EXISTS embeddings_by_identity ON embeddings(identity_id);
CREATE TABLE IF NOT EXISTS changes (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  identity_id TEXT,
  embedding_id TEXT
) STRICT;
CREATE TRIGGER IF NOT EXISTS identity_inserted AFTER INSERT ON identities
  BEGIN INSERT INTO changes (identity_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS identity_updated AFTER UPDATE ON identities
  BEGIN INSERT INTO changes (identity_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS identity_deleted AFTER DELETE ON identities
  BEGIN INSERT INTO changes (identity_id) VALUES (OLD.id); END;
CREATE TRIGGER IF NOT EXISTS embedding_inserted AFTER INSERT ON embeddings
  BEGIN INSERT INTO changes (embedding_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS embedding_deleted AFTER DELETE ON embeddings
  BEGIN INSERT INTO changes (embedding_id) VALUES (OLD.id); END;
`;

const NEGATIVES_SCHEMA = `
CREATE TABLE IF NOT EXISTS negatives (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  source TEXT,
  created_at TEXT NOT NULL,
  vector BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS negatives_by_identity ON negatives(identity_id);
CREATE TRIGGER IF NOT EXISTS negative_inserted AFTER INSERT ON negatives
  BEGIN INSERT INTO changes (embedding_id) VALUES (NEW.id); END;
CREATE TRIGGER IF NOT EXISTS negative_deleted AFTER DELETE ON negatives
  BEGIN INSERT INTO changes (embedding_id) VALUES (OLD.id); END;
`;

/** Whether the database has the negatives table (a gallery created before negative examples has not). */
export function hasNegativesTable(db: DatabaseSync): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'negatives'").get() !== undefined
  );
}

/** Adds the negatives table and its triggers where missing (in a write transaction). */
export function ensureNegativesSchema(db: DatabaseSync): void {
  if (!hasNegativesTable(db)) db.exec(NEGATIVES_SCHEMA);
}

/** Rows of `changes` kept; a process further behind than that reads the whole gallery again. */
export const KEPT_CHANGES = 10_000;

/** SQLite's extended result code of a UNIQUE constraint failure (https://sqlite.org/rescode.html). */
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** True for a UNIQUE constraint failure (e.g. a name another process took). */
export function isUniqueViolation(error: unknown): boolean {
  return sqliteCode(error) === SQLITE_CONSTRAINT_UNIQUE;
}

/**
 * A SQLite failure as a GalleryError naming the file: CORRUPT for a damaged file or one that is not a
 * database, IO otherwise (a lock held longer than the busy timeout included). GalleryErrors pass through.
 */
export function databaseError(action: string, file: string, error: unknown): GalleryError {
  if (error instanceof GalleryError) return error;
  const kind = sqliteFailureKind(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (kind === "corrupt") {
    return new GalleryError(
      "CORRUPT",
      `${file} is damaged (${reason}): restore it from a backup, or move it away to start an empty gallery`,
      { cause: error },
    );
  }
  if (kind === "busy") {
    return new GalleryError(
      "IO",
      `cannot ${action} ${file}: ${reason} (another process kept it busy for longer than the busy timeout)`,
      { cause: error },
    );
  }
  return new GalleryError("IO", `cannot ${action} ${file}: ${reason}`, { cause: error });
}

export interface OpenDatabaseOptions {
  readOnly: boolean;
  busyTimeoutMs: number;
}

/**
 * Opens `file` (created when missing unless read-only) in WAL mode (infra's openWalDatabase): readers in
 * any process never wait for the writer and see only committed transactions, and one writer at a time
 * (across processes) waits up to the busy timeout for the previous one. synchronous=FULL: every commit
 * fsyncs the WAL, so an acknowledged change survives a power loss, as the fsynced journal of format 1 did
 * (NORMAL would only survive a crash of the process). Changes are rare (enrollments, renames, deletions),
 * so the fsync per commit costs little.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): DatabaseSync {
  try {
    return openWalDatabase(file, { ...options, synchronous: "FULL" });
  } catch (error) {
    throw databaseError("open", file, error);
  }
}

export interface GalleryMeta {
  format: number;
  dimension: number;
  /** Set when the gallery was migrated from a journal (format 1): where and when. */
  migratedFrom?: string;
}

/**
 * The meta rows, or undefined when the database holds no table yet (being created by another process, or
 * an empty file). A database with tables but no gallery meta is INVALID (not a gallery).
 */
export function readMeta(db: DatabaseSync, file: string): GalleryMeta | undefined {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as {
    name: string;
  }[];
  if (tables.length === 0) return undefined;
  if (!tables.some((t) => t.name === "meta")) {
    throw new GalleryError("INVALID", `${file} is a SQLite database but not a gallery (no meta table)`);
  }
  const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
  const value = (key: string) => rows.find((r) => r.key === key)?.value;
  const format = Number(value("format"));
  const dimension = Number(value("dimension"));
  if (!Number.isInteger(format) || !Number.isInteger(dimension)) {
    throw new GalleryError("CORRUPT", `${file}: the meta table has no valid "format" and "dimension"`);
  }
  const migratedFrom = value("migrated_from");
  return { format, dimension, ...(migratedFrom === undefined ? {} : { migratedFrom }) };
}

/** Checks the format and the dimension against what the gallery was opened with. */
export function checkMeta(meta: GalleryMeta, file: string, dimension: number): void {
  if (meta.format !== GALLERY_FORMAT) {
    throw new GalleryError(
      "INVALID",
      `${file}: unsupported gallery format ${meta.format} (this version reads format ${GALLERY_FORMAT})`,
    );
  }
  if (meta.dimension !== dimension) {
    throw new GalleryError(
      "INVALID",
      `the gallery ${file} has dimension ${meta.dimension}, it was opened with dimension ${dimension}`,
    );
  }
}

/** Creates the tables and the meta rows (call in a transaction, on a database with no table yet). */
export function createSchema(db: DatabaseSync, dimension: number): GalleryMeta {
  db.exec(SCHEMA);
  db.exec(NEGATIVES_SCHEMA);
  const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  insert.run("format", String(GALLERY_FORMAT));
  insert.run("dimension", String(dimension));
  return { format: GALLERY_FORMAT, dimension };
}
