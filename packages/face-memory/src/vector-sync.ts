/**
 * Keeps a MemoryVectorStore (Qdrant) in step with the memory's SQLite file, and tells a search what the
 * store does not hold yet.
 *
 * The memory's writes stay synchronous SQLite transactions; the store is written afterwards, from the
 * `changes` log (filled by triggers: the track of every row of tracks or track_embeddings inserted,
 * updated or deleted). The meta row `vectors_synced <target>` holds the version of `changes` the store
 * holds everything through. A drain reads the changes after it, in batches: for each changed track, its
 * current embeddings are upserted (payload: track, source kind, camera, first and last time) and its other
 * points deleted (a forgotten track has none left), then the version moves on. Everything is idempotent, so
 * a drain cut short (Qdrant away, the process ending) is simply done again. When the store holds nothing
 * for this memory yet (first use, a collection created anew) or is further behind than the `changes` log
 * reaches, it is written in full (every embedding upserted, every point without one deleted).
 *
 * One process drains at a time (a lease in meta, renewed while it works, taken over when it expires): two
 * drains writing the same tracks could otherwise leave an older state last. Every process that opens the
 * memory for writing drains in the background (after its writes, and every few seconds for the others').
 *
 * A search (FaceMemory.searchAsync) asks the store with the tracks changed since the synced version left
 * out, and compares the query with those tracks' embeddings in SQLite exactly: a search never misses a
 * remembered track nor finds a forgotten one, however far behind the store is. When too many tracks
 * changed (or the store is to be written in full), the exact in-memory index answers instead.
 */

import { randomUUID } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import {
  databaseError,
  inTransaction,
  MemoryError,
  type StatementCache,
  vectorFromBytes,
} from "./memory-database.ts";
import type { IndexFilter, IndexHit } from "./memory-index.ts";
import type { MemoryVectorPoint, MemoryVectorStore } from "./memory-vector-store.ts";
import type { SourceKind } from "./types.ts";

/** Rows of `changes` read per incremental batch. */
const BATCH_CHANGES = 1000;
/** Points per upsert or delete request, and per page of the full write. */
const PAGE = 256;
/** Beyond this many changed tracks not yet in the store, a search uses the exact in-memory index. */
export const MAX_UNSYNCED_TRACKS = 5000;
/** `changes` rows kept for a store behind (beyond, it is written in full when it comes back). */
export const MAX_SYNC_BACKLOG = 1_000_000;
const LEASE_KEY = "vectors_sync_lease";
const LEASE_MS = 60_000;
const MAX_RETRY_MS = 60_000;
/** A drain asked for by a write waits this long, so that writes close together make one drain. */
const REQUEST_DELAY_MS = 100;

export interface VectorSyncResult {
  /** Points written. */
  upserted: number;
  /** Tracks whose stale points were deleted (incremental), or points deleted (full write). */
  deleted: number;
  /** The version of `changes` the store now holds everything through. */
  version: number;
  /** The store was written in full. */
  full: boolean;
  /** Another process holds the lease: nothing was done. */
  busy: boolean;
}

interface PointRow {
  id: number;
  track: number;
  vector: Uint8Array;
  source_kind: SourceKind;
  camera: string | null;
  first_ms: number;
  last_ms: number;
}

export class VectorSync {
  readonly store: MemoryVectorStore;
  readonly #db: DatabaseSync;
  readonly #sql: StatementCache;
  readonly #file: string;
  readonly #dimension: number;
  readonly #warn: (message: string) => void;
  readonly #owner = `${process.pid}-${randomUUID()}`;
  #prepared = false;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #soon: NodeJS.Timeout | undefined;
  #failures = 0;
  #retryAt = 0;

  constructor(p: {
    db: DatabaseSync;
    sql: StatementCache;
    file: string;
    dimension: number;
    store: MemoryVectorStore;
    warn: (message: string) => void;
  }) {
    this.store = p.store;
    this.#db = p.db;
    this.#sql = p.sql;
    this.#file = p.file;
    this.#dimension = p.dimension;
    this.#warn = p.warn;
  }

  get #key(): string {
    return `vectors_synced ${this.store.target}`;
  }

  /** The version of `changes` the store holds everything through; undefined: it is to be written in full. */
  syncedVersion(): number | undefined {
    const row = this.#sql.get("SELECT value FROM meta WHERE key = ?").get(this.#key) as
      | { value: string }
      | undefined;
    return row === undefined ? undefined : Number(row.value);
  }

  /** How far `changes` may be pruned when its latest version is `latest` and `wanted` would be pruned. */
  pruneThrough(latest: number, wanted: number): number {
    const synced = this.syncedVersion();
    if (synced === undefined) return wanted;
    return Math.min(wanted, Math.max(synced, latest - MAX_SYNC_BACKLOG));
  }

  /**
   * What the store does not hold yet, for a search (in one read transaction): the tracks changed since its
   * synced version and their exact best similarities to `query` within the filter (at least
   * `minSimilarity`); undefined when the store cannot answer (to be written in full, or too far behind).
   */
  unsynced(
    query: Float32Array,
    filter: IndexFilter,
    minSimilarity: number,
  ): { tracks: number[]; hits: IndexHit[] } | undefined {
    return inTransaction(this.#db, "DEFERRED", () => {
      const synced = this.syncedVersion();
      if (synced === undefined || synced < this.#pruned()) return undefined;
      const tracks = (
        this.#sql
          .get("SELECT DISTINCT track FROM changes WHERE version > ? LIMIT ?")
          .all(synced, MAX_UNSYNCED_TRACKS + 1) as { track: number }[]
      ).map((r) => r.track);
      if (tracks.length > MAX_UNSYNCED_TRACKS) return undefined;
      const hits: IndexHit[] = [];
      for (const track of tracks) {
        const row = this.#sql.get("SELECT camera, first_ms, last_ms FROM tracks WHERE id = ?").get(track) as
          | { camera: string | null; first_ms: number; last_ms: number }
          | undefined;
        if (!row) continue;
        if (filter.camera !== undefined && row.camera !== filter.camera) continue;
        if (filter.sinceMs !== undefined && row.last_ms < filter.sinceMs) continue;
        if (filter.untilMs !== undefined && row.first_ms > filter.untilMs) continue;
        let best = Number.NEGATIVE_INFINITY;
        for (const e of this.#sql.get("SELECT vector FROM track_embeddings WHERE track = ?").all(track) as {
          vector: Uint8Array;
        }[]) {
          best = Math.max(best, dot(query, vectorFromBytes(e.vector, this.#dimension)));
        }
        if (best > Number.NEGATIVE_INFINITY && best >= minSimilarity)
          hits.push({ track, similarity: Math.max(-1, Math.min(1, best)) });
      }
      return { tracks, hits };
    });
  }

  /**
   * Writes every change committed so far to the store (one drain at a time in this process); rejects with
   * the store's error when it cannot be reached, leaving the rest for the next drain.
   */
  drain(): Promise<VectorSyncResult> {
    const run = this.#queue.then(() => this.#drain());
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Drains in the background: now, shortly after each `request()` (writes close together make one drain),
   * and every `intervalMs` when other processes committed changes (retrying after failures, backing off).
   */
  start(intervalMs: number): void {
    if (this.#timer || intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      if (!this.#running && !this.#soon && this.#behind()) this.#run();
    }, intervalMs);
    this.#timer.unref();
    this.#run();
  }

  /** Asks for a background drain soon (after a write). */
  request(): void {
    if (this.#stopped || !this.#timer) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#run();
    }, REQUEST_DELAY_MS);
    this.#soon.unref();
  }

  /** The store lacks committed changes (a cheap read; false when the file cannot be read now). */
  #behind(): boolean {
    try {
      const synced = this.syncedVersion();
      if (synced === undefined) return true;
      const { v } = this.#sql.get("SELECT COALESCE(MAX(version), 0) AS v FROM changes").get() as {
        v: number;
      };
      return v > synced;
    } catch {
      return false;
    }
  }

  #run(): void {
    if (this.#stopped || this.#running) return;
    if (Date.now() < this.#retryAt) return;
    this.#running = true;
    this.#again = false;
    this.drain()
      .then(
        () => {
          if (this.#failures > 0)
            this.#warn(`the face memory's vectors are in step with ${this.store.target} again`);
          this.#failures = 0;
          this.#retryAt = 0;
        },
        (error: unknown) => {
          if (this.#stopped) return;
          this.#failures++;
          this.#retryAt = Date.now() + Math.min(MAX_RETRY_MS, 1000 * 2 ** (this.#failures - 1));
          if (this.#failures === 1) {
            this.#warn(
              `cannot write the face memory's vectors to ${this.store.target} (retrying; the memory keeps everything meanwhile): ${(error as Error).message}`,
            );
          }
        },
      )
      .finally(() => {
        this.#running = false;
        if (this.#again) this.request();
      });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    this.#timer = undefined;
    this.#soon = undefined;
  }

  async #drain(): Promise<VectorSyncResult> {
    const result: VectorSyncResult = { upserted: 0, deleted: 0, version: 0, full: false, busy: false };
    if (!this.#lease())
      return { ...result, busy: true, version: this.#read(() => this.syncedVersion() ?? 0) };
    try {
      if (!this.#prepared) {
        const { created } = await this.store.prepare();
        this.#prepared = true;
        if (created) this.#write(() => this.#sql.get("DELETE FROM meta WHERE key = ?").run(this.#key));
      }
      for (;;) {
        this.#renew();
        const state = this.#read(() =>
          inTransaction(this.#db, "DEFERRED", () => ({
            synced: this.syncedVersion(),
            pruned: this.#pruned(),
          })),
        );
        if (state.synced === undefined || state.synced < state.pruned) {
          await this.#writeAll(result);
          continue;
        }
        const batch = this.#read(() => this.#readBatch(state.synced as number));
        if (!batch) {
          result.version = state.synced;
          return result;
        }
        for (let i = 0; i < batch.points.length; i += PAGE) {
          await this.store.upsert(batch.points.slice(i, i + PAGE));
          this.#renew();
        }
        for (let i = 0; i < batch.tracks.length; i += PAGE) {
          const tracks = batch.tracks.slice(i, i + PAGE);
          const inBatch = new Set(tracks);
          await this.store.deleteOfTracks(
            tracks,
            batch.points.filter((p) => inBatch.has(p.track)).map((p) => p.id),
          );
          this.#renew();
        }
        result.upserted += batch.points.length;
        result.deleted += batch.tracks.length;
        this.#setVersion(batch.version);
      }
    } finally {
      this.#release();
    }
  }

  /** The changes after `synced` (one batch) and the current points of their tracks; undefined: none. */
  #readBatch(synced: number): { version: number; tracks: number[]; points: MemoryVectorPoint[] } | undefined {
    return inTransaction(this.#db, "DEFERRED", () => {
      const changes = this.#sql
        .get("SELECT version, track FROM changes WHERE version > ? ORDER BY version LIMIT ?")
        .all(synced, BATCH_CHANGES) as { version: number; track: number }[];
      if (changes.length === 0) return undefined;
      const tracks = [...new Set(changes.map((c) => c.track))];
      const points = tracks.flatMap((track) =>
        (
          this.#sql
            .get(
              `SELECT e.id, e.track, e.vector, t.source_kind, t.camera, t.first_ms, t.last_ms
               FROM track_embeddings e JOIN tracks t ON t.id = e.track WHERE e.track = ? ORDER BY e.id`,
            )
            .all(track) as unknown as PointRow[]
        ).map((r) => this.#point(r)),
      );
      return { version: (changes[changes.length - 1] as { version: number }).version, tracks, points };
    });
  }

  /** Writes the store in full: every kept embedding upserted, every point without one deleted. */
  async #writeAll(result: VectorSyncResult): Promise<void> {
    result.full = true;
    const version = this.#read(
      () => (this.#sql.get("SELECT COALESCE(MAX(version), 0) AS v FROM changes").get() as { v: number }).v,
    );
    for (let after = 0; ; ) {
      const page = this.#read(() =>
        (
          this.#sql
            .get(
              `SELECT e.id, e.track, e.vector, t.source_kind, t.camera, t.first_ms, t.last_ms
               FROM track_embeddings e JOIN tracks t ON t.id = e.track WHERE e.id > ? ORDER BY e.id LIMIT ?`,
            )
            .all(after, PAGE) as unknown as PointRow[]
        ).map((r) => this.#point(r)),
      );
      if (page.length === 0) break;
      await this.store.upsert(page);
      result.upserted += page.length;
      after = (page[page.length - 1] as MemoryVectorPoint).id;
      this.#renew();
    }
    for (let from: number | undefined; ; ) {
      const { ids, next } = await this.store.pointIds(from, PAGE);
      const kept = this.#read(
        () =>
          new Set(
            ids.length === 0
              ? []
              : (
                  this.#sql
                    .get(`SELECT id FROM track_embeddings WHERE id IN (${ids.map(() => "?").join(",")})`)
                    .all(...ids) as { id: number }[]
                ).map((r) => r.id),
          ),
      );
      const gone = ids.filter((id) => !kept.has(id));
      if (gone.length > 0) await this.store.deletePoints(gone);
      result.deleted += gone.length;
      this.#renew();
      if (next === undefined) break;
      from = next;
    }
    // Changes after `version` were made while writing: the incremental drain writes their tracks again.
    this.#setVersion(version);
  }

  #point(r: PointRow): MemoryVectorPoint {
    return {
      id: r.id,
      track: r.track,
      vector: vectorFromBytes(r.vector, this.#dimension),
      sourceKind: r.source_kind,
      camera: r.camera,
      firstMs: r.first_ms,
      lastMs: r.last_ms,
    };
  }

  #pruned(): number {
    return Number(
      (
        this.#sql.get("SELECT value FROM meta WHERE key = 'changes_pruned_through'").get() as {
          value: string;
        }
      ).value,
    );
  }

  /** Takes the lease when free, expired or ours; false when another process holds it. */
  #lease(): boolean {
    return this.#write(() => {
      const row = this.#sql.get("SELECT value FROM meta WHERE key = ?").get(LEASE_KEY) as
        | { value: string }
        | undefined;
      const [owner, until] = (row?.value ?? "").split(" ");
      if (row && owner !== this.#owner && Number(until) > Date.now()) return false;
      this.#sql
        .get("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        .run(LEASE_KEY, `${this.#owner} ${Date.now() + LEASE_MS}`);
      return true;
    });
  }

  /** Renews the lease; an error when it was lost (this drain took longer than the lease and another began). */
  #renew(): void {
    if (!this.#lease()) {
      throw new MemoryError(
        "IO",
        `another process took over writing the face memory's vectors to ${this.store.target}`,
      );
    }
  }

  #release(): void {
    try {
      this.#write(() =>
        this.#sql.get("DELETE FROM meta WHERE key = ? AND value LIKE ?").run(LEASE_KEY, `${this.#owner} %`),
      );
    } catch {}
  }

  #setVersion(version: number): void {
    this.#write(() => {
      this.#sql.get("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(this.#key, String(version));
    });
  }

  #read<T>(fn: () => T): T {
    if (this.#stopped) throw new MemoryError("IO", `the face memory ${this.#file} is closed`);
    try {
      return fn();
    } catch (error) {
      throw databaseError("sync the vectors of", this.#file, error);
    }
  }

  #write<T>(fn: () => T): T {
    return this.#read(() => inTransaction(this.#db, "IMMEDIATE", fn));
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
