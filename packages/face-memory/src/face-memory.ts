/**
 * The face memory: every confirmed track remembered in `<dir>/memory.sqlite` (camera tracks as their events
 * come, tracks of analysed files and clips as each analysis ends), searched by face. Several processes
 * share it (the api service records live tracks while the CLI records an analysis and searches); each open
 * memory searches an in-memory copy of the kept embeddings (MemoryIndex), which catches up with what other
 * processes committed before each search: `PRAGMA data_version` tells whether anything changed, the
 * `changes` log which tracks. Retention (by age and by count) is applied on every write that adds a track
 * and when a memory is opened for writing. With a vector store (the Qdrant backend), the kept embeddings are
 * also written there from the `changes` log, in the background, and searchAsync asks it (vector-sync.ts).
 */

import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import {
  type Correction,
  CorrectionError,
  correctionInForce,
  ensureCorrectionsSchema,
  forgetCorrectionsOf,
  hasCorrectionsTable,
  insertCorrection,
  listCorrections,
  markUndone,
  type NewCorrection,
  readCorrection,
  undoableCorrection,
} from "./corrections.ts";
import {
  createSchema,
  DEFAULT_BUSY_TIMEOUT_MS,
  databaseError,
  ensureVisitorSchema,
  hasVisitorSchema,
  inTransaction,
  KEPT_CHANGES,
  MEMORY_FILE,
  MemoryError,
  openDatabase,
  readDimension,
  StatementCache,
  vectorFromBytes,
  vectorToBytes,
} from "./memory-database.ts";
import { type IndexHit, MemoryIndex } from "./memory-index.ts";
import type { MemoryVectorStore } from "./memory-vector-store.ts";
import { type CandidateEmbedding, chooseRepresentatives } from "./representatives.ts";
import type {
  IdentityEvidence,
  LiveTrackUpdate,
  MemoryHit,
  MemorySearchOptions,
  RememberedTrack,
  TrackSource,
  TrackToRemember,
} from "./types.ts";
import { VectorSync, type VectorSyncResult } from "./vector-sync.ts";
import { isOpenVisitor, liveTrackRow, type VisitorSighting, visitCounts } from "./visitor-sightings.ts";
import { assignVisitor, chooseVisitor, DEFAULT_VISITOR_THRESHOLD } from "./visitors.ts";

const DAY_MS = 86_400_000;

/** Defaults of the configuration's `memory` section. */
export const MEMORY_DEFAULTS = Object.freeze({
  retentionDays: 30,
  maxTracks: 100_000,
  embeddingsPerTrack: 3,
  visitorThreshold: DEFAULT_VISITOR_THRESHOLD,
});

export interface FaceMemoryOptions {
  /** Dimension of the embeddings (the memory's file records it; another one is refused). */
  dimension: number;
  /** Tracks last seen longer ago than this are forgotten, days (0 = no age limit; default 30). */
  retentionDays?: number;
  /** Most tracks kept: the least recently seen beyond are forgotten (default 100,000). */
  maxTracks?: number;
  /** Embeddings kept per track, chosen for quality and diversity (default 3). */
  embeddingsPerTrack?: number;
  /**
   * An unknown track joins a visitor when its best similarity to one of the visitor's tracks reaches this
   * (and a majority of them are close too: see visitors.ts); default 0.4.
   */
  visitorThreshold?: number;
  /** Search only: nothing is written, and a missing memory is an error (code MISSING). */
  readOnly?: boolean;
  /** How long a write waits for another process's (default 5000 ms). */
  busyTimeoutMs?: number;
  /** The clock (ms since the epoch) of retention and of files' analysis times; default Date.now. */
  now?: () => number;
  /**
   * A vector database holding the kept embeddings too (the Qdrant backend): searchAsync asks it, and a
   * memory opened for writing keeps it in step in the background (see vector-sync.ts).
   */
  vectorStore?: MemoryVectorStore;
  /** How often the background drain looks for other processes' changes, ms (default 2000; 0: never). */
  vectorSyncIntervalMs?: number;
  /** Where warnings go (the vector store away, and back); default console.warn. */
  onWarning?: (message: string) => void;
}

/** A remembered track as listed: its row ID and how many embeddings it keeps. */
export type ListedTrack = RememberedTrack & { id: number; embeddings: number };

/** A visitor: unknown tracks grouped into one person (see visitors.ts). */
export interface VisitorSummary {
  /** #1, #2 … never reused. */
  id: number;
  /** The name it was given (nameVisitor), or null. */
  name: string | null;
  /** First and last time seen (ms since the epoch; files and clips: when analysed). */
  firstMs: number;
  lastMs: number;
  /** Tracks of the visitor. */
  visits: number;
  /** Where it was seen, the most recent first. */
  sources: TrackSource[];
  /** Cameras it was seen by (live cameras and stored clips). */
  cameras: string[];
  /** Up to the asked number of best faces (JPEG), the best first (its tracks' best face quality). */
  thumbnails: Uint8Array[];
}

/** Where a person was seen (FaceMemory.timeline). */
export interface PersonTimeline {
  /** The tracks, oldest first (the latest `limit` of those that pass the filters). */
  tracks: ListedTrack[];
  /** How many tracks pass the filters (more than `tracks` holds when the limit cut it). */
  total: number;
  /** Per camera (live cameras and stored clips of it): tracks, first and last sighting; latest first. */
  cameras: { camera: string; tracks: number; firstMs: number; lastMs: number }[];
}

/** One face of a visitor to enroll: a kept embedding, its quality, its track's thumbnail. */
export interface VisitorFace {
  track: ListedTrack;
  vector: Float32Array;
  quality: number;
}

interface TrackRow {
  id: number;
  source_kind: "camera" | "file" | "clip";
  source: string;
  camera: string | null;
  track_id: number;
  first_ms: number;
  last_ms: number;
  first_s: number | null;
  last_s: number | null;
  identity_id: string | null;
  identity_name: string | null;
  identity_similarity: number | null;
  closest_id: string | null;
  closest_name: string | null;
  closest_similarity: number | null;
  undetermined: number;
  thumbnail: Uint8Array | null;
  alert_id: string | null;
  clip_key: string | null;
  clip_url: string | null;
}

/** The columns a remembered track is read from (its clip: its own, else its alert's). */
const TRACK_COLUMNS = `t.id, t.source_kind, t.source, t.camera, t.track_id, t.first_ms, t.last_ms, t.first_s,
  t.last_s, t.identity_id, t.identity_name, t.identity_similarity, t.closest_id, t.closest_name,
  t.closest_similarity, t.undetermined, t.thumbnail, t.alert_id,
  COALESCE(t.clip_key, c.clip_key) AS clip_key,
  CASE WHEN t.clip_key IS NOT NULL THEN t.clip_url ELSE c.clip_url END AS clip_url`;
const TRACK_FROM = "tracks t LEFT JOIN alert_clips c ON c.alert_id = t.alert_id";

function evidence(
  id: string | null,
  name: string | null,
  similarity: number | null,
): IdentityEvidence | null {
  return name === null ? null : { id: id ?? "", name, similarity: similarity ?? 0 };
}

function trackFromRow(r: TrackRow): RememberedTrack & { id: number } {
  return {
    id: r.id,
    source: { kind: r.source_kind, name: r.source, ...(r.camera === null ? {} : { camera: r.camera }) },
    trackId: r.track_id,
    firstMs: r.first_ms,
    lastMs: r.last_ms,
    ...(r.first_s === null ? {} : { firstS: r.first_s }),
    ...(r.last_s === null ? {} : { lastS: r.last_s }),
    identity: evidence(r.identity_id, r.identity_name, r.identity_similarity),
    closest: evidence(r.closest_id, r.closest_name, r.closest_similarity),
    undetermined: r.undetermined === 1,
    thumbnail: r.thumbnail === null ? null : new Uint8Array(r.thumbnail),
    ...(r.alert_id === null ? {} : { alertId: r.alert_id }),
    ...(r.clip_key === null ? {} : { clip: { key: r.clip_key, ...(r.clip_url ? { url: r.clip_url } : {}) } }),
  };
}

/** A unit-length float32 copy of `vector`; RangeError for a wrong dimension, a non-finite value or zero length. */
function unit(vector: ArrayLike<number>, dimension: number, what: string): Float32Array {
  if (vector.length !== dimension) {
    throw new RangeError(`${what} has dimension ${vector.length}, the face memory holds ${dimension}`);
  }
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i] as number;
    if (!Number.isFinite(x)) throw new RangeError(`${what}: component ${i} is not finite`);
    sum += x * x;
  }
  if (!(sum > 0)) throw new RangeError(`${what} has zero length`);
  const norm = Math.sqrt(sum);
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = (vector[i] as number) / norm;
  return out;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a whole number ≥ 1, got ${value}`);
  return value;
}

export class FaceMemory {
  /** The database file. */
  readonly file: string;
  readonly dimension: number;
  readonly retentionDays: number;
  readonly maxTracks: number;
  readonly embeddingsPerTrack: number;
  readonly visitorThreshold: number;
  readonly readOnly: boolean;
  /** The file has the visitors' table (false only for an older file opened read-only). */
  #hasVisitors = true;
  /** The file has the corrections table (false only for an older file opened read-only). */
  #hasCorrections = true;
  readonly #db: DatabaseSync;
  readonly #sql: StatementCache;
  readonly #now: () => number;
  /** The in-memory search copy, made at the first search. */
  #index: MemoryIndex | undefined;
  /** The last `changes.version` the index holds. */
  #version = 0;
  /** `PRAGMA data_version` when the index last caught up (it changes when another connection commits). */
  #dataVersion = -1;
  /** This connection committed since the index last caught up. */
  #dirty = false;
  #closed = false;
  /** The vector store's sync (vectorStore given). */
  #vectors: VectorSync | undefined;
  readonly #warn: (message: string) => void;
  /** The vector store failed the last search (warned once until it answers again). */
  #storeFailing = false;

  private constructor(file: string, db: DatabaseSync, dimension: number, options: FaceMemoryOptions) {
    this.file = file;
    this.#db = db;
    this.#sql = new StatementCache(db);
    this.dimension = dimension;
    this.retentionDays = options.retentionDays ?? MEMORY_DEFAULTS.retentionDays;
    if (!(this.retentionDays >= 0))
      throw new RangeError(`retentionDays must be ≥ 0, got ${this.retentionDays}`);
    this.maxTracks = positiveInteger(options.maxTracks ?? MEMORY_DEFAULTS.maxTracks, "maxTracks");
    this.embeddingsPerTrack = positiveInteger(
      options.embeddingsPerTrack ?? MEMORY_DEFAULTS.embeddingsPerTrack,
      "embeddingsPerTrack",
    );
    this.visitorThreshold = options.visitorThreshold ?? MEMORY_DEFAULTS.visitorThreshold;
    if (!(this.visitorThreshold > -1 && this.visitorThreshold <= 1))
      throw new RangeError(`visitorThreshold must be within (-1, 1], got ${this.visitorThreshold}`);
    this.readOnly = options.readOnly ?? false;
    this.#now = options.now ?? Date.now;
    this.#warn = options.onWarning ?? ((message) => console.warn(`face memory: ${message}`));
    if (options.vectorStore) {
      this.#vectors = new VectorSync({
        db,
        sql: this.#sql,
        file,
        dimension,
        store: options.vectorStore,
        warn: this.#warn,
      });
    }
  }

  /**
   * Opens the memory in `dir` (`dir/memory.sqlite`), creating the folder and the file unless read-only,
   * and applies retention. Throws MemoryError: MISSING (read-only, no memory there), INVALID (not a face
   * memory, another format or dimension), CORRUPT, IO.
   */
  static open(dir: string, options: FaceMemoryOptions): FaceMemory {
    const file = path.join(dir, MEMORY_FILE);
    positiveInteger(options.dimension, "dimension");
    const readOnly = options.readOnly ?? false;
    if (readOnly && !existsSync(file)) {
      throw new MemoryError("MISSING", `no face memory at ${file}: nothing has been remembered there yet`);
    }
    if (!readOnly) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        throw databaseError("create the folder of", file, error);
      }
    }
    const db = openDatabase(file, {
      readOnly,
      busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
    try {
      const dimension = inTransaction(db, readOnly ? "DEFERRED" : "IMMEDIATE", () => {
        const found = readDimension(db, file);
        if (found === undefined) {
          if (readOnly) {
            throw new MemoryError(
              "MISSING",
              `no face memory at ${file}: nothing has been remembered there yet`,
            );
          }
          createSchema(db, options.dimension);
          return options.dimension;
        }
        if (!readOnly) {
          ensureVisitorSchema(db);
          ensureCorrectionsSchema(db);
        }
        return found;
      });
      if (dimension !== options.dimension) {
        throw new MemoryError(
          "INVALID",
          `the face memory ${file} holds embeddings of dimension ${dimension}, it was opened for dimension ${options.dimension}`,
        );
      }
      const memory = new FaceMemory(file, db, dimension, options);
      memory.#hasVisitors = hasVisitorSchema(db);
      memory.#hasCorrections = hasCorrectionsTable(db);
      if (!readOnly) memory.applyRetention();
      if (!readOnly) memory.#vectors?.start(options.vectorSyncIntervalMs ?? 2000);
      return memory;
    } catch (error) {
      db.close();
      throw databaseError("open", file, error);
    }
  }

  /**
   * Remembers the tracks of one analysed file or clip, in place of what was remembered of that source
   * before (analysing a file again replaces its tracks). Each track keeps up to `embeddingsPerTrack` of its
   * embeddings (chooseRepresentatives). Returns the tracks' row IDs.
   */
  rememberSource(source: TrackSource, tracks: readonly Omit<TrackToRemember, "source">[]): number[] {
    const prepared = tracks.map((t) => ({
      ...t,
      kept: this.#choose(
        t.embeddings.map((e, i) => ({
          ...e,
          vector: unit(e.vector, this.dimension, `embedding ${i} of track ${t.trackId}`),
        })),
      ),
    }));
    return this.#write("remember tracks in", () => {
      // The source's earlier tracks go once the new ones have their visitors: a track analysed again joins
      // the visitor its earlier record was in.
      const earlier = (
        this.#sql
          .get("SELECT id FROM tracks WHERE source_kind = ? AND source = ?")
          .all(source.kind, source.name) as {
          id: number;
        }[]
      ).map((r) => r.id);
      const ids = prepared.map((t) => {
        const { id } = this.#sql
          .get(
            `INSERT INTO tracks (source_kind, source, camera, track_id, first_ms, last_ms, first_s, last_s,
               identity_id, identity_name, identity_similarity, closest_id, closest_name, closest_similarity,
               undetermined, thumbnail, thumbnail_quality, alert_id, clip_key, clip_url, open)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
          )
          .get(
            source.kind,
            source.name,
            source.camera ?? null,
            t.trackId,
            Math.round(t.firstMs),
            Math.round(t.lastMs),
            t.firstS ?? null,
            t.lastS ?? null,
            ...identityValues(t.identity),
            ...identityValues(t.closest),
            t.undetermined ? 1 : 0,
            t.thumbnail,
            t.thumbnail ? 0 : null,
            t.alertId ?? null,
            t.clip?.key ?? null,
            t.clip?.url ?? null,
          ) as { id: number };
        for (const e of t.kept) this.#insertEmbedding(id, e);
        if (!t.identity && !t.undetermined && t.kept.length > 0) {
          assignVisitor(
            this.#sql,
            this.dimension,
            id,
            t.kept.map((e) => e.vector),
            this.visitorThreshold,
            this.#now(),
          );
        }
        return id;
      });
      for (const id of earlier) this.#sql.get("DELETE FROM tracks WHERE id = ?").run(id);
      this.#retain();
      return ids;
    });
  }

  /**
   * Records what a live track event says of a camera track (see LiveTrackUpdate): the track's record is
   * created at its first event, then its times, identity decision, best thumbnail and kept embeddings
   * follow the events; `ended` closes it. Redelivered events change nothing more than the first delivery.
   */
  observeLiveTrack(u: LiveTrackUpdate): void {
    const offered = u.embedding
      ? {
          ...u.embedding,
          vector: unit(u.embedding.vector, this.dimension, `embedding of ${u.camera} #${u.trackId}`),
        }
      : undefined;
    const offeredMore = (u.embeddings ?? []).map((e, i) => ({
      ...e,
      vector: unit(e.vector, this.dimension, `embedding ${i + 1} of ${u.camera} #${u.trackId}`),
    }));
    const t = Math.round(u.timeMs);
    this.#write("record a live track in", () => {
      const { id, created } = this.#liveRecord(u.camera, u.trackId, t, u.starts === true);
      const row = this.#sql
        .get("SELECT first_ms, last_ms, lost, thumbnail_quality FROM tracks WHERE id = ?")
        .get(id) as { first_ms: number; last_ms: number; lost: number; thumbnail_quality: number | null };
      const lost = u.sighting === "lost" ? 1 : u.sighting === "seen" ? 0 : row.lost;
      // A track's last sighting: the frame of its last event, except that an end after a loss keeps the loss's.
      const last = u.sighting === "ended" && row.lost === 1 ? row.last_ms : Math.max(row.last_ms, t);
      this.#sql
        .get("UPDATE tracks SET first_ms = ?, last_ms = ?, lost = ?, open = ? WHERE id = ?")
        .run(Math.min(row.first_ms, t), last, lost, u.sighting === "ended" ? 0 : 1, id);
      if (u.decision) {
        this.#sql
          .get(
            `UPDATE tracks SET identity_id = ?, identity_name = ?, identity_similarity = ?, closest_id = ?,
               closest_name = ?, closest_similarity = ?, undetermined = ? WHERE id = ?`,
          )
          .run(
            ...identityValues(u.decision.identity),
            ...identityValues(u.decision.identity ? null : u.decision.closest),
            u.decision.undetermined ? 1 : 0,
            id,
          );
        // Named after all: no longer one of an unknown visitor's visits (its alert may have put it in one).
        if (u.decision.identity && this.#hasVisitors) {
          this.#sql
            .get(
              `UPDATE tracks SET visitor_id = NULL WHERE id = ?
                 AND visitor_id IN (SELECT id FROM visitors WHERE identity_name IS NULL)`,
            )
            .run(id);
        }
      } else if (u.undetermined !== undefined) {
        this.#sql.get("UPDATE tracks SET undetermined = ? WHERE id = ?").run(u.undetermined ? 1 : 0, id);
      }
      if (u.thumbnail && (row.thumbnail_quality === null || u.thumbnail.quality >= row.thumbnail_quality)) {
        this.#sql
          .get("UPDATE tracks SET thumbnail = ?, thumbnail_quality = ? WHERE id = ?")
          .run(u.thumbnail.jpeg, u.thumbnail.quality, id);
      }
      if (offered) this.#offerEmbedding(id, offered);
      for (const more of offeredMore) this.#offerEmbedding(id, more);
      if (u.sighting === "ended") this.#assignEndedTrack(id);
      if (created) this.#retain();
    });
  }

  /** Records the alert a camera track raised (the track's record is created when its events come later). */
  linkAlert(link: { camera: string; trackId: number; alertId: string; timeMs: number }): void {
    this.#write("record an alert in", () => {
      const { id, created } = this.#liveRecord(link.camera, link.trackId, Math.round(link.timeMs), false);
      this.#sql.get("UPDATE tracks SET alert_id = ? WHERE id = ?").run(link.alertId, id);
      if (created) this.#retain();
    });
  }

  /** Records the clip of alerts (a camera track with one of these alerts shows it). */
  linkClip(clip: { alertIds: readonly string[]; key: string; url?: string; timeMs: number }): void {
    this.#write("record a clip in", () => {
      for (const alertId of clip.alertIds) {
        this.#sql
          .get(
            "INSERT OR REPLACE INTO alert_clips (alert_id, clip_key, clip_url, recorded_ms) VALUES (?, ?, ?, ?)",
          )
          .run(alertId, clip.key, clip.url ?? null, Math.round(clip.timeMs));
      }
    });
  }

  /**
   * The remembered tracks most like `query` (an embedding), best first: each track's best cosine similarity
   * over its kept embeddings, among the tracks that pass the filters (camera; seen within since…until).
   * Exact (every kept embedding of every passing track is compared).
   */
  search(query: ArrayLike<number>, options: MemorySearchOptions = {}): MemoryHit[] {
    const q = unit(query, this.dimension, "the query");
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
    const index = this.#catchUp();
    const hits = index.search(
      q,
      {
        ...(options.camera === undefined ? {} : { camera: options.camera }),
        ...(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs }),
        ...(options.untilMs === undefined ? {} : { untilMs: options.untilMs }),
      },
      limit,
      options.minSimilarity,
    );
    return this.#records(hits);
  }

  /**
   * search, with the vector store when the memory has one (the Qdrant backend): the store answers for the
   * tracks it holds in their current state, the tracks changed since it was last written are compared
   * exactly from SQLite, and the best of both are returned. The exact in-memory index answers instead when
   * the store is far behind or cannot be reached (a warning says so). Without a store: search.
   */
  async searchAsync(query: ArrayLike<number>, options: MemorySearchOptions = {}): Promise<MemoryHit[]> {
    const sync = this.#vectors;
    if (!sync) return this.search(query, options);
    const q = unit(query, this.dimension, "the query");
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
    if (limit === 0) return [];
    const filter = {
      ...(options.camera === undefined ? {} : { camera: options.camera }),
      ...(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs }),
      ...(options.untilMs === undefined ? {} : { untilMs: options.untilMs }),
    };
    const pending = this.#read("search", () =>
      sync.unsynced(q, filter, options.minSimilarity ?? Number.NEGATIVE_INFINITY),
    );
    if (!pending) return this.search(query, options);
    let stored: IndexHit[];
    try {
      stored = await sync.store.search(
        q,
        pending.tracks.length > 0 ? { ...filter, excludeTracks: pending.tracks } : filter,
        limit,
        options.minSimilarity,
      );
    } catch (error) {
      if (!this.#storeFailing) {
        this.#warn(
          `cannot search ${sync.store.target} (${(error as Error).message}): searching the exact in-memory copy instead`,
        );
      }
      this.#storeFailing = true;
      return this.search(query, options);
    }
    this.#storeFailing = false;
    const hits = [...stored, ...pending.hits]
      .sort((a, b) => b.similarity - a.similarity || a.track - b.track)
      .slice(0, limit);
    return this.#records(hits);
  }

  /**
   * Writes every change committed so far to the vector store (a memory opened for writing does it in the
   * background too). Rejects when the store cannot be reached; `busy` when another process is doing it.
   */
  syncVectors(): Promise<VectorSyncResult> {
    this.#open();
    if (!this.#vectors)
      return Promise.reject(new MemoryError("INVALID", `the face memory ${this.file} has no vector store`));
    if (this.readOnly)
      return Promise.reject(
        new MemoryError("INVALID", `cannot write the vectors of ${this.file}: opened read-only`),
      );
    return this.#vectors.drain();
  }

  /** The vector store's description (e.g. "Qdrant at http://…, collection facetracker_memory"), if any. */
  get vectorStore(): string | undefined {
    return this.#vectors?.store.target;
  }

  /** The search hits with their records (tracks forgotten meanwhile left out). */
  #records(hits: readonly IndexHit[]): MemoryHit[] {
    return this.#read("search", () =>
      hits.flatMap((hit) => {
        const row = this.#sql
          .get(`SELECT ${TRACK_COLUMNS} FROM ${TRACK_FROM} WHERE t.id = ?`)
          .get(hit.track) as TrackRow | undefined;
        // Forgotten by another process since the index caught up: left out.
        return row ? [{ ...trackFromRow(row), similarity: hit.similarity }] : [];
      }),
    );
  }

  /** Every remembered track, oldest record first (for tools and tests; a large memory is long). */
  list(): ListedTrack[] {
    return this.#read("read", () =>
      (
        this.#sql
          .get(
            `SELECT ${TRACK_COLUMNS}, (SELECT COUNT(*) FROM track_embeddings e WHERE e.track = t.id) AS embeddings
             FROM ${TRACK_FROM} ORDER BY t.id`,
          )
          .all() as unknown as (TrackRow & { embeddings: number })[]
      ).map((r) => ({ ...trackFromRow(r), embeddings: r.embeddings })),
    );
  }

  /** Tracks remembered. */
  count(): number {
    return this.#read(
      "read",
      () => (this.#sql.get("SELECT COUNT(*) AS n FROM tracks").get() as { n: number }).n,
    );
  }

  /** The kept embeddings of a track (row ID), in the order kept. */
  embeddingsOf(id: number): CandidateEmbedding[] {
    return this.#read("read", () =>
      (
        this.#sql.get("SELECT quality, vector FROM track_embeddings WHERE track = ? ORDER BY id").all(id) as {
          quality: number;
          vector: Uint8Array;
        }[]
      ).map((r) => ({ quality: r.quality, vector: vectorFromBytes(r.vector, this.dimension) })),
    );
  }

  /** Every visitor with its tracks' figures, the most recently seen first (`thumbnails` best faces each). */
  listVisitors(options: { thumbnails?: number } = {}): VisitorSummary[] {
    if (!this.#hasVisitors) return [];
    return this.#read("read", () => {
      const rows = this.#sql
        .get(
          `SELECT v.id, v.identity_name AS name, MIN(t.first_ms) AS first_ms, MAX(t.last_ms) AS last_ms,
             COUNT(t.id) AS visits
           FROM visitors v JOIN tracks t ON t.visitor_id = v.id GROUP BY v.id ORDER BY last_ms DESC, v.id DESC`,
        )
        .all() as { id: number; name: string | null; first_ms: number; last_ms: number; visits: number }[];
      return rows.map((r) => this.#visitorSummary(r, options.thumbnails ?? 0));
    });
  }

  /** One visitor and its tracks (oldest first), or undefined when there is no such visitor. */
  visitor(
    id: number,
    options: { thumbnails?: number } = {},
  ): (VisitorSummary & { tracks: ListedTrack[] }) | undefined {
    if (!this.#hasVisitors) return undefined;
    return this.#read("read", () => {
      const r = this.#sql
        .get(
          `SELECT v.id, v.identity_name AS name, MIN(t.first_ms) AS first_ms, MAX(t.last_ms) AS last_ms,
             COUNT(t.id) AS visits
           FROM visitors v JOIN tracks t ON t.visitor_id = v.id WHERE v.id = ? GROUP BY v.id`,
        )
        .get(id) as
        | { id: number; name: string | null; first_ms: number; last_ms: number; visits: number }
        | undefined;
      if (!r) return undefined;
      return { ...this.#visitorSummary(r, options.thumbnails ?? 0), tracks: this.#visitorTracks(id) };
    });
  }

  /** The visitor of a track (its row ID), or undefined (named, undetermined, not ended yet, or no such track). */
  visitorOfTrack(track: number): number | undefined {
    if (!this.#hasVisitors) return undefined;
    return this.#read("read", () => {
      const row = this.#sql.get("SELECT visitor_id FROM tracks WHERE id = ?").get(track) as
        | { visitor_id: number | null }
        | undefined;
      return row?.visitor_id ?? undefined;
    });
  }

  /**
   * Up to `n` of a visitor's faces to enroll, the best first: the kept embeddings of its tracks ranked by
   * face quality (at most `perTrack` of each track, default all), each with its track (and thumbnail).
   */
  visitorFaces(id: number, n: number, perTrack = Number.POSITIVE_INFINITY): VisitorFace[] {
    const tracks = this.#hasVisitors ? this.#read("read", () => this.#visitorTracks(id)) : [];
    const faces = tracks.flatMap((track) =>
      this.embeddingsOf(track.id)
        .sort((a, b) => b.quality - a.quality)
        .slice(0, perTrack)
        .map((e) => ({ track, vector: e.vector, quality: e.quality })),
    );
    return faces.sort((a, b) => b.quality - a.quality || a.track.id - b.track.id).slice(0, Math.max(0, n));
  }

  /**
   * Where a person was seen: their remembered tracks, oldest first — a gallery identity's (named by ID, or
   * by name for tracks recorded before a rename) or a visitor's — within the filters (camera; seen within
   * since…until, a track overlapping it counts), the latest `limit` (default 200) of them, and per camera
   * (live cameras and stored clips; files apart) their number and first and last sighting.
   */
  timeline(
    who: { identity: { name: string; id?: string } } | { visitor: number },
    options: { camera?: string; sinceMs?: number; untilMs?: number; limit?: number } = {},
  ): PersonTimeline {
    const limit = Math.max(1, Math.min(options.limit ?? 200, 100_000));
    return this.#read("read a timeline from", () => {
      const where: string[] = [];
      const args: SQLInputValue[] = [];
      if ("visitor" in who) {
        if (!this.#hasVisitors) return { tracks: [], total: 0, cameras: [] };
        where.push("t.visitor_id = ?");
        args.push(who.visitor);
      } else {
        where.push("(t.identity_name = ? OR (? IS NOT NULL AND t.identity_id = ?))");
        const id = who.identity.id ?? null;
        args.push(who.identity.name, id, id);
      }
      if (options.camera !== undefined) {
        where.push("t.camera = ?");
        args.push(options.camera);
      }
      if (options.sinceMs !== undefined) {
        where.push("t.last_ms >= ?");
        args.push(Math.round(options.sinceMs));
      }
      if (options.untilMs !== undefined) {
        where.push("t.first_ms <= ?");
        args.push(Math.round(options.untilMs));
      }
      const clause = where.join(" AND ");
      const rows = this.#sql
        .get(
          `SELECT * FROM (SELECT ${TRACK_COLUMNS}, (SELECT COUNT(*) FROM track_embeddings e WHERE e.track = t.id) AS embeddings
             FROM ${TRACK_FROM} WHERE ${clause} ORDER BY t.first_ms DESC, t.id DESC LIMIT ?)
           ORDER BY first_ms, id`,
        )
        .all(...args, limit) as unknown as (TrackRow & { embeddings: number })[];
      const cameras = this.#sql
        .get(
          `SELECT t.camera AS camera, COUNT(*) AS n, MIN(t.first_ms) AS first, MAX(t.last_ms) AS last
           FROM tracks t WHERE ${clause} AND t.camera IS NOT NULL GROUP BY t.camera ORDER BY last DESC`,
        )
        .all(...args) as { camera: string; n: number; first: number; last: number }[];
      const { n } = this.#sql.get(`SELECT COUNT(*) AS n FROM tracks t WHERE ${clause}`).get(...args) as {
        n: number;
      };
      return {
        tracks: rows.map((r) => ({ ...trackFromRow(r), embeddings: r.embeddings })),
        total: n,
        cameras: cameras.map((c) => ({ camera: c.camera, tracks: c.n, firstMs: c.first, lastMs: c.last })),
      };
    });
  }

  /**
   * The visitor an unknown camera track is, as far as the memory can tell now (reads only): the visitor
   * its record is already in, else the one its face (`embeddings`, unit length) would join; undefined when
   * none (a new visitor, or a memory without visitors).
   */
  liveVisitor(camera: string, trackId: number, embeddings: readonly Float32Array[]): number | undefined {
    if (!this.#hasVisitors) return undefined;
    const vectors = embeddings.map((e, i) =>
      unit(e, this.dimension, `embedding ${i} of ${camera} #${trackId}`),
    );
    return this.#read("find a visitor in", () => {
      const row = liveTrackRow(this.#sql, camera, trackId);
      if (row?.visitor != null) return row.visitor;
      if (vectors.length === 0) return undefined;
      return chooseVisitor(this.#sql, this.dimension, vectors, this.visitorThreshold, row?.id ?? -1).visitor;
    });
  }

  /**
   * Puts an unknown camera track in its visitor when its alert is raised (the record is created if its
   * events have not come yet): the visitor its record is already in, else `visitor` when given and still
   * open (the visitor of the alert whose person it was seen again as), else the one its face joins, else a
   * new one. Returns the visitor and its visit counts for the alert ("third visit today"). The record's
   * `ended` then keeps this visitor.
   */
  joinLiveVisitor(p: {
    camera: string;
    trackId: number;
    timeMs: number;
    embeddings: readonly Float32Array[];
    visitor?: number;
    dayStartMs: number;
  }): VisitorSighting {
    const vectors = p.embeddings.map((e, i) =>
      unit(e, this.dimension, `embedding ${i} of ${p.camera} #${p.trackId}`),
    );
    const t = Math.round(p.timeMs);
    return this.#write("put a track in a visitor in", () => {
      const { id, created: recordCreated } = this.#liveRecord(p.camera, p.trackId, t, false);
      const row = this.#sql.get("SELECT visitor_id FROM tracks WHERE id = ?").get(id) as {
        visitor_id: number | null;
      };
      let visitor = row.visitor_id ?? undefined;
      let created = false;
      if (visitor === undefined && p.visitor !== undefined && isOpenVisitor(this.#sql, p.visitor))
        visitor = p.visitor;
      if (visitor === undefined && vectors.length > 0)
        visitor = chooseVisitor(this.#sql, this.dimension, vectors, this.visitorThreshold, id).visitor;
      if (visitor === undefined) {
        visitor = (
          this.#sql.get("INSERT INTO visitors (created_ms) VALUES (?) RETURNING id").get(t) as { id: number }
        ).id;
        created = true;
      }
      this.#sql.get("UPDATE tracks SET visitor_id = ? WHERE id = ?").run(visitor, id);
      if (recordCreated) this.#retain();
      return { visitor, created, ...visitCounts(this.#sql, visitor, id, t, p.dayStartMs) };
    });
  }

  /**
   * Names a visitor: its tracks carry the identity from now (`identity.similarity` as given, default 1) and
   * the visitor takes no more tracks. Enroll its faces (visitorFaces) in the gallery first. Returns the
   * number of tracks named; 0 when there is no such visitor.
   */
  nameVisitor(id: number, identity: { name: string; id?: string; similarity?: number }): number {
    return this.#write("name a visitor in", () => {
      if (!this.#hasVisitors) return 0;
      const found = this.#sql
        .get("UPDATE visitors SET identity_id = ?, identity_name = ?, named_ms = ? WHERE id = ?")
        .run(identity.id ?? null, identity.name, Math.round(this.#now()), id);
      if (Number(found.changes) === 0) return 0;
      return Number(
        this.#sql
          .get(
            `UPDATE tracks SET identity_id = ?, identity_name = ?, identity_similarity = ?, closest_id = NULL,
               closest_name = NULL, closest_similarity = NULL WHERE visitor_id = ?`,
          )
          .run(identity.id ?? null, identity.name, identity.similarity ?? 1, id).changes,
      );
    });
  }

  #visitorTracks(id: number): ListedTrack[] {
    return (
      this.#sql
        .get(
          `SELECT ${TRACK_COLUMNS}, (SELECT COUNT(*) FROM track_embeddings e WHERE e.track = t.id) AS embeddings
           FROM ${TRACK_FROM} WHERE t.visitor_id = ? ORDER BY t.first_ms, t.id`,
        )
        .all(id) as unknown as (TrackRow & { embeddings: number })[]
    ).map((r) => ({ ...trackFromRow(r), embeddings: r.embeddings }));
  }

  #visitorSummary(
    r: { id: number; name: string | null; first_ms: number; last_ms: number; visits: number },
    thumbnails: number,
  ): VisitorSummary {
    const sources = this.#sql
      .get(
        `SELECT source_kind, source, camera, MAX(last_ms) AS last FROM tracks WHERE visitor_id = ?
         GROUP BY source_kind, source ORDER BY last DESC`,
      )
      .all(r.id) as { source_kind: "camera" | "file" | "clip"; source: string; camera: string | null }[];
    const faces =
      thumbnails > 0
        ? (
            this.#sql
              .get(
                `SELECT t.thumbnail FROM tracks t WHERE t.visitor_id = ? AND t.thumbnail IS NOT NULL
                 ORDER BY (SELECT MAX(e.quality) FROM track_embeddings e WHERE e.track = t.id) DESC, t.id
                 LIMIT ?`,
              )
              .all(r.id, thumbnails) as { thumbnail: Uint8Array }[]
          ).map((t) => new Uint8Array(t.thumbnail))
        : [];
    return {
      id: r.id,
      name: r.name,
      firstMs: r.first_ms,
      lastMs: r.last_ms,
      visits: r.visits,
      sources: sources.map((s) => ({
        kind: s.source_kind,
        name: s.source,
        ...(s.camera === null ? {} : { camera: s.camera }),
      })),
      cameras: [...new Set(sources.flatMap((s) => (s.camera === null ? [] : [s.camera])))],
      thumbnails: faces,
    };
  }

  /** One remembered track by its row ID (as search and list give it), or undefined. */
  track(id: number): ListedTrack | undefined {
    return this.#read("read", () => {
      const r = this.#sql
        .get(
          `SELECT ${TRACK_COLUMNS}, (SELECT COUNT(*) FROM track_embeddings e WHERE e.track = t.id) AS embeddings
           FROM ${TRACK_FROM} WHERE t.id = ?`,
        )
        .get(id) as (TrackRow & { embeddings: number }) | undefined;
      return r ? { ...trackFromRow(r), embeddings: r.embeddings } : undefined;
    });
  }

  /**
   * The row ID of a track found by where it was seen: the latest record of that source's track ID (a
   * camera's, a file's absolute path, a clip's key), or of the track that raised an alert; undefined when
   * none.
   */
  findTrack(
    ref: { alertId: string } | { source: { kind: TrackSource["kind"]; name: string }; trackId: number },
  ): number | undefined {
    return this.#read("read", () => {
      const row = (
        "alertId" in ref
          ? this.#sql
              .get("SELECT id FROM tracks WHERE alert_id = ? ORDER BY id DESC LIMIT 1")
              .get(ref.alertId)
          : this.#sql
              .get(
                "SELECT id FROM tracks WHERE source_kind = ? AND source = ? AND track_id = ? ORDER BY id DESC LIMIT 1",
              )
              .get(ref.source.kind, ref.source.name, ref.trackId)
      ) as { id: number } | undefined;
      return row?.id;
    });
  }

  /**
   * Records a correction of a track whose gallery part is done (see corrections.ts and pipeline's
   * track-correction.ts) and applies it to the track's record. `not`: an ended track then joins its
   * visitor as any unknown track. Throws CorrectionError NOT_FOUND (no such track), CONFLICT (the track's
   * name is no longer `expectedName`).
   */
  recordCorrection(c: Omit<NewCorrection, "nowMs">): Correction {
    return correctionErrors(() =>
      this.#write("record a correction in", () => {
        const { correction, open } = insertCorrection(
          this.#sql,
          { ...c, nowMs: this.#now() },
          this.#hasVisitors,
        );
        if (c.kind === "not" && !open && this.#hasVisitors) {
          const embeddings = this.embeddingsOf(c.track).map((e) => e.vector);
          if (embeddings.length > 0)
            assignVisitor(this.#sql, this.dimension, c.track, embeddings, this.visitorThreshold, this.#now());
        }
        return correction;
      }),
    );
  }

  /** One correction, or undefined. */
  correction(id: number): Correction | undefined {
    if (!this.#hasCorrections) return undefined;
    return this.#read("read", () => readCorrection(this.#sql, id));
  }

  /** Corrections, the latest first (of one track when given; undone ones too unless includeUndone is false). */
  corrections(options: { track?: number; includeUndone?: boolean; limit?: number } = {}): Correction[] {
    if (!this.#hasCorrections) return [];
    return this.#read("read", () => listCorrections(this.#sql, options));
  }

  /** The correction in force of a track (the latest not undone), or undefined. */
  correctionOf(track: number): Correction | undefined {
    if (!this.#hasCorrections) return undefined;
    return this.#read("read", () => correctionInForce(this.#sql, track));
  }

  /**
   * Checks that a correction can be undone (CorrectionError NOT_FOUND, FAILED_PRECONDITION: undone
   * already, or a later correction of its track is in force) and returns it. The caller then removes its
   * gallery items and calls undoCorrection.
   */
  undoableCorrection(id: number): Correction {
    if (!this.#hasCorrections) throw new CorrectionError("NOT_FOUND", `no correction #${id}`);
    return correctionErrors(() => this.#read("read", () => undoableCorrection(this.#sql, id)));
  }

  /**
   * Undoes a correction in the memory: marks it undone and gives its track, when still remembered, the
   * decision (and visitor) it had before. Returns the correction as it now is and whether a track was
   * restored.
   */
  undoCorrection(id: number): { correction: Correction; trackRestored: boolean } {
    return correctionErrors(() =>
      this.#write("undo a correction in", () => {
        const c = undoableCorrection(this.#sql, id);
        const trackRestored = markUndone(this.#sql, c, this.#now(), this.#hasVisitors);
        if (this.#hasVisitors) {
          this.#sql
            .get(
              "DELETE FROM visitors WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.visitor_id = visitors.id)",
            )
            .run();
        }
        return { correction: readCorrection(this.#sql, id) as Correction, trackRestored };
      }),
    );
  }

  /**
   * Forgets a person: deletes every track named after them (by name, or by identity ID when given: a
   * renamed person's older tracks too), with their embeddings and thumbnails, and the mentions of them as
   * an unknown face's closest identity. Call it where the person is deleted from the gallery. Returns the
   * number of tracks deleted.
   */
  forgetIdentity(who: { name: string; id?: string }): number {
    const id = who.id ?? null;
    return this.#write("forget a person in", () => {
      const { changes } = this.#sql
        .get("DELETE FROM tracks WHERE identity_name = ? OR (? IS NOT NULL AND identity_id = ?)")
        .run(who.name, id, id);
      this.#sql
        .get(
          `UPDATE tracks SET closest_id = NULL, closest_name = NULL, closest_similarity = NULL
           WHERE closest_name = ? OR (? IS NOT NULL AND closest_id = ?)`,
        )
        .run(who.name, id, id);
      if (this.#hasCorrections) forgetCorrectionsOf(this.#sql, { name: who.name, id });
      return Number(changes);
    });
  }

  /**
   * Forgets the tracks last seen more than `retentionDays` ago and, beyond `maxTracks`, the least recently
   * seen ones (with their embeddings and thumbnails). Done on every write that adds a track; call it
   * now and then where nothing is written for long. Returns the number of tracks deleted.
   */
  applyRetention(): number {
    return this.#write("apply retention to", () => this.#retain());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#vectors?.stop();
    this.#index?.clear();
    this.#index = undefined;
    try {
      this.#db.close();
    } catch {}
  }

  /** Retention, in the current write transaction; also keeps the `changes` log bounded. */
  #retain(): number {
    const now = this.#now();
    let deleted = 0;
    if (this.retentionDays > 0) {
      const cutoff = Math.round(now - this.retentionDays * DAY_MS);
      deleted += Number(this.#sql.get("DELETE FROM tracks WHERE last_ms < ?").run(cutoff).changes);
      this.#sql.get("DELETE FROM alert_clips WHERE recorded_ms < ?").run(cutoff);
    }
    const { n } = this.#sql.get("SELECT COUNT(*) AS n FROM tracks").get() as { n: number };
    // (Visitors left without tracks are deleted below, after both deletions.)
    if (n > this.maxTracks) {
      deleted += Number(
        this.#sql
          .get("DELETE FROM tracks WHERE id IN (SELECT id FROM tracks ORDER BY last_ms, id LIMIT ?)")
          .run(n - this.maxTracks).changes,
      );
    }
    this.#sql
      .get("DELETE FROM visitors WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.visitor_id = visitors.id)")
      .run();
    const { v } = this.#sql.get("SELECT COALESCE(MAX(version), 0) AS v FROM changes").get() as { v: number };
    const pruned = Number(
      (
        this.#sql.get("SELECT value FROM meta WHERE key = 'changes_pruned_through'").get() as {
          value: string;
        }
      ).value,
    );
    // A vector store behind keeps the changes it has not got yet (up to MAX_SYNC_BACKLOG of them).
    const through = this.#vectors ? this.#vectors.pruneThrough(v, v - KEPT_CHANGES) : v - KEPT_CHANGES;
    if (v - KEPT_CHANGES > pruned + KEPT_CHANGES / 10 && through > pruned) {
      this.#sql.get("DELETE FROM changes WHERE version <= ?").run(through);
      this.#sql.get("UPDATE meta SET value = ? WHERE key = 'changes_pruned_through'").run(String(through));
    }
    return deleted;
  }

  /**
   * The record of a camera's track: the open one (being seen), else the latest with that ID unless the
   * event starts a track; created when there is none. In the current write transaction.
   */
  #liveRecord(
    camera: string,
    trackId: number,
    timeMs: number,
    starts: boolean,
  ): { id: number; created: boolean } {
    const found = this.#sql
      .get(
        `SELECT id, open FROM tracks WHERE source_kind = 'camera' AND source = ? AND track_id = ?
         ORDER BY open DESC, id DESC LIMIT 1`,
      )
      .get(camera, trackId) as { id: number; open: number } | undefined;
    if (found && (found.open === 1 || !starts)) return { id: found.id, created: false };
    const { id } = this.#sql
      .get(
        `INSERT INTO tracks (source_kind, source, camera, track_id, first_ms, last_ms, open)
         VALUES ('camera', ?, ?, ?, ?, ?, 1) RETURNING id`,
      )
      .get(camera, camera, trackId, timeMs, timeMs) as { id: number };
    return { id, created: true };
  }

  /** An ended camera track that is unknown (not named, not undetermined) joins its visitor, once. */
  #assignEndedTrack(id: number): void {
    const row = this.#sql
      .get("SELECT identity_name, undetermined, visitor_id FROM tracks WHERE id = ?")
      .get(id) as { identity_name: string | null; undetermined: number; visitor_id: number | null };
    if (row.identity_name !== null || row.undetermined === 1 || row.visitor_id !== null) return;
    const embeddings = this.embeddingsOf(id).map((e) => e.vector);
    if (embeddings.length === 0) return;
    assignVisitor(this.#sql, this.dimension, id, embeddings, this.visitorThreshold, this.#now());
  }

  /** Offers an embedding to a track's kept ones: the best `embeddingsPerTrack` of old and new are kept. */
  #offerEmbedding(track: number, offered: CandidateEmbedding): void {
    const kept = (
      this.#sql
        .get("SELECT id, quality, vector FROM track_embeddings WHERE track = ? ORDER BY id")
        .all(track) as {
        id: number;
        quality: number;
        vector: Uint8Array;
      }[]
    ).map((r) => ({
      id: r.id as number | undefined,
      quality: r.quality,
      vector: vectorFromBytes(r.vector, this.dimension),
    }));
    const chosen = new Set(this.#choose([...kept, { id: undefined, ...offered }]));
    for (const k of kept) {
      if (!chosen.has(k)) this.#sql.get("DELETE FROM track_embeddings WHERE id = ?").run(k.id as number);
    }
    if ([...chosen].some((c) => c.id === undefined)) this.#insertEmbedding(track, offered);
  }

  #insertEmbedding(track: number, e: CandidateEmbedding): void {
    this.#sql
      .get("INSERT INTO track_embeddings (track, quality, vector) VALUES (?, ?, ?)")
      .run(track, Number.isFinite(e.quality) ? e.quality : 0, vectorToBytes(e.vector));
  }

  #choose<T extends CandidateEmbedding>(candidates: readonly T[]): T[] {
    return chooseRepresentatives(candidates, this.embeddingsPerTrack);
  }

  /** Runs `fn` in a write transaction; SQLite errors become MemoryErrors naming the file. */
  #write<T>(action: string, fn: () => T): T {
    this.#open();
    if (this.readOnly) throw new MemoryError("INVALID", `cannot ${action} ${this.file}: opened read-only`);
    try {
      const result = inTransaction(this.#db, "IMMEDIATE", fn);
      this.#dirty = true;
      this.#vectors?.request();
      return result;
    } catch (error) {
      throw databaseError(action, this.file, error);
    }
  }

  #read<T>(action: string, fn: () => T): T {
    this.#open();
    try {
      return fn();
    } catch (error) {
      throw databaseError(action, this.file, error);
    }
  }

  #open(): void {
    if (this.#closed) throw new MemoryError("IO", `the face memory ${this.file} is closed`);
  }

  /** The index, caught up with every commit (this process's and the others'). */
  #catchUp(): MemoryIndex {
    return this.#read("search", () => {
      const dataVersion = (this.#sql.get("PRAGMA data_version").get() as { data_version: number })
        .data_version;
      if (this.#index && dataVersion === this.#dataVersion && !this.#dirty) return this.#index;
      this.#dirty = false;
      this.#dataVersion = dataVersion;
      const index = this.#index ?? new MemoryIndex(this.dimension);
      inTransaction(this.#db, "DEFERRED", () => {
        const pruned = Number(
          (
            this.#sql.get("SELECT value FROM meta WHERE key = 'changes_pruned_through'").get() as {
              value: string;
            }
          ).value,
        );
        if (!this.#index || this.#version < pruned) this.#loadAll(index);
        else this.#loadChanged(index);
      });
      this.#index = index;
      return index;
    });
  }

  /** Reads every track and kept embedding into `index` (in a read transaction). */
  #loadAll(index: MemoryIndex): void {
    index.clear();
    this.#version = (
      this.#sql.get("SELECT COALESCE(MAX(version), 0) AS v FROM changes").get() as { v: number }
    ).v;
    const { n } = this.#sql.get("SELECT COUNT(*) AS n FROM track_embeddings").get() as { n: number };
    // Room for what comes next too: growing copies every embedding (and briefly needs twice the memory).
    index.reserve(Math.ceil(n * 1.25) + 1024);
    for (const t of this.#sql.get("SELECT id, camera, first_ms, last_ms FROM tracks").iterate()) {
      const r = t as { id: number; camera: string | null; first_ms: number; last_ms: number };
      index.putTrack({ id: r.id, camera: r.camera, firstMs: r.first_ms, lastMs: r.last_ms });
    }
    for (const e of this.#sql.get("SELECT track, vector FROM track_embeddings ORDER BY id").iterate()) {
      const r = e as { track: number; vector: Uint8Array };
      if (index.has(r.track)) index.addEmbedding(r.track, vectorFromBytes(r.vector, this.dimension));
    }
  }

  /** Reads again the tracks the `changes` log names after the index's version (in a read transaction). */
  #loadChanged(index: MemoryIndex): void {
    const changed = this.#sql
      .get("SELECT version, track FROM changes WHERE version > ? ORDER BY version")
      .all(this.#version) as { version: number; track: number }[];
    if (changed.length === 0) return;
    this.#version = (changed[changed.length - 1] as { version: number }).version;
    for (const track of new Set(changed.map((c) => c.track))) {
      index.removeTrack(track);
      const row = this.#sql.get("SELECT id, camera, first_ms, last_ms FROM tracks WHERE id = ?").get(track) as
        | { id: number; camera: string | null; first_ms: number; last_ms: number }
        | undefined;
      if (!row) continue;
      index.putTrack({ id: row.id, camera: row.camera, firstMs: row.first_ms, lastMs: row.last_ms });
      const embeddings = this.#sql
        .get("SELECT vector FROM track_embeddings WHERE track = ? ORDER BY id")
        .all(track) as { vector: Uint8Array }[];
      for (const e of embeddings) index.addEmbedding(track, vectorFromBytes(e.vector, this.dimension));
    }
  }
}

/** Runs `fn`, passing a CorrectionError through as it is (not as the MemoryError that wraps it). */
function correctionErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof MemoryError && error.cause instanceof CorrectionError) throw error.cause;
    throw error;
  }
}

/** An identity's three columns (id, name, similarity), all NULL for none. */
function identityValues(e: IdentityEvidence | null): SQLInputValue[] {
  return e ? [e.id || null, e.name, e.similarity] : [null, null, null];
}
