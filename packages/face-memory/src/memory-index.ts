/**
 * The face memory's search index, in memory: every kept embedding in one VectorMatrix (contiguous float32,
 * scored by the SIMD kernel), each row owned by a track, and per track what the filters read (camera,
 * first and last time). A search filters the tracks first (camera, time), scores only the rows of the
 * tracks that pass (all rows at once when most pass), keeps each track's best similarity, and returns the
 * best tracks. Exact: every row of every passing track is scored.
 */

import { VectorMatrix } from "./vector-matrix.ts";

/** What the filters read of a track. */
export interface IndexedTrack {
  /** The track's row in the database. */
  id: number;
  camera: string | null;
  firstMs: number;
  lastMs: number;
}

export interface IndexFilter {
  camera?: string;
  sinceMs?: number;
  untilMs?: number;
}

export interface IndexHit {
  track: number;
  similarity: number;
}

interface Entry extends IndexedTrack {
  /** Index among the tracks (dense: reused after removal). */
  slot: number;
  rows: number[];
}

/** Below this share of passing rows, only their rows are scored (scoreRows); above, every row (scoreAll). */
const SCORE_ALL_ABOVE = 0.5;

export class MemoryIndex {
  readonly #matrix: VectorMatrix;
  /** The track slot owning each row. */
  #rowOwner: Int32Array;
  readonly #tracks = new Map<number, Entry>();
  /** Entries by track slot (undefined: free). */
  readonly #slots: (Entry | undefined)[] = [];
  readonly #freeSlots: number[] = [];

  constructor(dimension: number) {
    this.#matrix = new VectorMatrix(dimension);
    this.#rowOwner = new Int32Array(this.#matrix.capacity);
  }

  get dimension(): number {
    return this.#matrix.dimension;
  }

  /** Embeddings held. */
  get size(): number {
    return this.#matrix.size;
  }

  /** Tracks held (with or without embeddings). */
  get trackCount(): number {
    return this.#tracks.size;
  }

  /** Makes room for `rows` embeddings (one allocation when loading everything). */
  reserve(rows: number): void {
    this.#matrix.reserve(rows);
    this.#ensureOwners();
  }

  has(track: number): boolean {
    return this.#tracks.has(track);
  }

  /** Adds or replaces a track's filter fields (its embeddings stay). */
  putTrack(track: IndexedTrack): void {
    const entry = this.#tracks.get(track.id);
    if (entry) {
      entry.camera = track.camera;
      entry.firstMs = track.firstMs;
      entry.lastMs = track.lastMs;
      return;
    }
    const slot = this.#freeSlots.pop() ?? this.#slots.length;
    const created: Entry = { ...track, slot, rows: [] };
    this.#slots[slot] = created;
    this.#tracks.set(track.id, created);
  }

  /** Adds an embedding (L2-normalised) to a track already put. */
  addEmbedding(track: number, vector: Float32Array): void {
    const entry = this.#tracks.get(track);
    if (!entry) throw new Error(`track ${track} is not in the index`);
    const row = this.#matrix.add(vector);
    this.#ensureOwners();
    this.#rowOwner[row] = entry.slot;
    entry.rows.push(row);
  }

  /** Removes a track and its embeddings (no-op when absent). */
  removeTrack(track: number): void {
    const entry = this.#tracks.get(track);
    if (!entry) return;
    // Highest rows first, so that the last row moved into a hole is never one of this track's own.
    for (const row of [...entry.rows].sort((a, b) => b - a)) this.#removeRow(row);
    this.#tracks.delete(track);
    this.#slots[entry.slot] = undefined;
    this.#freeSlots.push(entry.slot);
  }

  clear(): void {
    this.#matrix.clear();
    this.#tracks.clear();
    this.#slots.length = 0;
    this.#freeSlots.length = 0;
  }

  /** The `limit` tracks most similar to `query` (best similarity of their rows), best first. */
  search(query: Float32Array, filter: IndexFilter, limit: number, minSimilarity = -Infinity): IndexHit[] {
    if (limit <= 0 || this.#matrix.size === 0) return [];
    const rows = this.#matrix.size;
    const passes = this.#passingSlots(filter);
    const best = new Float32Array(this.#slots.length).fill(Number.NEGATIVE_INFINITY);
    const owner = this.#rowOwner;
    if (passes === undefined) {
      const scores = this.#matrix.scoreAll(query);
      for (let r = 0; r < rows; r++) {
        const s = owner[r] as number;
        const score = scores[r] as number;
        if (score > (best[s] as number)) best[s] = score;
      }
    } else if (passes.rows === 0) {
      return [];
    } else if (passes.rows > rows * SCORE_ALL_ABOVE) {
      const scores = this.#matrix.scoreAll(query);
      const mask = passes.mask;
      for (let r = 0; r < rows; r++) {
        const s = owner[r] as number;
        if (mask[s] !== 1) continue;
        const score = scores[r] as number;
        if (score > (best[s] as number)) best[s] = score;
      }
    } else {
      const list = new Int32Array(passes.rows);
      let k = 0;
      for (let r = 0; r < rows; r++) if (passes.mask[owner[r] as number] === 1) list[k++] = r;
      const scores = this.#matrix.scoreRows(query, list);
      for (let i = 0; i < list.length; i++) {
        const s = owner[list[i] as number] as number;
        const score = scores[i] as number;
        if (score > (best[s] as number)) best[s] = score;
      }
    }
    return topTracks(best, limit, minSimilarity).map(({ slot, score }) => ({
      track: (this.#slots[slot] as Entry).id,
      similarity: Math.max(-1, Math.min(1, score)),
    }));
  }

  /**
   * 1 for each track slot that passes the filter, and how many rows those tracks hold; undefined when there
   * is no filter.
   */
  #passingSlots(filter: IndexFilter): { mask: Uint8Array; rows: number } | undefined {
    const { camera, sinceMs, untilMs } = filter;
    if (camera === undefined && sinceMs === undefined && untilMs === undefined) return undefined;
    const mask = new Uint8Array(this.#slots.length);
    let rows = 0;
    for (const e of this.#tracks.values()) {
      if (camera !== undefined && e.camera !== camera) continue;
      if (sinceMs !== undefined && e.lastMs < sinceMs) continue;
      if (untilMs !== undefined && e.firstMs > untilMs) continue;
      mask[e.slot] = 1;
      rows += e.rows.length;
    }
    return { mask, rows };
  }

  /** Removes one row: the last row moves into its place. */
  #removeRow(row: number): void {
    const last = this.#matrix.size - 1;
    const owner = this.#rowOwner;
    if (row !== last) {
      this.#matrix.copyRow(last, row);
      const movedOwner = owner[last] as number;
      owner[row] = movedOwner;
      const moved = this.#slots[movedOwner] as Entry;
      moved.rows[moved.rows.indexOf(last)] = row;
    }
    this.#matrix.pop();
  }

  #ensureOwners(): void {
    if (this.#rowOwner.length >= this.#matrix.capacity) return;
    const grown = new Int32Array(this.#matrix.capacity);
    grown.set(this.#rowOwner);
    this.#rowOwner = grown;
  }
}

interface Ranked {
  slot: number;
  score: number;
}

/** `a` ranks below `b`: a lower score, or the same score and a later slot. */
const ranksBelow = (a: Ranked, b: Ranked) => a.score < b.score || (a.score === b.score && a.slot > b.slot);

/** The `limit` best slots (score above -∞ and at least `min`), best first; ties by slot. */
function topTracks(best: Float32Array, limit: number, min: number): Ranked[] {
  // A min-heap of the best `limit` so far: its root is the weakest kept.
  const heap: Ranked[] = [];
  const at = (i: number) => heap[i] as Ranked;
  const swap = (i: number, j: number) => {
    const t = at(i);
    heap[i] = at(j);
    heap[j] = t;
  };
  for (let slot = 0; slot < best.length; slot++) {
    const score = best[slot] as number;
    if (score === Number.NEGATIVE_INFINITY || score < min) continue;
    const item = { slot, score };
    if (heap.length < limit) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0 && ranksBelow(at(i), at((i - 1) >> 1)); i = (i - 1) >> 1)
        swap(i, (i - 1) >> 1);
    } else if (ranksBelow(at(0), item)) {
      heap[0] = item;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        let m = i;
        if (l < heap.length && ranksBelow(at(l), at(m))) m = l;
        if (l + 1 < heap.length && ranksBelow(at(l + 1), at(m))) m = l + 1;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
  }
  return heap.sort((a, b) => (ranksBelow(a, b) ? 1 : ranksBelow(b, a) ? -1 : 0));
}
