/**
 * Where the face memory's embeddings are searched. The embedded backend searches its exact in-memory
 * index (memory-index.ts: caught up with SQLite before each search, synchronous). A MemoryVectorStore is
 * the other way: a vector database (Qdrant: @facetracker/gallery's QdrantMemoryVectors) that holds one point
 * per kept embedding, written from the SQLite `changes` log by VectorSync (vector-sync.ts) and searched
 * asynchronously (FaceMemory.searchAsync). SQLite stays the authority: the records, visitors and
 * corrections never leave it, and the store can always be written again from it.
 */

import type { IndexFilter, IndexHit } from "./memory-index.ts";
import type { SourceKind } from "./types.ts";

/** One kept embedding as a point of the store. */
export interface MemoryVectorPoint {
  /** The embedding's row ID (`track_embeddings.id`, never reused): the point's ID. */
  id: number;
  /** The track's row ID. */
  track: number;
  /** Unit length. */
  vector: Float32Array;
  sourceKind: SourceKind;
  camera: string | null;
  firstMs: number;
  lastMs: number;
}

export interface VectorStoreFilter extends IndexFilter {
  /** Tracks left out (those changed since the store was last written: searched exactly from SQLite). */
  excludeTracks?: readonly number[];
}

export interface MemoryVectorStore {
  /** Names the store and its collection (in messages, and as the key of its sync state in the memory). */
  readonly target: string;
  /** Makes sure the collection exists with the memory's dimension (idempotent); `created`: it did not. */
  prepare(): Promise<{ created: boolean }>;
  /** Writes points (idempotent: a point's ID is its embedding's). */
  upsert(points: readonly MemoryVectorPoint[]): Promise<void>;
  /** Deletes every point of `tracks` whose ID is not in `keep` (idempotent). */
  deleteOfTracks(tracks: readonly number[], keep: readonly number[]): Promise<void>;
  /** Point IDs in ascending order from `from` (inclusive), at most `limit`, and where the next page starts. */
  pointIds(from: number | undefined, limit: number): Promise<{ ids: number[]; next: number | undefined }>;
  /** Deletes points by ID (idempotent). */
  deletePoints(ids: readonly number[]): Promise<void>;
  /**
   * The `limit` tracks with the most similar points (each track by its best point), best first, among the
   * points that pass the filter and reach `minSimilarity`.
   */
  search(
    query: Float32Array,
    filter: VectorStoreFilter,
    limit: number,
    minSimilarity?: number,
  ): Promise<IndexHit[]>;
}
