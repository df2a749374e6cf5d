/**
 * EmbeddedGallery: a Gallery stored in a local directory, `<dir>/gallery.sqlite` (gallery-database.ts),
 * searched in memory (VectorIndex).
 *
 * Several processes may open the same directory at once, read-write or read-only (the CLI while
 * `facetracker up` runs, embed workers, the web page): SQLite in WAL mode lets any number of them read
 * while one at a time writes, each change is one transaction (an enroll stores all its embeddings or
 * none), and names stay unique across processes (UNIQUE constraint, checked under the write lock).
 *
 * Every instance keeps an in-memory copy (gallery-state.ts) for listing and exact search. Before each read
 * it checks `PRAGMA data_version`, which changes when another connection committed, and then catches up:
 * it reads again only the identities and embeddings that the `changes` log (filled by triggers) names
 * since the version it has, or everything when it is further behind than the log keeps. A change first
 * takes the write lock, catches up the same way, checks against the current state, writes, commits, and
 * applies itself to the copy.
 *
 * A directory in the first format (meta.json, journal.log, thumbs/) is migrated into gallery.sqlite when it
 * is first opened read-write (legacy-migration.ts).
 */

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { errnoCode, makeDirectory } from "@facetracker/infra";
import {
  checkMeta,
  createSchema,
  DATABASE_FILE,
  DEFAULT_BUSY_TIMEOUT_MS,
  databaseError,
  ensureNegativesSchema,
  type GalleryMeta,
  hasNegativesTable,
  inTransaction,
  isUniqueViolation,
  KEPT_CHANGES,
  openDatabase,
  readMeta,
  StatementCache,
} from "./gallery-database.ts";
import {
  type EmbeddingRow,
  GalleryState,
  type IdentityEntry,
  type IdentityRow,
  type NegativeRow,
} from "./gallery-state.ts";
import { ioError } from "./io-error.ts";
import { hasLegacyGallery, LEGACY_JOURNAL_FILE, readLegacyGallery } from "./legacy-journal-reader.ts";
import { type GalleryMigration, insertLegacyGallery, moveLegacyFilesAside } from "./legacy-migration.ts";
import type {
  Attributes,
  EmbeddingInfo,
  Gallery,
  IdentityInfo,
  NegativeInfo,
  NewEmbedding,
  NewNegative,
  SearchHit,
} from "./types.ts";
import { GalleryError } from "./types.ts";
import {
  DEFAULT_DIMENSION,
  mergeAttributes,
  sameAttributes,
  validateAttributes,
  validateDimension,
  validateEmbeddings,
  validateName,
  validateNegatives,
  validateSearchOptions,
  validateVector,
  vetoedIdentities,
} from "./validation.ts";
import { vectorFromBytes, vectorToBytes } from "./vector-bytes.ts";

export { DATABASE_FILE, GALLERY_FORMAT } from "./gallery-database.ts";
export type { GalleryMigration } from "./legacy-migration.ts";

export interface EmbeddedGalleryOptions {
  /** Vector dimension (default 512); must match the gallery's when it exists. */
  dimension?: number;
  /**
   * Open for reading only: nothing is created, migrated or changed, and every change throws
   * GalleryError('READ_ONLY'). A directory that is not a gallery yet reads as empty until one is created
   * there; one in the first format reads as it is until another process migrates it.
   */
  readOnly?: boolean;
  /**
   * How long a statement waits for another process's lock (a change in progress) before failing with
   * GalleryError('IO'), in milliseconds (default 5000). node:sqlite is synchronous: the wait blocks the
   * event loop, which writes kept short make rare.
   */
  busyTimeoutMs?: number;
}

/** Names a directory may hold before a gallery is created in it (leftovers of an interrupted creation). */
const CREATION_LEFTOVERS = new Set([
  DATABASE_FILE,
  `${DATABASE_FILE}-wal`,
  `${DATABASE_FILE}-shm`,
  `${DATABASE_FILE}-journal`,
  // What shares db_path with the gallery: the face memory (packages/face-memory), which `analyze` writes
  // before any gallery may exist there.
  ...["", "-wal", "-shm", "-journal"].map((suffix) => `memory.sqlite${suffix}`),
]);

interface IdentityDbRow {
  id: string;
  name: string;
  attributes: string;
  created_at: string;
}

const SELECT_EMBEDDING =
  "SELECT seq, id, identity_id, source, thumbnail IS NOT NULL AS has_thumbnail, created_at, vector FROM embeddings";
/** Rows read per query when the whole gallery is loaded. */
const PAGE_ROWS = 1000;

const SELECT_NEGATIVE = "SELECT seq, id, identity_id, source, created_at, vector FROM negatives";

interface NegativeDbRow {
  seq: number;
  id: string;
  identity_id: string;
  source: string | null;
  created_at: string;
  vector: Uint8Array;
}

function negativeRow(row: NegativeDbRow): NegativeRow {
  const out: NegativeRow = {
    seq: row.seq,
    id: row.id,
    identityId: row.identity_id,
    createdAt: row.created_at,
  };
  if (row.source !== null) out.source = row.source;
  return out;
}

interface EmbeddingDbRow {
  seq: number;
  id: string;
  identity_id: string;
  source: string | null;
  has_thumbnail: number;
  created_at: string;
  vector: Uint8Array;
}

function embeddingRow(row: EmbeddingDbRow): EmbeddingRow {
  const out: EmbeddingRow = {
    seq: row.seq,
    id: row.id,
    identityId: row.identity_id,
    hasThumbnail: row.has_thumbnail === 1,
    createdAt: row.created_at,
  };
  if (row.source !== null) out.source = row.source;
  return out;
}

export class EmbeddedGallery implements Gallery {
  readonly dimension: number;
  /** Absolute path of the gallery directory. */
  readonly directory: string;
  /** Absolute path of the database file (`<directory>/gallery.sqlite`). */
  readonly file: string;
  /** Set when this open migrated a gallery of the first format (journal.log) into the database. */
  readonly migration: GalleryMigration | undefined;
  readonly #readOnly: boolean;
  readonly #busyTimeoutMs: number;
  #db: DatabaseSync;
  #statements: StatementCache;
  /** Read-only only: #db is an in-memory stand-in (empty, or the old journal's state) until the file exists. */
  #standIn: boolean;
  readonly #state: GalleryState;
  /** PRAGMA data_version when the state was last synced with the database (undefined: never). */
  #dataVersion: number | undefined;
  /** The last `changes.version` the state includes (undefined: nothing loaded yet). */
  #changeVersion: number | undefined;
  #reloads = 0;
  #closed = false;
  /** The database has the negatives table (false only for an older file opened read-only, until migrated). */
  #negativesTable = false;

  private constructor(init: {
    directory: string;
    dimension: number;
    readOnly: boolean;
    busyTimeoutMs: number;
    db: DatabaseSync;
    standIn: boolean;
    migration?: GalleryMigration;
  }) {
    this.directory = init.directory;
    this.file = join(init.directory, DATABASE_FILE);
    this.dimension = init.dimension;
    this.#readOnly = init.readOnly;
    this.#busyTimeoutMs = init.busyTimeoutMs;
    this.#db = init.db;
    this.#statements = new StatementCache(init.db);
    this.#standIn = init.standIn;
    this.#state = new GalleryState(init.dimension);
    this.migration = init.migration;
  }

  /** Opens (creating or migrating when needed, unless read-only) the gallery in directory `dir`. */
  static async open(dir: string, options: EmbeddedGalleryOptions = {}): Promise<EmbeddedGallery> {
    const dimension = validateDimension(options.dimension ?? DEFAULT_DIMENSION);
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new GalleryError("INVALID", `busyTimeoutMs must be an integer >= 0, got ${busyTimeoutMs}`);
    }
    if (typeof dir !== "string" || dir.length === 0) {
      throw new GalleryError("INVALID", "the gallery directory must be a non-empty path");
    }
    const directory = resolve(dir);
    const settings = { directory, dimension, busyTimeoutMs };
    const gallery = options.readOnly
      ? await EmbeddedGallery.#openReadOnly(settings)
      : await EmbeddedGallery.#openReadWrite(settings);
    try {
      gallery.#catchUp();
    } catch (error) {
      gallery.#db.close();
      throw error;
    }
    return gallery;
  }

  static async #openReadWrite(settings: {
    directory: string;
    dimension: number;
    busyTimeoutMs: number;
  }): Promise<EmbeddedGallery> {
    const { directory, dimension, busyTimeoutMs } = settings;
    try {
      await makeDirectory(directory);
    } catch (error) {
      throw ioError("create the gallery directory", directory, error);
    }
    const file = join(directory, DATABASE_FILE);
    const legacy = await hasLegacyGallery(directory);
    const fileExists = await exists(file);
    if (!legacy && !fileExists) await checkCanInitialise(directory);
    // An old gallery is read (and checked) before anything is created; it may take a while, so it is read
    // before the write lock is taken.
    let old = legacy && !fileExists ? await readLegacyGallery(directory, dimension) : undefined;
    const db = openDatabase(file, { readOnly: false, busyTimeoutMs });
    try {
      let meta = guard("read", file, () => readMeta(db, file));
      let migration: GalleryMigration | undefined;
      if (!meta) {
        if (legacy) old ??= await readLegacyGallery(directory, dimension);
        meta = guard("create", file, () =>
          inTransaction(db, "IMMEDIATE", (): GalleryMeta => {
            // Another process may have created or migrated it meanwhile.
            const current = readMeta(db, file);
            if (current) return current;
            const created = createSchema(db, dimension);
            if (!old) return created;
            const from = `${join(directory, LEGACY_JOURNAL_FILE)} at ${new Date().toISOString()}`;
            migration = insertLegacyGallery(db, old, from);
            return { ...created, migratedFrom: from };
          }),
        );
      }
      checkMeta(meta, file, dimension);
      // A gallery made before negative examples gets their table (once, by the first read-write open).
      if (!guard("read", file, () => hasNegativesTable(db))) {
        guard("migrate", file, () => inTransaction(db, "IMMEDIATE", () => ensureNegativesSchema(db)));
      }
      // The old files go once their content is committed here (also after a crash right before).
      if (legacy && meta.migratedFrom !== undefined) {
        try {
          const movedTo = await moveLegacyFilesAside(directory);
          if (migration && movedTo) migration.movedTo = movedTo;
        } catch (error) {
          process.emitWarning(
            `the gallery was migrated into ${file}, but its old files could not be moved aside: ${(error as Error).message}`,
            "GalleryWarning",
          );
        }
      }
      return new EmbeddedGallery({
        ...settings,
        readOnly: false,
        db,
        standIn: false,
        ...(migration ? { migration } : {}),
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  static async #openReadOnly(settings: {
    directory: string;
    dimension: number;
    busyTimeoutMs: number;
  }): Promise<EmbeddedGallery> {
    const { directory, dimension, busyTimeoutMs } = settings;
    const file = join(directory, DATABASE_FILE);
    const db = (await exists(file)) ? openCreatedReadOnly(file, dimension, busyTimeoutMs) : undefined;
    if (db) return new EmbeddedGallery({ ...settings, readOnly: true, db, standIn: false });
    // Not created yet (or being created): an in-memory stand-in, with the old journal's state if there is one.
    const legacy = (await hasLegacyGallery(directory))
      ? await readLegacyGallery(directory, dimension)
      : undefined;
    const standIn = new DatabaseSync(":memory:");
    inTransaction(standIn, "IMMEDIATE", () => {
      createSchema(standIn, dimension);
      if (legacy) insertLegacyGallery(standIn, legacy, join(directory, LEGACY_JOURNAL_FILE));
    });
    return new EmbeddedGallery({ ...settings, readOnly: true, db: standIn, standIn: true });
  }

  /** How many times the state was reloaded because another connection changed the gallery. */
  get reloads(): number {
    return this.#reloads;
  }

  /**
   * Reloads the state now if another process changed the gallery (reads do it by themselves); resolves
   * to whether it did.
   */
  async refresh(): Promise<boolean> {
    this.#checkOpen();
    return this.#catchUp();
  }

  async enroll(
    name: string,
    embeddings: NewEmbedding[],
    attributes?: Attributes,
  ): Promise<{ identity: IdentityInfo; embeddingIds: string[] }> {
    this.#checkWritable();
    const validName = validateName(name);
    const validAttributes = validateAttributes(attributes);
    const valid = validateEmbeddings(embeddings, this.dimension);
    return this.#change("enroll in", () => {
      const existing = this.#state.identityByName(validName);
      const now = new Date().toISOString();
      const identity: IdentityRow = existing
        ? {
            id: existing.id,
            name: existing.name,
            attributes: mergeAttributes(existing.attributes, validAttributes),
            createdAt: existing.createdAt,
          }
        : { id: randomUUID(), name: validName, attributes: validAttributes, createdAt: now };
      if (!existing) {
        this.#statements
          .get("INSERT INTO identities (id, name, attributes, created_at) VALUES (?, ?, ?, ?)")
          .run(identity.id, identity.name, JSON.stringify(identity.attributes), identity.createdAt);
      } else if (!sameAttributes(existing.attributes, identity.attributes)) {
        this.#statements
          .get("UPDATE identities SET attributes = ? WHERE id = ?")
          .run(JSON.stringify(identity.attributes), identity.id);
      }
      const insert = this.#statements.get(
        "INSERT INTO embeddings (id, identity_id, source, created_at, vector, thumbnail) VALUES (?, ?, ?, ?, ?, ?)",
      );
      const added = valid.map((e) => {
        const id = randomUUID();
        const { lastInsertRowid } = insert.run(
          id,
          identity.id,
          e.source ?? null,
          now,
          vectorToBytes(e.vector),
          e.thumbnail ?? null,
        );
        const row: EmbeddingRow = {
          seq: Number(lastInsertRowid),
          id,
          identityId: identity.id,
          hasThumbnail: e.thumbnail !== undefined,
          createdAt: now,
        };
        if (e.source !== undefined) row.source = e.source;
        return { row, vector: e.vector };
      });
      return () => {
        const entry = this.#state.putIdentity(identity);
        for (const { row, vector } of added) this.#state.addEmbedding(row, vector);
        return { identity: this.#state.info(entry), embeddingIds: added.map((a) => a.row.id) };
      };
    });
  }

  async list(): Promise<IdentityInfo[]> {
    this.#read();
    return [...this.#state.identities()]
      .map((entry) => this.#state.info(entry))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(idOrName: string): Promise<IdentityInfo | undefined> {
    this.#read();
    const entry = this.#state.find(idOrName);
    return entry ? this.#state.info(entry) : undefined;
  }

  /** The identity's embeddings in enrollment order; GalleryError('NOT_FOUND') when there is no such identity. */
  async embeddings(idOrName: string): Promise<EmbeddingInfo[]> {
    this.#read();
    return this.#state.embeddingInfos(this.#require(idOrName));
  }

  async thumbnail(embeddingId: string): Promise<Uint8Array | undefined> {
    this.#read();
    if (typeof embeddingId !== "string") return undefined;
    const row = guard("read", this.file, () =>
      this.#statements.get("SELECT thumbnail FROM embeddings WHERE id = ?").get(embeddingId),
    ) as { thumbnail: Uint8Array | null } | undefined;
    return row?.thumbnail ? new Uint8Array(row.thumbnail) : undefined;
  }

  async rename(idOrName: string, newName: string): Promise<IdentityInfo> {
    this.#checkWritable();
    const validName = validateName(newName, "new name");
    return this.#change("rename in", () => {
      const entry = this.#require(idOrName);
      if (entry.name === validName) return () => this.#state.info(entry);
      if (this.#state.identityByName(validName)) throw nameTaken(validName);
      try {
        this.#statements.get("UPDATE identities SET name = ? WHERE id = ?").run(validName, entry.id);
      } catch (error) {
        throw isUniqueViolation(error) ? nameTaken(validName) : error;
      }
      return () => this.#state.info(this.#state.putIdentity({ ...rowOf(entry), name: validName }));
    });
  }

  async setAttributes(idOrName: string, attributes: Attributes): Promise<IdentityInfo> {
    this.#checkWritable();
    const validAttributes = validateAttributes(attributes);
    return this.#change("change", () => {
      const entry = this.#require(idOrName);
      const merged = mergeAttributes(entry.attributes, validAttributes);
      if (sameAttributes(merged, entry.attributes)) return () => this.#state.info(entry);
      this.#statements
        .get("UPDATE identities SET attributes = ? WHERE id = ?")
        .run(JSON.stringify(merged), entry.id);
      return () => this.#state.info(this.#state.putIdentity({ ...rowOf(entry), attributes: merged }));
    });
  }

  async deleteIdentity(idOrName: string): Promise<boolean> {
    this.#checkWritable();
    const deleted = this.#change("delete from", () => {
      const entry = this.#state.find(idOrName);
      if (!entry) return () => false;
      // ON DELETE CASCADE removes its embeddings (and thumbnails) in the same transaction.
      this.#statements.get("DELETE FROM identities WHERE id = ?").run(entry.id);
      return () => {
        this.#state.deleteIdentity(entry.id);
        return true;
      };
    });
    if (deleted) this.#checkpoint();
    return deleted;
  }

  async deleteEmbedding(embeddingId: string): Promise<boolean> {
    this.#checkWritable();
    const deleted = this.#change("delete from", () => {
      const row = this.#state.embedding(embeddingId);
      if (!row) return () => false;
      this.#statements.get("DELETE FROM embeddings WHERE id = ?").run(row.id);
      return () => {
        this.#state.deleteEmbedding(row.id);
        return true;
      };
    });
    if (deleted) this.#checkpoint();
    return deleted;
  }

  async addNegatives(
    idOrName: string,
    negatives: NewNegative[],
  ): Promise<{ identity: IdentityInfo; negativeIds: string[] }> {
    this.#checkWritable();
    const valid = validateNegatives(negatives, this.dimension);
    return this.#change("add negative examples to", () => {
      const entry = this.#require(idOrName);
      const now = new Date().toISOString();
      const insert = this.#statements.get(
        "INSERT INTO negatives (id, identity_id, source, created_at, vector) VALUES (?, ?, ?, ?, ?)",
      );
      const added = valid.map((n) => {
        const id = randomUUID();
        const { lastInsertRowid } = insert.run(id, entry.id, n.source ?? null, now, vectorToBytes(n.vector));
        const row: NegativeRow = { seq: Number(lastInsertRowid), id, identityId: entry.id, createdAt: now };
        if (n.source !== undefined) row.source = n.source;
        return { row, vector: n.vector };
      });
      return () => {
        for (const { row, vector } of added) this.#state.addNegative(row, vector);
        return { identity: this.#state.info(entry), negativeIds: added.map((a) => a.row.id) };
      };
    });
  }

  async negatives(idOrName: string): Promise<NegativeInfo[]> {
    this.#read();
    return this.#state.negativeInfos(this.#require(idOrName));
  }

  async deleteNegative(negativeId: string): Promise<boolean> {
    this.#checkWritable();
    const deleted = this.#change("delete from", () => {
      const row = this.#state.negative(negativeId);
      if (!row) return () => false;
      this.#statements.get("DELETE FROM negatives WHERE id = ?").run(row.id);
      return () => {
        this.#state.deleteNegative(row.id);
        return true;
      };
    });
    if (deleted) this.#checkpoint();
    return deleted;
  }

  async search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]> {
    this.#checkOpen();
    const query = validateVector(vector, this.dimension, "query vector");
    const { k, minSimilarity, perIdentity } = validateSearchOptions(options);
    this.#read();
    const hits = this.#state.index.search(query, k, {
      perGroup: perIdentity,
      ...(minSimilarity === undefined ? {} : { minScore: minSimilarity }),
      excludeGroups: this.#vetoed(query),
    });
    return hits.map((hit) => {
      const identity = this.#state.identity(hit.group) as IdentityEntry;
      return {
        identityId: identity.id,
        name: identity.name,
        attributes: { ...identity.attributes },
        embeddingId: hit.id,
        similarity: hit.score,
      };
    });
  }

  /** The identities the negative-example rule takes out of this query's hits (see Gallery.search). */
  #vetoed(query: Float32Array): Set<string> {
    const negatives = this.#state.negativeIndex;
    if (negatives.size === 0) return new Set();
    const bestNegative = new Map(
      negatives.search(query, negatives.size, { perGroup: true }).map((h) => [h.group, h.score]),
    );
    return vetoedIdentities(bestNegative, (identityId) => {
      const entry = this.#state.identity(identityId);
      return entry ? this.#state.index.bestScore(query, entry.embeddingIds) : undefined;
    });
  }

  async size(): Promise<number> {
    this.#read();
    return this.#state.embeddingCount;
  }

  /** Closes the database connection (every change is already committed). Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#db.close();
      } catch {}
    }
    return Promise.resolve();
  }

  // ---- keeping up with the database

  /** Before a read: the gallery is open and the state is current. */
  #read(): void {
    this.#checkOpen();
    this.#catchUp();
  }

  /** Brings the state up to date if the database changed (or replaces a stand-in); true if it changed. */
  #catchUp(): boolean {
    if (this.#standIn) this.#replaceStandIn();
    return guard("read", this.file, () => {
      // The cheap check first, outside a transaction; the sync reads the version again in its snapshot.
      if (this.#dataVersion !== undefined && this.#currentDataVersion() === this.#dataVersion) return false;
      return inTransaction(this.#db, "DEFERRED", () => this.#sync());
    });
  }

  /** PRAGMA data_version: changes when another connection (any process) commits a change. */
  #currentDataVersion(): number {
    return (this.#statements.get("PRAGMA data_version").get() as { data_version: number }).data_version;
  }

  /**
   * In a transaction: if another connection committed since the last sync (data_version, read first in
   * the transaction, is the version of the snapshot read), reads what changed; true if anything did.
   */
  #sync(): boolean {
    const version = this.#currentDataVersion();
    if (version === this.#dataVersion) return false;
    // Another process may have added the negatives table to an older file since: read everything then.
    const tableAdded = !this.#negativesTable && hasNegativesTable(this.#db);
    if (tableAdded) {
      this.#negativesTable = true;
      this.#changeVersion = undefined;
    }
    const first = this.#changeVersion === undefined;
    const changed = first ? this.#loadAll() : this.#loadChanges(this.#changeVersion as number);
    this.#dataVersion = version;
    if (changed && !first) this.#reloads++;
    return changed;
  }

  /** The last `changes.version` assigned (0 before any change). */
  #lastChangeVersion(): number {
    const row = this.#statements.get("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as
      | { seq: number }
      | undefined;
    return row?.seq ?? 0;
  }

  /**
   * Reads everything: identities, and embeddings in one pass (1,000 rows per query), decoding only the
   * vectors not in memory yet.
   */
  #loadAll(): true {
    const identities = (
      this.#statements
        .get("SELECT id, name, attributes, created_at FROM identities")
        .all() as unknown as IdentityDbRow[]
    ).map((row) => this.#identityRow(row));
    const embeddings: EmbeddingRow[] = [];
    const vectors = new Map<string, Float32Array>();
    const page = this.#statements.get(`${SELECT_EMBEDDING} WHERE seq >= ? ORDER BY seq LIMIT ${PAGE_ROWS}`);
    for (let from = 0; ; ) {
      const rows = page.all(from) as unknown as EmbeddingDbRow[];
      for (const row of rows) {
        embeddings.push(embeddingRow(row));
        if (!this.#state.index.has(row.id)) vectors.set(row.id, this.#vector(row.id, row.vector));
      }
      if (rows.length < PAGE_ROWS) break;
      from = (rows[rows.length - 1] as EmbeddingDbRow).seq + 1;
    }
    const negatives: NegativeRow[] = [];
    const negativeVectors = new Map<string, Float32Array>();
    this.#negativesTable = hasNegativesTable(this.#db);
    if (this.#negativesTable) {
      for (const row of this.#statements
        .get(`${SELECT_NEGATIVE} ORDER BY seq`)
        .all() as unknown as NegativeDbRow[]) {
        negatives.push(negativeRow(row));
        if (!this.#state.negativeIndex.has(row.id))
          negativeVectors.set(row.id, this.#vector(row.id, row.vector));
      }
    }
    try {
      this.#state.replace(identities, embeddings, vectors);
      this.#state.replaceNegatives(negatives, negativeVectors);
    } catch (error) {
      throw this.#corrupt((error as Error).message);
    }
    this.#changeVersion = this.#lastChangeVersion();
    return true;
  }

  /**
   * Reads again the identities and embeddings named in `changes` after version `since`, and applies
   * them; everything again when that part of the log was pruned. True if anything changed.
   */
  #loadChanges(since: number): boolean {
    const pruned = this.#statements
      .get("SELECT value FROM meta WHERE key = 'changes_pruned_through'")
      .get() as { value: string } | undefined;
    if (pruned !== undefined && Number(pruned.value) > since) return this.#loadAll();
    const changes = this.#statements
      .get("SELECT version, identity_id, embedding_id FROM changes WHERE version > ? ORDER BY version")
      .all(since) as { version: number; identity_id: string | null; embedding_id: string | null }[];
    if (changes.length === 0) return false;
    const identityIds = new Set<string>();
    const embeddingIds = new Set<string>();
    for (const c of changes) {
      if (c.identity_id !== null) identityIds.add(c.identity_id);
      if (c.embedding_id !== null) embeddingIds.add(c.embedding_id);
    }
    // Read (and check) everything first, then apply: a damaged row changes nothing.
    const present: IdentityRow[] = [];
    const gone: string[] = [];
    const identityById = this.#statements.get(
      "SELECT id, name, attributes, created_at FROM identities WHERE id = ?",
    );
    for (const id of identityIds) {
      const row = identityById.get(id) as IdentityDbRow | undefined;
      if (row) present.push(this.#identityRow(row));
      else gone.push(id);
    }
    const added: { row: EmbeddingRow; vector: Float32Array }[] = [];
    const addedNegatives: { row: NegativeRow; vector: Float32Array }[] = [];
    const deleted: string[] = [];
    const embeddingById = this.#statements.get(`${SELECT_EMBEDDING} WHERE id = ?`);
    // embedding_id names an embedding or a negative example (see gallery-database.ts).
    const negativeById = this.#negativesTable
      ? this.#statements.get(`${SELECT_NEGATIVE} WHERE id = ?`)
      : undefined;
    for (const id of embeddingIds) {
      const row = embeddingById.get(id) as EmbeddingDbRow | undefined;
      if (row) {
        if (!this.#state.embedding(id))
          added.push({ row: embeddingRow(row), vector: this.#vector(id, row.vector) });
        continue;
      }
      const negative = negativeById?.get(id) as NegativeDbRow | undefined;
      if (!negative) deleted.push(id);
      else if (!this.#state.negative(id))
        addedNegatives.push({ row: negativeRow(negative), vector: this.#vector(id, negative.vector) });
    }
    added.sort((a, b) => a.row.seq - b.row.seq);
    addedNegatives.sort((a, b) => a.row.seq - b.row.seq);
    const identityIdsAfter = new Set([...this.#state.identities()].map((i) => i.id));
    for (const row of present) identityIdsAfter.add(row.id);
    for (const id of gone) identityIdsAfter.delete(id);
    // An embedding of an identity neither known nor read here cannot happen (every insert is logged),
    // unless the database was changed by hand: read everything then.
    if (
      !added.every((a) => identityIdsAfter.has(a.row.identityId)) ||
      !addedNegatives.every((a) => identityIdsAfter.has(a.row.identityId))
    )
      return this.#loadAll();
    for (const row of present) this.#state.putIdentity(row);
    for (const id of gone) this.#state.deleteIdentity(id);
    for (const id of deleted) {
      this.#state.deleteEmbedding(id);
      this.#state.deleteNegative(id);
    }
    for (const { row, vector } of added) this.#state.addEmbedding(row, vector);
    for (const { row, vector } of addedNegatives) this.#state.addNegative(row, vector);
    this.#changeVersion = (changes[changes.length - 1] as { version: number }).version;
    return true;
  }

  #identityRow(row: IdentityDbRow): IdentityRow {
    let attributes: unknown;
    try {
      attributes = JSON.parse(row.attributes);
    } catch {}
    if (
      attributes === null ||
      typeof attributes !== "object" ||
      Array.isArray(attributes) ||
      !Object.values(attributes).every((v) => typeof v === "string")
    ) {
      throw this.#corrupt(`the attributes of identity ${row.id} are not an object of strings`);
    }
    return { id: row.id, name: row.name, attributes: attributes as Attributes, createdAt: row.created_at };
  }

  #vector(id: string, bytes: Uint8Array): Float32Array {
    try {
      return vectorFromBytes(bytes, this.dimension);
    } catch (error) {
      throw this.#corrupt(`embedding ${id}: ${(error as Error).message}`);
    }
  }

  /** Read-only: once the database file is created (or migrated) by another process, reads switch to it. */
  #replaceStandIn(): boolean {
    if (!existsSync(this.file)) return false;
    const db = openCreatedReadOnly(this.file, this.dimension, this.#busyTimeoutMs);
    if (!db) return false;
    this.#db.close();
    this.#db = db;
    this.#statements = new StatementCache(db);
    this.#standIn = false;
    this.#dataVersion = undefined;
    this.#changeVersion = undefined;
    this.#reloads++; // the stand-in's state is replaced (the load below does not count it again)
    return true;
  }

  /**
   * Runs a change: takes the write lock (waiting for another process's change up to the busy timeout),
   * catches up with what other processes committed, runs `write` (checks against the state and SQL), then
   * commits and runs the closure `write` returned, which updates the in-memory state and gives the result.
   */
  #change<T>(action: string, write: () => () => T): T {
    const apply = guard(action, this.file, () =>
      inTransaction(this.#db, "IMMEDIATE", () => {
        this.#sync();
        const applyChange = write();
        const changeVersion = this.#lastChangeVersion();
        this.#pruneChanges(changeVersion);
        return () => {
          this.#changeVersion = changeVersion; // this change's own rows in `changes` are applied below
          return applyChange();
        };
      }),
    );
    return apply();
  }

  /** Keeps the last KEPT_CHANGES rows of `changes`, and records what was deleted (in the transaction). */
  #pruneChanges(last: number): void {
    const through = last - KEPT_CHANGES;
    if (through <= 0) return;
    const { changes } = this.#statements.get("DELETE FROM changes WHERE version <= ?").run(through);
    if (Number(changes) > 0) {
      this.#statements
        .get(
          "INSERT INTO meta (key, value) VALUES ('changes_pruned_through', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .run(String(through));
    }
  }

  /**
   * After a deletion: copies the WAL into the database and truncates it, so that the deleted rows (zeroed
   * by secure_delete) leave no older copy in gallery.sqlite-wal. Best effort, waiting 100 ms at most for
   * readers of an older snapshot: otherwise the next checkpoint does it (automatic every 1,000 pages of
   * WAL, and when the last connection closes).
   */
  #checkpoint(): void {
    try {
      this.#db.exec("PRAGMA busy_timeout = 100");
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
    } finally {
      try {
        this.#db.exec(`PRAGMA busy_timeout = ${this.#busyTimeoutMs}`);
      } catch {}
    }
  }

  // ---- helpers

  #require(idOrName: string): IdentityEntry {
    const entry = this.#state.find(idOrName);
    if (!entry) throw new GalleryError("NOT_FOUND", `no identity with id or name "${idOrName}"`);
    return entry;
  }

  #corrupt(reason: string): GalleryError {
    return new GalleryError("CORRUPT", `${this.file} is corrupt: ${reason}`);
  }

  #checkOpen(): void {
    if (this.#closed) throw new GalleryError("INVALID", `the gallery at ${this.directory} is closed`);
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#readOnly) {
      throw new GalleryError(
        "READ_ONLY",
        `the gallery at ${this.directory} is open read-only here (changes go through a read-write open)`,
      );
    }
  }
}

function rowOf(entry: IdentityEntry): IdentityRow {
  return { id: entry.id, name: entry.name, attributes: { ...entry.attributes }, createdAt: entry.createdAt };
}

function nameTaken(name: string): GalleryError {
  return new GalleryError("NAME_TAKEN", `an identity named "${name}" already exists`);
}

/** Runs a database access, turning SQLite failures into GalleryErrors naming the file. */
function guard<T>(action: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw databaseError(action, file, error);
  }
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

/**
 * A read-only connection to `file` once a gallery was created in it (meta rows committed), or undefined
 * while it is still empty (another process is creating it).
 */
function openCreatedReadOnly(
  file: string,
  dimension: number,
  busyTimeoutMs: number,
): DatabaseSync | undefined {
  const db = openDatabase(file, { readOnly: true, busyTimeoutMs });
  try {
    const meta = guard("read", file, () => readMeta(db, file));
    if (!meta) {
      db.close();
      return undefined;
    }
    checkMeta(meta, file, dimension);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A gallery is only created in an empty directory (or one holding only what a crashed creation left). */
async function checkCanInitialise(directory: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    throw ioError("read", directory, error);
  }
  const foreign = entries.filter((e) => !CREATION_LEFTOVERS.has(e));
  if (foreign.length > 0) {
    throw new GalleryError(
      "INVALID",
      `${directory} is not a gallery (no ${DATABASE_FILE}) and is not empty (it holds ${foreign
        .slice(0, 3)
        .join(", ")}${foreign.length > 3 ? ", ..." : ""}): use an empty or new directory`,
    );
  }
}
