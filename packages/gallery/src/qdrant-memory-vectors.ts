/**
 * The face memory's embeddings in Qdrant (the Qdrant backend; a MemoryVectorStore of @facetracker/face-memory,
 * which writes it from its SQLite file and stays the authority).
 *
 * Collection `<collection>_memory`: one point per kept track embedding: id = the embedding's row ID in
 * memory.sqlite (an unsigned integer, never reused), vector (the memory's dimension, Cosine), payload
 * { track, source_kind, camera (null for a file), first_ms, last_ms }; payload indexes on track (integer),
 * camera (keyword), first_ms and last_ms (integer), for the search's filters and its grouping by track.
 */

import { QdrantClient } from "@qdrant/js-client-rest";
import { qdrantError } from "./qdrant-gallery.ts";
import { GalleryError } from "./types.ts";
import { validateDimension } from "./validation.ts";

export interface QdrantMemoryVectorsOptions {
  /** Server URL, e.g. http://localhost:6333. */
  url: string;
  apiKey?: string;
  /** The collection (the configuration's `qdrant.collection` + "_memory"). */
  collection: string;
  dimension: number;
  /** Per-request timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
}

/** A kept embedding as a point (face-memory's MemoryVectorPoint). */
export interface MemoryPoint {
  id: number;
  track: number;
  vector: Float32Array;
  sourceKind: string;
  camera: string | null;
  firstMs: number;
  lastMs: number;
}

const COLLECTION_RE = /^[A-Za-z0-9_-]{1,200}$/;
const INDEXES = { track: "integer", camera: "keyword", first_ms: "integer", last_ms: "integer" } as const;

type Condition =
  | { key: string; match: { value: string } | { any: number[] } }
  | { key: string; range: { gte?: number; lte?: number } }
  | { has_id: number[] };

export class QdrantMemoryVectors {
  readonly url: string;
  readonly collection: string;
  readonly dimension: number;
  /** "Qdrant at URL, collection NAME": names the store in messages and its sync state in the memory. */
  readonly target: string;
  readonly #client: QdrantClient;

  /** Checks the options and makes the client (no request: prepare() makes the collection). */
  constructor(options: QdrantMemoryVectorsOptions) {
    this.dimension = validateDimension(options.dimension);
    if (!COLLECTION_RE.test(options.collection)) {
      throw new GalleryError(
        "INVALID",
        `collection name "${options.collection}" must be 1 to 200 letters, digits, "_" or "-"`,
      );
    }
    if (typeof options.url !== "string" || !/^https?:\/\/[^/]/.test(options.url)) {
      throw new GalleryError(
        "INVALID",
        `Qdrant url must start with http:// or https://, got "${String(options.url)}"`,
      );
    }
    this.url = options.url;
    this.collection = options.collection;
    this.target = `Qdrant at ${options.url}, collection ${options.collection}`;
    try {
      this.#client = new QdrantClient({
        url: options.url,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        timeout: options.timeoutMs ?? 30_000,
        checkCompatibility: false,
      });
    } catch (error) {
      throw new GalleryError("INVALID", `invalid Qdrant url "${options.url}": ${(error as Error).message}`);
    }
  }

  async prepare(): Promise<{ created: boolean }> {
    const name = this.collection;
    let created = false;
    const { exists } = await this.#call(`check collection ${name}`, () =>
      this.#client.collectionExists(name),
    );
    if (!exists) {
      try {
        await this.#client.createCollection(name, { vectors: { size: this.dimension, distance: "Cosine" } });
        created = true;
      } catch (error) {
        // Created concurrently by another process: fine. Anything else is an error.
        const now = await this.#call(`check collection ${name}`, () => this.#client.collectionExists(name));
        if (!now.exists) throw qdrantError(this.url, `create collection ${name}`, error);
      }
    }
    const info = await this.#call(`read collection ${name}`, () => this.#client.getCollection(name));
    const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
    if (vectors?.size !== this.dimension || vectors.distance !== "Cosine") {
      throw new GalleryError(
        "INVALID",
        `Qdrant collection ${name} at ${this.url} has vectors of size ${String(vectors?.size)} (${String(vectors?.distance)}), the face memory needs size ${this.dimension} (Cosine)`,
      );
    }
    for (const [field, schema] of Object.entries(INDEXES)) {
      if (info.payload_schema[field]) continue;
      await this.#call(`index ${name}.${field}`, () =>
        this.#client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }),
      );
    }
    return { created };
  }

  async upsert(points: readonly MemoryPoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.#call("store memory embeddings", () =>
      this.#client.upsert(this.collection, {
        wait: true,
        points: points.map((p) => ({
          id: p.id,
          vector: Array.from(p.vector),
          payload: {
            track: p.track,
            source_kind: p.sourceKind,
            camera: p.camera,
            first_ms: p.firstMs,
            last_ms: p.lastMs,
          },
        })),
      }),
    );
  }

  async deleteOfTracks(tracks: readonly number[], keep: readonly number[]): Promise<void> {
    if (tracks.length === 0) return;
    await this.#call("delete memory embeddings", () =>
      this.#client.delete(this.collection, {
        wait: true,
        filter: {
          must: [{ key: "track", match: { any: [...tracks] } }],
          ...(keep.length > 0 ? { must_not: [{ has_id: [...keep] }] } : {}),
        },
      }),
    );
  }

  async pointIds(
    from: number | undefined,
    limit: number,
  ): Promise<{ ids: number[]; next: number | undefined }> {
    const page = await this.#call("list memory embeddings", () =>
      this.#client.scroll(this.collection, {
        limit,
        with_payload: false,
        with_vector: false,
        ...(from === undefined ? {} : { offset: from }),
      }),
    );
    const next = page.next_page_offset;
    return {
      ids: page.points.flatMap((p) => (typeof p.id === "number" ? [p.id] : [])),
      next: typeof next === "number" ? next : undefined,
    };
  }

  async deletePoints(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#call("delete memory embeddings", () =>
      this.#client.delete(this.collection, { wait: true, points: [...ids] }),
    );
  }

  /** The `limit` tracks with the most similar points (grouped by track, its best point), best first. */
  async search(
    query: Float32Array,
    filter: { camera?: string; sinceMs?: number; untilMs?: number; excludeTracks?: readonly number[] },
    limit: number,
    minSimilarity?: number,
  ): Promise<{ track: number; similarity: number }[]> {
    if (limit <= 0) return [];
    const must: Condition[] = [];
    if (filter.camera !== undefined) must.push({ key: "camera", match: { value: filter.camera } });
    if (filter.sinceMs !== undefined) must.push({ key: "last_ms", range: { gte: filter.sinceMs } });
    if (filter.untilMs !== undefined) must.push({ key: "first_ms", range: { lte: filter.untilMs } });
    const mustNot: Condition[] =
      filter.excludeTracks && filter.excludeTracks.length > 0
        ? [{ key: "track", match: { any: [...filter.excludeTracks] } }]
        : [];
    const result = await this.#call("search the face memory", () =>
      this.#client.queryGroups(this.collection, {
        query: Array.from(query),
        group_by: "track",
        group_size: 1,
        limit,
        with_payload: false,
        ...(must.length > 0 || mustNot.length > 0
          ? {
              filter: {
                ...(must.length > 0 ? { must } : {}),
                ...(mustNot.length > 0 ? { must_not: mustNot } : {}),
              },
            }
          : {}),
        ...(minSimilarity === undefined || !Number.isFinite(minSimilarity)
          ? {}
          : { score_threshold: minSimilarity }),
      }),
    );
    return result.groups
      .flatMap((g) => {
        const best = g.hits[0];
        const track = typeof g.id === "number" ? g.id : Number(g.id);
        if (!best || !Number.isInteger(track)) return [];
        return [{ track, similarity: Math.max(-1, Math.min(1, best.score)) }];
      })
      .sort((a, b) => b.similarity - a.similarity || a.track - b.track);
  }

  /** Deletes the collection (tests, tooling). */
  async drop(): Promise<void> {
    await this.#call("delete a collection", () => this.#client.deleteCollection(this.collection));
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw qdrantError(this.url, action, error);
    }
  }
}
