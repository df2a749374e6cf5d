/**
 * What the project's SQLite stores (the gallery, the face memory) share, on Node's built-in node:sqlite:
 * opening a database in WAL mode (any number of readers in any process, one writer at a time waiting up
 * to a busy timeout), transactions, a statement cache, what a failure means, and vectors as bytes.
 * Each store keeps its own schema, durability choice and error type.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";

export interface WalDatabaseOptions {
  readOnly: boolean;
  busyTimeoutMs: number;
  /** FULL: a commit survives a power loss (fsync per commit); NORMAL: it survives the process crashing. */
  synchronous: "FULL" | "NORMAL";
  /** Page size of a new database (before its first table); SQLite's default when omitted. */
  pageSize?: number;
}

/**
 * Opens `file` (created when missing unless read-only). A read-write connection puts the database in WAL
 * mode and turns on secure_delete (deleted rows are overwritten with zeros, not left in free pages). Throws
 * SQLite's own error; the caller names the file in its own error type.
 */
export function openWalDatabase(file: string, options: WalDatabaseOptions): DatabaseSync {
  const db = new DatabaseSync(file, {
    readOnly: options.readOnly,
    timeout: options.busyTimeoutMs,
    enableForeignKeyConstraints: true,
  });
  try {
    if (!options.readOnly) {
      if (options.pageSize !== undefined) db.exec(`PRAGMA page_size = ${options.pageSize}`);
      const mode = db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode?: unknown } | undefined;
      if (mode?.journal_mode !== "wal") {
        throw new Error(`the file system refused write-ahead logging (journal mode ${mode?.journal_mode})`);
      }
      db.exec(`PRAGMA synchronous = ${options.synchronous}`);
      db.exec("PRAGMA secure_delete = ON");
    }
    return db;
  } catch (error) {
    try {
      db.close();
    } catch {}
    throw error;
  }
}

/** Runs `fn` in a transaction (IMMEDIATE takes the write lock first), rolling back when it throws. */
export function inTransaction<T>(db: DatabaseSync, mode: "DEFERRED" | "IMMEDIATE", fn: () => T): T {
  db.exec(`BEGIN ${mode}`);
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {}
    }
    throw error;
  }
}

/** Prepared statements of one connection, prepared once each. */
export class StatementCache {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  get(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** SQLite's extended result code of a node:sqlite error, if it is one. */
export function sqliteCode(error: unknown): number | undefined {
  if (error !== null && typeof error === "object" && "errcode" in error && typeof error.errcode === "number")
    return error.errcode;
  return undefined;
}

/**
 * What a SQLite failure means for the file: "corrupt" (damaged, or not a database), "busy" (another
 * process held the lock past the busy timeout), else undefined.
 */
export function sqliteFailureKind(error: unknown): "corrupt" | "busy" | undefined {
  const code = (sqliteCode(error) ?? 0) & 0xff;
  if (code === 11 /* SQLITE_CORRUPT */ || code === 26 /* SQLITE_NOTADB */) return "corrupt";
  if (code === 5 /* SQLITE_BUSY */ || code === 6 /* SQLITE_LOCKED */) return "busy";
  return undefined;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian float32 bytes of `vector` (a copy). */
export function float32ToBytes(vector: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  return bytes;
}

/** Reads `dimension` little-endian float32 values; throws when the length is not `dimension * 4` bytes. */
export function float32FromBytes(bytes: Uint8Array, dimension: number): Float32Array {
  if (bytes.length !== dimension * 4) {
    throw new Error(`vector has ${bytes.length} bytes, expected ${dimension * 4} (dimension ${dimension})`);
  }
  const out = new Float32Array(dimension);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < dimension; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
