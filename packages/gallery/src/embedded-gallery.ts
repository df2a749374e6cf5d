/**
 * EmbeddedGallery: a Gallery stored in a local directory, searched in memory.
 *
 * Directory layout:
 *   meta.json          {"format":1,"dimension":512}, written atomically on creation
 *   LOCK               pid of the process that has the gallery open (see lock-file.ts)
 *   journal.log        append-only records (see journal.ts and gallery-records.ts), replayed at open
 *   journal.log.tmp    only during compaction (a leftover one is an interrupted compaction: removed at open)
 *   thumbs/<embeddingId>.jpg
 *
 * Every change is one journal record, appended and fsynced before the call resolves (so enroll is atomic:
 * all its embeddings or none). Thumbnails are written (atomically) before the record that references them
 * and removed after the record that deletes them; files left over by a crash in between are removed at open.
 */

import { randomUUID } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  errnoCode,
  fsyncDirectory,
  makeDirectory,
  type PidLock,
  realPathInside,
  writeFileAtomic,
} from "@facetracker/infra";
import {
  type EmbeddingEntry,
  type GalleryRecord,
  type IdentityState,
  recordFromJson,
  recordToJson,
} from "./gallery-records.ts";
import { ioError } from "./io-error.ts";
import { Journal, readJournal } from "./journal.ts";
import { acquireGalleryLock } from "./lock-file.ts";
import type { Attributes, EmbeddingInfo, Gallery, IdentityInfo, NewEmbedding, SearchHit } from "./types.ts";
import { GalleryError } from "./types.ts";
import {
  DEFAULT_DIMENSION,
  mergeAttributes,
  sameAttributes,
  validateAttributes,
  validateDimension,
  validateEmbeddings,
  validateName,
  validateSearchOptions,
  validateVector,
} from "./validation.ts";
import { VectorIndex } from "./vector-index.ts";

export const GALLERY_FORMAT = 1;
const META_FILE = "meta.json";
const LOCK_FILE = "LOCK";
const JOURNAL_FILE = "journal.log";
const THUMBS_DIR = "thumbs";
/** Embeddings per enroll record in a compacted journal. */
const SNAPSHOT_CHUNK = 256;
const THUMB_FILE_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jpg$/;

export interface EmbeddedGalleryOptions {
  /** Vector dimension (default 512); must match the gallery's when it exists. */
  dimension?: number;
  /**
   * Compact the journal when it holds more than this many dead entries and they are more than half of it
   * (default 1000).
   */
  compactMinDead?: number;
  /**
   * Open for reading only, alongside the one writer (another process): no lock is taken, nothing is
   * repaired or created, a torn last record (an append in progress) is skipped, and every change throws
   * GalleryError('READ_ONLY'). A directory that is not a gallery yet reads as empty. See GalleryFollower.
   */
  readOnly?: boolean;
}

/** What opening the gallery had to repair. */
export interface OpenRecovery {
  /** Bytes of a torn last journal record that were truncated away (0 when the journal was clean). */
  discardedJournalBytes: number;
  /** Why the discarded tail was invalid. */
  discardedReason?: string;
  /** Thumbnail files that no journal record references (left by a crash), removed. */
  removedOrphanThumbnails: number;
  /** True when a leftover journal.log.tmp of an interrupted compaction was removed. */
  removedCompactionLeftover: boolean;
}

interface IdentityEntry extends IdentityState {
  embeddingIds: Set<string>;
}

interface EmbeddingMeta {
  id: string;
  identityId: string;
  source?: string;
  hasThumbnail: boolean;
  createdAt: string;
}

/** Entries a journal record accounts for (an identity state and each embedding count one). */
function recordUnits(record: GalleryRecord): number {
  return record.type === "enroll" ? 1 + record.embeddings.length : 1;
}

export class EmbeddedGallery implements Gallery {
  readonly dimension: number;
  /** Absolute path of the gallery directory. */
  readonly directory: string;
  readonly recovery: OpenRecovery;
  readonly #compactMinDead: number;
  readonly #readOnly: boolean;
  readonly #identities = new Map<string, IdentityEntry>();
  readonly #byName = new Map<string, string>();
  readonly #embeddings = new Map<string, EmbeddingMeta>();
  readonly #index: VectorIndex;
  #journal: Journal | undefined;
  #lock: PidLock | undefined;
  /** Journal entries written (live and dead); see recordUnits. */
  #journalUnits = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(directory: string, dimension: number, compactMinDead: number, readOnly: boolean) {
    this.directory = directory;
    this.dimension = dimension;
    this.#compactMinDead = compactMinDead;
    this.#readOnly = readOnly;
    this.#index = new VectorIndex(dimension);
    this.recovery = {
      discardedJournalBytes: 0,
      removedOrphanThumbnails: 0,
      removedCompactionLeftover: false,
    };
  }

  /** Opens (creating when needed) the gallery in directory `dir`. */
  static async open(dir: string, options: EmbeddedGalleryOptions = {}): Promise<EmbeddedGallery> {
    const dimension = validateDimension(options.dimension ?? DEFAULT_DIMENSION);
    const compactMinDead = options.compactMinDead ?? 1000;
    if (!Number.isInteger(compactMinDead) || compactMinDead < 0) {
      throw new GalleryError("INVALID", `compactMinDead must be an integer >= 0, got ${compactMinDead}`);
    }
    if (typeof dir !== "string" || dir.length === 0) {
      throw new GalleryError("INVALID", "the gallery directory must be a non-empty path");
    }
    const directory = resolve(dir);
    if (options.readOnly) {
      const gallery = new EmbeddedGallery(directory, dimension, compactMinDead, true);
      await gallery.#loadReadOnly();
      return gallery;
    }
    try {
      await makeDirectory(directory);
    } catch (error) {
      throw ioError("create the gallery directory", directory, error);
    }
    const lock = await acquireGalleryLock(join(directory, LOCK_FILE));
    const gallery = new EmbeddedGallery(directory, dimension, compactMinDead, false);
    gallery.#lock = lock;
    try {
      await gallery.#load();
    } catch (error) {
      await gallery.#journal?.close().catch(() => {});
      await lock.release().catch(() => {});
      throw error;
    }
    return gallery;
  }

  async enroll(
    name: string,
    embeddings: NewEmbedding[],
    attributes?: Attributes,
  ): Promise<{ identity: IdentityInfo; embeddingIds: string[] }> {
    this.#checkOpen();
    const validName = validateName(name);
    const validAttributes = validateAttributes(attributes);
    const valid = validateEmbeddings(embeddings, this.dimension);
    return this.#exclusive(async () => {
      const existing = this.#identityByName(validName);
      const now = new Date().toISOString();
      const identity: IdentityState = existing
        ? {
            id: existing.id,
            name: existing.name,
            attributes: mergeAttributes(existing.attributes, validAttributes),
            createdAt: existing.createdAt,
          }
        : { id: randomUUID(), name: validName, attributes: validAttributes, createdAt: now };
      const entries: EmbeddingEntry[] = valid.map((e) => ({
        id: randomUUID(),
        vector: e.vector,
        ...(e.source === undefined ? {} : { source: e.source }),
        thumbnail: e.thumbnail !== undefined,
        createdAt: now,
      }));
      if (existing && entries.length === 0 && sameAttributes(existing.attributes, identity.attributes)) {
        return { identity: this.#info(existing), embeddingIds: [] };
      }
      const thumbnails = valid.flatMap((e, i) =>
        e.thumbnail ? [{ id: (entries[i] as EmbeddingEntry).id, bytes: e.thumbnail }] : [],
      );
      await this.#writeThumbnails(thumbnails);
      try {
        await this.#commit({ type: "enroll", identity, embeddings: entries });
      } catch (error) {
        await this.#removeThumbnails(thumbnails.map((t) => t.id));
        throw error;
      }
      return {
        identity: this.#info(this.#identities.get(identity.id) as IdentityEntry),
        embeddingIds: entries.map((e) => e.id),
      };
    });
  }

  async list(): Promise<IdentityInfo[]> {
    this.#checkOpen();
    return [...this.#identities.values()]
      .map((entry) => this.#info(entry))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(idOrName: string): Promise<IdentityInfo | undefined> {
    this.#checkOpen();
    const entry = this.#find(idOrName);
    return entry ? this.#info(entry) : undefined;
  }

  /** The identity's embeddings in enrollment order; GalleryError('NOT_FOUND') when there is no such identity. */
  async embeddings(idOrName: string): Promise<EmbeddingInfo[]> {
    this.#checkOpen();
    const entry = this.#require(idOrName);
    return [...entry.embeddingIds].map((id) => {
      const meta = this.#embeddings.get(id) as EmbeddingMeta;
      const info: EmbeddingInfo = {
        id: meta.id,
        identityId: meta.identityId,
        hasThumbnail: meta.hasThumbnail,
        createdAt: meta.createdAt,
      };
      if (meta.source !== undefined) info.source = meta.source;
      return info;
    });
  }

  async thumbnail(embeddingId: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const meta = typeof embeddingId === "string" ? this.#embeddings.get(embeddingId) : undefined;
    if (!meta?.hasThumbnail) return undefined;
    const path = this.#thumbPath(meta.id);
    try {
      // The real file must be inside thumbs/: a symbolic link out of it is refused (IO error), never read.
      return new Uint8Array(await readFile(await realPathInside(join(this.directory, THUMBS_DIR), path)));
    } catch (error) {
      // Deleted concurrently (or removed by hand): there is no thumbnail to return.
      if (errnoCode(error) === "ENOENT") return undefined;
      throw ioError("read", path, error);
    }
  }

  async rename(idOrName: string, newName: string): Promise<IdentityInfo> {
    this.#checkOpen();
    const validName = validateName(newName, "new name");
    return this.#exclusive(async () => {
      const entry = this.#require(idOrName);
      if (entry.name === validName) return this.#info(entry);
      if (this.#byName.has(validName)) {
        throw new GalleryError("NAME_TAKEN", `an identity named "${validName}" already exists`);
      }
      await this.#commit({ type: "identity", identity: { ...this.#state(entry), name: validName } });
      return this.#info(entry);
    });
  }

  async setAttributes(idOrName: string, attributes: Attributes): Promise<IdentityInfo> {
    this.#checkOpen();
    const validAttributes = validateAttributes(attributes);
    return this.#exclusive(async () => {
      const entry = this.#require(idOrName);
      const merged = mergeAttributes(entry.attributes, validAttributes);
      if (!sameAttributes(merged, entry.attributes)) {
        await this.#commit({ type: "identity", identity: { ...this.#state(entry), attributes: merged } });
      }
      return this.#info(entry);
    });
  }

  async deleteIdentity(idOrName: string): Promise<boolean> {
    this.#checkOpen();
    return this.#exclusive(async () => {
      const entry = this.#find(idOrName);
      if (!entry) return false;
      const withThumbnails = [...entry.embeddingIds].filter((id) => this.#embeddings.get(id)?.hasThumbnail);
      await this.#commit({ type: "delete-identity", id: entry.id });
      await this.#removeThumbnails(withThumbnails);
      return true;
    });
  }

  async deleteEmbedding(embeddingId: string): Promise<boolean> {
    this.#checkOpen();
    return this.#exclusive(async () => {
      const meta = typeof embeddingId === "string" ? this.#embeddings.get(embeddingId) : undefined;
      if (!meta) return false;
      await this.#commit({ type: "delete-embedding", id: meta.id });
      if (meta.hasThumbnail) await this.#removeThumbnails([meta.id]);
      return true;
    });
  }

  async search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]> {
    this.#checkOpen();
    const query = validateVector(vector, this.dimension, "query vector");
    const { k, minSimilarity, perIdentity } = validateSearchOptions(options);
    const hits = this.#index.search(query, k, {
      perGroup: perIdentity,
      ...(minSimilarity === undefined ? {} : { minScore: minSimilarity }),
    });
    return hits.map((hit) => {
      const identity = this.#identities.get(hit.group) as IdentityEntry;
      return {
        identityId: identity.id,
        name: identity.name,
        attributes: { ...identity.attributes },
        embeddingId: hit.id,
        similarity: hit.score,
      };
    });
  }

  async size(): Promise<number> {
    this.#checkOpen();
    return this.#embeddings.size;
  }

  /**
   * Rewrites the journal as a snapshot of the live state (one record per identity and up to 256 of its
   * embeddings). Done automatically when the journal is mostly dead records.
   */
  async compact(): Promise<void> {
    this.#checkOpen();
    await this.#exclusive(() => this.#compact());
  }

  /** Journal statistics: entries written, entries still live. */
  journalStats(): { entries: number; liveEntries: number; bytes: number } {
    return {
      entries: this.#journalUnits,
      liveEntries: this.#liveUnits(),
      bytes: this.#journal?.size ?? 0,
    };
  }

  /** Waits for the changes in progress, closes the journal and releases the lock. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#queue.then(async () => {
      try {
        await this.#journal?.close();
      } finally {
        this.#journal = undefined;
        await this.#lock?.release().catch(() => {});
        this.#lock = undefined;
      }
    });
    return this.#closing;
  }

  // ---- loading

  /** Reads the state without changing any file (see EmbeddedGalleryOptions.readOnly). */
  async #loadReadOnly(): Promise<void> {
    const metaPath = join(this.directory, META_FILE);
    let text: string;
    try {
      text = await readFile(metaPath, "utf8");
    } catch (error) {
      if (errnoCode(error) === "ENOENT") return; // not created yet: empty
      throw ioError("read", metaPath, error);
    }
    this.#checkMeta(metaPath, text);
    await this.#replayJournal(join(this.directory, JOURNAL_FILE));
  }

  /** Applies every valid record of the journal; a record that makes no sense is corruption. */
  #replayJournal(journalPath: string): ReturnType<typeof readJournal> {
    return readJournal(journalPath, (json, line) => {
      let record: GalleryRecord;
      try {
        record = recordFromJson(json, this.dimension);
        this.#apply(record);
      } catch (error) {
        throw new GalleryError(
          "CORRUPT",
          `${journalPath} is corrupt at line ${line}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      this.#journalUnits += recordUnits(record);
    });
  }

  async #load(): Promise<void> {
    await this.#loadOrCreateMeta();
    const tmp = join(this.directory, `${JOURNAL_FILE}.tmp`);
    try {
      await rm(tmp);
      this.recovery.removedCompactionLeftover = true;
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw ioError("remove", tmp, error);
    }
    try {
      await makeDirectory(join(this.directory, THUMBS_DIR));
    } catch (error) {
      throw ioError("create", join(this.directory, THUMBS_DIR), error);
    }

    const journalPath = join(this.directory, JOURNAL_FILE);
    const result = await this.#replayJournal(journalPath);
    this.#journal = await Journal.open(journalPath, result.validBytes);
    if (result.tornBytes > 0) {
      this.recovery.discardedJournalBytes = result.tornBytes;
      if (result.tornReason !== undefined) this.recovery.discardedReason = result.tornReason;
    }
    await this.#removeOrphanThumbnails();
    if (this.#shouldCompact()) await this.#compact();
  }

  async #loadOrCreateMeta(): Promise<void> {
    const path = join(this.directory, META_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw ioError("read", path, error);
    }
    if (text === undefined) {
      await this.#checkCanInitialise();
      try {
        await writeFileAtomic(
          path,
          `${JSON.stringify({ format: GALLERY_FORMAT, dimension: this.dimension })}\n`,
        );
      } catch (error) {
        throw ioError("write", path, error);
      }
      return;
    }
    this.#checkMeta(path, text);
  }

  /** Checks meta.json's text: format and dimension. */
  #checkMeta(path: string, text: string): void {
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
    if (meta.format !== GALLERY_FORMAT) {
      throw new GalleryError(
        "INVALID",
        `${path}: unsupported gallery format ${JSON.stringify(meta.format)} (this version reads format ${GALLERY_FORMAT})`,
      );
    }
    if (meta.dimension !== this.dimension) {
      throw new GalleryError(
        "INVALID",
        `the gallery at ${this.directory} has dimension ${JSON.stringify(meta.dimension)}, it was opened with dimension ${this.dimension}`,
      );
    }
  }

  /** A gallery is only created in an empty directory (or one holding only what a crashed creation left). */
  async #checkCanInitialise(): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.directory);
    } catch (error) {
      throw ioError("read", this.directory, error);
    }
    if (entries.includes(JOURNAL_FILE)) {
      throw new GalleryError(
        "CORRUPT",
        `${join(this.directory, META_FILE)} is missing but ${join(this.directory, JOURNAL_FILE)} exists`,
      );
    }
    const foreign = entries.filter(
      (e) => e !== LOCK_FILE && e !== THUMBS_DIR && e !== `${JOURNAL_FILE}.tmp` && !/^\..*\.tmp$/.test(e),
    );
    if (foreign.length > 0) {
      throw new GalleryError(
        "INVALID",
        `${this.directory} is not a gallery (no ${META_FILE}) and is not empty (it holds ${foreign
          .slice(0, 3)
          .join(", ")}${foreign.length > 3 ? ", ..." : ""}): use an empty or new directory`,
      );
    }
  }

  async #removeOrphanThumbnails(): Promise<void> {
    const dir = join(this.directory, THUMBS_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw ioError("read", dir, error);
    }
    for (const name of names) {
      const id = THUMB_FILE_RE.exec(name)?.[1];
      if (id !== undefined && this.#embeddings.get(id)?.hasThumbnail) continue;
      try {
        await rm(join(dir, name), { force: true, recursive: true });
        this.recovery.removedOrphanThumbnails++;
      } catch (error) {
        throw ioError("remove", join(dir, name), error);
      }
    }
  }

  // ---- state

  /** Applies a record to the in-memory state; throws (without changing anything) when it makes no sense. */
  #apply(record: GalleryRecord): void {
    switch (record.type) {
      case "enroll": {
        const { identity, embeddings } = record;
        this.#checkIdentityState(identity, !this.#identities.has(identity.id));
        const seen = new Set<string>();
        for (const e of embeddings) {
          if (this.#embeddings.has(e.id) || seen.has(e.id))
            throw new Error(`embedding ${e.id} already exists`);
          seen.add(e.id);
        }
        const entry = this.#upsertIdentity(identity);
        for (const e of embeddings) {
          this.#index.add(e.id, entry.id, e.vector);
          const meta: EmbeddingMeta = {
            id: e.id,
            identityId: entry.id,
            hasThumbnail: e.thumbnail,
            createdAt: e.createdAt,
          };
          if (e.source !== undefined) meta.source = e.source;
          this.#embeddings.set(e.id, meta);
          entry.embeddingIds.add(e.id);
        }
        return;
      }
      case "identity":
        if (!this.#identities.has(record.identity.id))
          throw new Error(`identity ${record.identity.id} does not exist`);
        this.#checkIdentityState(record.identity, false);
        this.#upsertIdentity(record.identity);
        return;
      case "delete-identity": {
        const entry = this.#identities.get(record.id);
        if (!entry) throw new Error(`identity ${record.id} does not exist`);
        for (const id of entry.embeddingIds) {
          this.#index.remove(id);
          this.#embeddings.delete(id);
        }
        this.#identities.delete(entry.id);
        this.#byName.delete(entry.name);
        return;
      }
      case "delete-embedding": {
        const meta = this.#embeddings.get(record.id);
        if (!meta) throw new Error(`embedding ${record.id} does not exist`);
        this.#index.remove(meta.id);
        this.#embeddings.delete(meta.id);
        this.#identities.get(meta.identityId)?.embeddingIds.delete(meta.id);
        return;
      }
    }
  }

  #checkIdentityState(identity: IdentityState, isNew: boolean): void {
    const holder = this.#byName.get(identity.name);
    if (holder !== undefined && holder !== identity.id) {
      throw new Error(`name "${identity.name}" is already used by identity ${holder}`);
    }
    if (isNew && identity.name.length === 0) throw new Error("identity name is empty");
  }

  #upsertIdentity(identity: IdentityState): IdentityEntry {
    let entry = this.#identities.get(identity.id);
    if (!entry) {
      entry = { ...identity, attributes: { ...identity.attributes }, embeddingIds: new Set() };
      this.#identities.set(entry.id, entry);
    } else {
      this.#byName.delete(entry.name);
      entry.name = identity.name;
      entry.attributes = { ...identity.attributes };
    }
    this.#byName.set(entry.name, entry.id);
    return entry;
  }

  /** Appends the record (durably), then applies it. */
  async #commit(record: GalleryRecord): Promise<void> {
    const journal = this.#journal;
    if (!journal) throw new GalleryError("INVALID", `the gallery at ${this.directory} is closed`);
    await journal.append([recordToJson(record)]);
    this.#apply(record);
    this.#journalUnits += recordUnits(record);
    if (this.#shouldCompact()) {
      // The change itself is durable: a failed compaction leaves the (valid) journal as it was.
      await this.#compact().catch((error: unknown) => {
        process.emitWarning(`gallery compaction failed: ${(error as Error).message}`, "GalleryWarning");
      });
    }
  }

  #liveUnits(): number {
    return this.#identities.size + this.#embeddings.size;
  }

  #shouldCompact(): boolean {
    const dead = this.#journalUnits - this.#liveUnits();
    return dead > this.#compactMinDead && dead * 2 > this.#journalUnits;
  }

  async #compact(): Promise<void> {
    const journal = this.#journal;
    if (!journal) throw new GalleryError("INVALID", `the gallery at ${this.directory} is closed`);
    const written = { units: 0 };
    await journal.rewrite(this.#snapshot(written));
    this.#journalUnits = written.units;
  }

  /** The live state as enroll records; counts their entries in `written.units`. */
  *#snapshot(written: { units: number }): Generator<unknown> {
    for (const entry of this.#identities.values()) {
      const identity = this.#state(entry);
      const ids = [...entry.embeddingIds];
      for (let start = 0; start === 0 || start < ids.length; start += SNAPSHOT_CHUNK) {
        const embeddings = ids.slice(start, start + SNAPSHOT_CHUNK).map((id): EmbeddingEntry => {
          const meta = this.#embeddings.get(id) as EmbeddingMeta;
          return {
            id,
            vector: this.#index.get(id) as Float32Array,
            ...(meta.source === undefined ? {} : { source: meta.source }),
            thumbnail: meta.hasThumbnail,
            createdAt: meta.createdAt,
          };
        });
        written.units += 1 + embeddings.length;
        yield recordToJson({ type: "enroll", identity, embeddings });
      }
    }
  }

  // ---- helpers

  #state(entry: IdentityEntry): IdentityState {
    return {
      id: entry.id,
      name: entry.name,
      attributes: { ...entry.attributes },
      createdAt: entry.createdAt,
    };
  }

  #info(entry: IdentityEntry): IdentityInfo {
    return {
      id: entry.id,
      name: entry.name,
      attributes: { ...entry.attributes },
      embeddingCount: entry.embeddingIds.size,
      createdAt: entry.createdAt,
    };
  }

  #identityByName(name: string): IdentityEntry | undefined {
    const id = this.#byName.get(name);
    return id === undefined ? undefined : this.#identities.get(id);
  }

  #find(idOrName: string): IdentityEntry | undefined {
    if (typeof idOrName !== "string") return undefined;
    return this.#identities.get(idOrName) ?? this.#identityByName(idOrName.trim());
  }

  #require(idOrName: string): IdentityEntry {
    const entry = this.#find(idOrName);
    if (!entry) throw new GalleryError("NOT_FOUND", `no identity with id or name "${idOrName}"`);
    return entry;
  }

  #thumbPath(embeddingId: string): string {
    return join(this.directory, THUMBS_DIR, `${embeddingId}.jpg`);
  }

  async #writeThumbnails(thumbnails: { id: string; bytes: Uint8Array }[]): Promise<void> {
    if (thumbnails.length === 0) return;
    const written: string[] = [];
    try {
      for (const { id, bytes } of thumbnails) {
        const path = this.#thumbPath(id);
        try {
          await writeFileAtomic(path, bytes, { syncDirectory: false });
        } catch (error) {
          throw ioError("write", path, error);
        }
        written.push(id);
      }
      const dir = join(this.directory, THUMBS_DIR);
      try {
        await fsyncDirectory(dir);
      } catch (error) {
        throw ioError("sync", dir, error);
      }
    } catch (error) {
      await this.#removeThumbnails(written);
      throw error;
    }
  }

  /** Best effort: a file that cannot be removed now is an orphan removed at the next open. */
  async #removeThumbnails(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => rm(this.#thumbPath(id), { force: true }).catch(() => {})));
  }

  #checkOpen(): void {
    if (this.#closed) throw new GalleryError("INVALID", `the gallery at ${this.directory} is closed`);
  }

  /**
   * Runs mutations one at a time (they check and then change the state around an await). Callers check
   * #closed before queueing, and close() queues behind them, so a queued mutation still finds the journal.
   */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#readOnly) {
      return Promise.reject(
        new GalleryError(
          "READ_ONLY",
          `the gallery at ${this.directory} is open read-only (changes go through its one writer, the api service)`,
        ),
      );
    }
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
