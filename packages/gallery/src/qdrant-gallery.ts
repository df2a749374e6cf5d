/**
 * QdrantGallery: the Gallery contract on a Qdrant server (REST, @qdrant/js-client-rest).
 *
 * Two collections:
 *   <collection>             one point per embedding: id = embedding UUID, vector (size = dimension, Cosine),
 *                            payload { identityId, name, attributes, source?, createdAt, order, hasThumbnail,
 *                            thumbnail? (base64 JPEG) }; keyword index on identityId.
 *   <collection>_identities  one point per identity: id = identity UUID, dummy 1-d vector [1],
 *                            payload { name, attributes, createdAt }; keyword index on name.
 *   <collection>_negatives   one point per negative example (a face that is not the identity, from a
 *                            correction): id = negative UUID, vector, payload { identityId, source?,
 *                            createdAt, order }; keyword index on identityId. Kept apart from the
 *                            embeddings, so that no plain search hits them; search applies them (see search).
 *
 * The identity point is the authority for an identity's name and attributes (search results are resolved
 * through it). The copies of name/attributes in the embedding payloads are kept in sync on rename and
 * attribute changes, for people browsing the collection. Creation writes the identity point before its
 * embeddings, and deletion removes the embeddings before the identity point, so an interrupted operation
 * never leaves embeddings without an identity.
 *
 * Name uniqueness is enforced within one process (changes are serialised); Qdrant has no unique
 * constraint, so two processes enrolling the same new name at the same instant could create two identities.
 */

import { randomUUID } from "node:crypto";
import { QdrantClient } from "@qdrant/js-client-rest";
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
  isUuid,
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

export interface QdrantGalleryOptions {
  /** Server URL, e.g. http://localhost:6333. */
  url: string;
  apiKey?: string;
  /** Embeddings collection (default "facetracker"); identities go to "<collection>_identities". */
  collection?: string;
  /** Vector dimension (default 512); must match an existing collection's. */
  dimension?: number;
  /** Per-request timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
}

const PAGE = 256;
const UPSERT_BATCH = 64;
const COLLECTION_RE = /^[A-Za-z0-9_-]{1,200}$/;

interface IdentityPayload {
  name: string;
  attributes: Attributes;
  createdAt: string;
}

interface IdentityRecord extends IdentityPayload {
  id: string;
}

type Condition = { key: string; match: { value: string } | { any: string[] } };
type Filter = { must?: Condition[]; must_not?: Condition[] };

function byField(key: string, value: string): Filter {
  return { must: [{ key, match: { value } }] };
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function asAttributes(value: unknown): Attributes {
  const out: Attributes = {};
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** Why a Qdrant call failed, as a GalleryError('IO') naming the server. */
export function qdrantError(url: string, action: string, error: unknown): GalleryError {
  if (error instanceof GalleryError) return error;
  const e = error as {
    name?: string;
    message?: string;
    status?: unknown;
    statusText?: unknown;
    data?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  if (typeof e?.status === "number") {
    // ApiError of the client's fetcher: the server answered with an error status.
    const data = e.data as { status?: { error?: unknown } } | undefined;
    const detail = asString(data?.status?.error) ?? asString(e.statusText) ?? "";
    return new GalleryError(
      "IO",
      `Qdrant at ${url} failed to ${action}: HTTP ${e.status}${detail ? ` ${detail}` : ""}`,
      { cause: error },
    );
  }
  if (e?.name === "QdrantClientUnexpectedResponseError" || e?.name === "QdrantClientResourceExhaustedError") {
    return new GalleryError("IO", `Qdrant at ${url} failed to ${action}: ${e.message}`, { cause: error });
  }
  if (e?.name === "QdrantClientTimeoutError") {
    return new GalleryError("IO", `Qdrant at ${url} did not answer in time (${action})`, { cause: error });
  }
  const cause = e?.cause;
  const reason =
    asString(cause?.code) ??
    asString(cause?.message) ??
    (error instanceof Error ? error.message : String(error));
  return new GalleryError("IO", `cannot reach Qdrant at ${url} (${action}): ${reason}`, { cause: error });
}

export class QdrantGallery implements Gallery {
  readonly dimension: number;
  readonly url: string;
  /** Embeddings collection. */
  readonly collection: string;
  /** Identities collection. */
  readonly identitiesCollection: string;
  /** Negative examples collection. */
  readonly negativesCollection: string;
  readonly #client: QdrantClient;
  #queue: Promise<unknown> = Promise.resolve();
  /** Last `order` given to an embedding: strictly increasing within this process. */
  #lastOrder = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(client: QdrantClient, url: string, collection: string, dimension: number) {
    this.#client = client;
    this.url = url;
    this.collection = collection;
    this.identitiesCollection = `${collection}_identities`;
    this.negativesCollection = `${collection}_negatives`;
    this.dimension = dimension;
  }

  /** Connects and creates the collections when they do not exist (idempotent). */
  static async open(options: QdrantGalleryOptions): Promise<QdrantGallery> {
    const dimension = validateDimension(options.dimension ?? DEFAULT_DIMENSION);
    const collection = options.collection ?? "facetracker";
    if (!COLLECTION_RE.test(collection)) {
      throw new GalleryError(
        "INVALID",
        `collection name "${collection}" must be 1 to 200 letters, digits, "_" or "-"`,
      );
    }
    const url = options.url;
    if (typeof url !== "string" || !/^https?:\/\/[^/]/.test(url)) {
      throw new GalleryError(
        "INVALID",
        `Qdrant url must start with http:// or https://, got "${String(url)}"`,
      );
    }
    let client: QdrantClient;
    try {
      client = new QdrantClient({
        url,
        // An empty key (e.g. an unset config value) means no key.
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        timeout: options.timeoutMs ?? 30_000,
        // The client's background version check only logs a warning; the first request reports errors.
        checkCompatibility: false,
      });
    } catch (error) {
      throw new GalleryError("INVALID", `invalid Qdrant url "${url}": ${(error as Error).message}`);
    }
    const gallery = new QdrantGallery(client, url, collection, dimension);
    await gallery.#ensureCollection(gallery.collection, dimension, "Cosine", "identityId");
    await gallery.#ensureCollection(gallery.identitiesCollection, 1, "Dot", "name");
    // Created by the first open of this version (a collection made before negative examples has none).
    await gallery.#ensureCollection(gallery.negativesCollection, dimension, "Cosine", "identityId");
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
      const existing = await this.#identityByName(validName);
      let identity: IdentityRecord;
      if (!existing) {
        identity = {
          id: randomUUID(),
          name: validName,
          attributes: validAttributes,
          createdAt: new Date().toISOString(),
        };
        await this.#putIdentity(identity);
      } else {
        identity = { ...existing, attributes: mergeAttributes(existing.attributes, validAttributes) };
        if (!sameAttributes(identity.attributes, existing.attributes)) {
          await this.#updateIdentity(identity.id, { attributes: identity.attributes });
        }
      }

      const now = new Date();
      const createdAt = now.toISOString();
      const points = valid.map((e) => {
        this.#lastOrder = Math.max(now.getTime() * 1000, this.#lastOrder + 1);
        const payload: Record<string, unknown> = {
          identityId: identity.id,
          name: identity.name,
          attributes: identity.attributes,
          createdAt,
          order: this.#lastOrder,
          hasThumbnail: e.thumbnail !== undefined,
        };
        if (e.source !== undefined) payload.source = e.source;
        if (e.thumbnail) payload.thumbnail = Buffer.from(e.thumbnail).toString("base64");
        return { id: randomUUID(), vector: Array.from(e.vector), payload };
      });
      const written: string[] = [];
      try {
        for (let i = 0; i < points.length; i += UPSERT_BATCH) {
          const batch = points.slice(i, i + UPSERT_BATCH);
          await this.#call("store embeddings", () =>
            this.#client.upsert(this.collection, { wait: true, points: batch }),
          );
          written.push(...batch.map((p) => p.id));
        }
      } catch (error) {
        // All or nothing: remove the batches already stored (best effort).
        if (written.length > 0) {
          await this.#client.delete(this.collection, { wait: true, points: written }).catch(() => {});
        }
        throw error;
      }
      return { identity: await this.#info(identity), embeddingIds: points.map((p) => p.id) };
    });
  }

  async list(): Promise<IdentityInfo[]> {
    this.#checkOpen();
    const identities = await this.#allIdentities();
    const counts = new Map<string, number>();
    const negativeCounts = new Map<string, number>();
    if (identities.length > 0) {
      for (const [collection, into] of [
        [this.collection, counts],
        [this.negativesCollection, negativeCounts],
      ] as const) {
        const facet = await this.#call("count embeddings", () =>
          this.#client.facet(collection, { key: "identityId", limit: identities.length, exact: true }),
        );
        for (const hit of facet.hits) into.set(String(hit.value), hit.count);
      }
    }
    return identities
      .map((identity) =>
        this.#toInfo(identity, counts.get(identity.id) ?? 0, negativeCounts.get(identity.id) ?? 0),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(idOrName: string): Promise<IdentityInfo | undefined> {
    this.#checkOpen();
    const identity = await this.#find(idOrName);
    return identity ? this.#info(identity) : undefined;
  }

  /** The identity's embeddings in enrollment order; GalleryError('NOT_FOUND') when there is no such identity. */
  async embeddings(idOrName: string): Promise<EmbeddingInfo[]> {
    this.#checkOpen();
    const identity = await this.#require(idOrName);
    const rows: { info: EmbeddingInfo; order: number }[] = [];
    let offset: string | number | undefined;
    do {
      const page = await this.#call("list embeddings", () =>
        this.#client.scroll(this.collection, {
          filter: byField("identityId", identity.id),
          limit: PAGE,
          with_payload: { exclude: ["thumbnail"] },
          with_vector: false,
          ...(offset === undefined ? {} : { offset }),
        }),
      );
      for (const point of page.points) {
        const payload = point.payload ?? {};
        const info: EmbeddingInfo = {
          id: String(point.id),
          identityId: identity.id,
          hasThumbnail: payload.hasThumbnail === true,
          createdAt: asString(payload.createdAt) ?? "",
        };
        const source = asString(payload.source);
        if (source !== undefined) info.source = source;
        rows.push({ info, order: typeof payload.order === "number" ? payload.order : 0 });
      }
      offset = nextOffset(page.next_page_offset);
    } while (offset !== undefined);
    rows.sort((a, b) => a.order - b.order || (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
    return rows.map((r) => r.info);
  }

  async thumbnail(embeddingId: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (typeof embeddingId !== "string" || !isUuid(embeddingId)) return undefined;
    const [point] = await this.#call("read a thumbnail", () =>
      this.#client.retrieve(this.collection, {
        ids: [embeddingId],
        with_payload: { include: ["thumbnail"] },
        with_vector: false,
      }),
    );
    const base64 = asString(point?.payload?.thumbnail);
    return base64 === undefined ? undefined : new Uint8Array(Buffer.from(base64, "base64"));
  }

  async rename(idOrName: string, newName: string): Promise<IdentityInfo> {
    this.#checkOpen();
    const validName = validateName(newName, "new name");
    return this.#exclusive(async () => {
      const identity = await this.#require(idOrName);
      if (identity.name !== validName) {
        const holder = await this.#identityByName(validName);
        if (holder && holder.id !== identity.id) {
          throw new GalleryError("NAME_TAKEN", `an identity named "${validName}" already exists`);
        }
        await this.#updateIdentity(identity.id, { name: validName });
        identity.name = validName;
      }
      return this.#info(identity);
    });
  }

  async setAttributes(idOrName: string, attributes: Attributes): Promise<IdentityInfo> {
    this.#checkOpen();
    const validAttributes = validateAttributes(attributes);
    return this.#exclusive(async () => {
      const identity = await this.#require(idOrName);
      const merged = mergeAttributes(identity.attributes, validAttributes);
      if (!sameAttributes(merged, identity.attributes)) {
        await this.#updateIdentity(identity.id, { attributes: merged });
        identity.attributes = merged;
      }
      return this.#info(identity);
    });
  }

  async deleteIdentity(idOrName: string): Promise<boolean> {
    this.#checkOpen();
    return this.#exclusive(async () => {
      const identity = await this.#find(idOrName);
      if (!identity) return false;
      await this.#call("delete negative examples", () =>
        this.#client.delete(this.negativesCollection, {
          wait: true,
          filter: byField("identityId", identity.id),
        }),
      );
      await this.#call("delete embeddings", () =>
        this.#client.delete(this.collection, { wait: true, filter: byField("identityId", identity.id) }),
      );
      await this.#call("delete an identity", () =>
        this.#client.delete(this.identitiesCollection, { wait: true, points: [identity.id] }),
      );
      return true;
    });
  }

  async deleteEmbedding(embeddingId: string): Promise<boolean> {
    this.#checkOpen();
    if (typeof embeddingId !== "string" || !isUuid(embeddingId)) return false;
    return this.#exclusive(async () => {
      const found = await this.#call("read an embedding", () =>
        this.#client.retrieve(this.collection, {
          ids: [embeddingId],
          with_payload: false,
          with_vector: false,
        }),
      );
      if (found.length === 0) return false;
      await this.#call("delete an embedding", () =>
        this.#client.delete(this.collection, { wait: true, points: [embeddingId] }),
      );
      return true;
    });
  }

  async addNegatives(
    idOrName: string,
    negatives: NewNegative[],
  ): Promise<{ identity: IdentityInfo; negativeIds: string[] }> {
    this.#checkOpen();
    const valid = validateNegatives(negatives, this.dimension);
    return this.#exclusive(async () => {
      const identity = await this.#require(idOrName);
      const now = new Date();
      const points = valid.map((n) => {
        this.#lastOrder = Math.max(now.getTime() * 1000, this.#lastOrder + 1);
        const payload: Record<string, unknown> = {
          identityId: identity.id,
          createdAt: now.toISOString(),
          order: this.#lastOrder,
        };
        if (n.source !== undefined) payload.source = n.source;
        return { id: randomUUID(), vector: Array.from(n.vector), payload };
      });
      if (points.length > 0) {
        await this.#call("store negative examples", () =>
          this.#client.upsert(this.negativesCollection, { wait: true, points }),
        );
      }
      return { identity: await this.#info(identity), negativeIds: points.map((p) => p.id) };
    });
  }

  async negatives(idOrName: string): Promise<NegativeInfo[]> {
    this.#checkOpen();
    const identity = await this.#require(idOrName);
    const rows: { info: NegativeInfo; order: number }[] = [];
    let offset: string | number | undefined;
    do {
      const page = await this.#call("list negative examples", () =>
        this.#client.scroll(this.negativesCollection, {
          filter: byField("identityId", identity.id),
          limit: PAGE,
          with_payload: true,
          with_vector: false,
          ...(offset === undefined ? {} : { offset }),
        }),
      );
      for (const point of page.points) {
        const payload = point.payload ?? {};
        const info: NegativeInfo = {
          id: String(point.id),
          identityId: identity.id,
          createdAt: asString(payload.createdAt) ?? "",
        };
        const source = asString(payload.source);
        if (source !== undefined) info.source = source;
        rows.push({ info, order: typeof payload.order === "number" ? payload.order : 0 });
      }
      offset = nextOffset(page.next_page_offset);
    } while (offset !== undefined);
    rows.sort((a, b) => a.order - b.order || (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
    return rows.map((r) => r.info);
  }

  async deleteNegative(negativeId: string): Promise<boolean> {
    this.#checkOpen();
    if (typeof negativeId !== "string" || !isUuid(negativeId)) return false;
    return this.#exclusive(async () => {
      const found = await this.#call("read a negative example", () =>
        this.#client.retrieve(this.negativesCollection, {
          ids: [negativeId],
          with_payload: false,
          with_vector: false,
        }),
      );
      if (found.length === 0) return false;
      await this.#call("delete a negative example", () =>
        this.#client.delete(this.negativesCollection, { wait: true, points: [negativeId] }),
      );
      return true;
    });
  }

  /**
   * The search, with the negative-example rule (Gallery.search): the identities of the hits are checked
   * against their negative examples (one grouped query); those taken out are excluded and the search is
   * run again until no hit's identity is taken out (each round takes out at least one more).
   */
  async search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]> {
    this.#checkOpen();
    const query = Array.from(validateVector(vector, this.dimension, "query vector"));
    const { k, minSimilarity, perIdentity } = validateSearchOptions(options);
    if (k === 0) return [];
    type Scored = { id: string | number; score: number; payload?: Record<string, unknown> | null };
    const vetoed = new Set<string>();
    const checked = new Set<string>();
    let scored: Scored[];
    for (;;) {
      const common = {
        query,
        limit: k,
        with_payload: { include: ["identityId"] },
        with_vector: false,
        ...(minSimilarity === undefined ? {} : { score_threshold: minSimilarity }),
        ...(vetoed.size === 0
          ? {}
          : { filter: { must_not: [{ key: "identityId", match: { any: [...vetoed] } }] } }),
      };
      if (perIdentity) {
        const result = await this.#call("search", () =>
          this.#client.queryGroups(this.collection, { ...common, group_by: "identityId", group_size: 1 }),
        );
        scored = result.groups.flatMap((group) => group.hits.slice(0, 1));
      } else {
        const result = await this.#call("search", () => this.#client.query(this.collection, common));
        scored = result.points;
      }
      // Each identity's best embedding: its first hit (hits are best first within the k returned).
      const bestPositive = new Map<string, number>();
      for (const point of [...scored].sort((a, b) => b.score - a.score)) {
        const id = asString(point.payload?.identityId);
        if (id !== undefined && !checked.has(id) && !bestPositive.has(id)) bestPositive.set(id, point.score);
      }
      if (bestPositive.size === 0) break;
      for (const id of bestPositive.keys()) checked.add(id);
      const negatives = await this.#call("search negative examples", () =>
        this.#client.queryGroups(this.negativesCollection, {
          query,
          limit: bestPositive.size,
          group_by: "identityId",
          group_size: 1,
          filter: { must: [{ key: "identityId", match: { any: [...bestPositive.keys()] } }] },
          with_payload: false,
          with_vector: false,
        }),
      );
      const bestNegative = new Map<string, number>();
      for (const group of negatives.groups) {
        const hit = group.hits[0];
        if (hit) bestNegative.set(String(group.id), hit.score);
      }
      const newlyVetoed = vetoedIdentities(bestNegative, (id) => bestPositive.get(id));
      if (newlyVetoed.size === 0) break;
      for (const id of newlyVetoed) vetoed.add(id);
    }
    const identityIds = [...new Set(scored.map((p) => asString(p.payload?.identityId)).filter((id) => id))];
    const identities = await this.#identitiesById(identityIds as string[]);
    const hits: SearchHit[] = [];
    for (const point of scored) {
      const identity = identities.get(asString(point.payload?.identityId) ?? "");
      if (!identity) continue; // deleted while we searched
      hits.push({
        identityId: identity.id,
        name: identity.name,
        attributes: { ...identity.attributes },
        embeddingId: String(point.id),
        similarity: Math.max(-1, Math.min(1, point.score)),
      });
    }
    return hits.sort((a, b) => b.similarity - a.similarity);
  }

  async size(): Promise<number> {
    this.#checkOpen();
    const { count } = await this.#call("count embeddings", () =>
      this.#client.count(this.collection, { exact: true }),
    );
    return count;
  }

  /** Waits for the changes in progress. The collections are kept. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#queue.then(() => {});
    return this.#closing;
  }

  /** Deletes both collections (tests, tooling). The gallery is closed. */
  async drop(): Promise<void> {
    await this.close();
    for (const name of [this.collection, this.identitiesCollection, this.negativesCollection]) {
      await this.#call("delete a collection", () => this.#client.deleteCollection(name));
    }
  }

  // ---- helpers

  async #ensureCollection(
    name: string,
    size: number,
    distance: "Cosine" | "Dot",
    keywordField: string,
  ): Promise<void> {
    const { exists } = await this.#call(`check collection ${name}`, () =>
      this.#client.collectionExists(name),
    );
    if (!exists) {
      try {
        await this.#client.createCollection(name, { vectors: { size, distance } });
      } catch (error) {
        // Created concurrently by another process: fine. Anything else is an error.
        const now = await this.#call(`check collection ${name}`, () => this.#client.collectionExists(name));
        if (!now.exists) throw qdrantError(this.url, `create collection ${name}`, error);
      }
    }
    const info = await this.#call(`read collection ${name}`, () => this.#client.getCollection(name));
    const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
    if (typeof vectors?.size !== "number") {
      throw new GalleryError(
        "INVALID",
        `Qdrant collection ${name} at ${this.url} does not have one unnamed vector`,
      );
    }
    if (vectors.size !== size || vectors.distance !== distance) {
      throw new GalleryError(
        "INVALID",
        `Qdrant collection ${name} at ${this.url} has vectors of size ${vectors.size} (${String(vectors.distance)}), expected size ${size} (${distance})`,
      );
    }
    if (!info.payload_schema[keywordField]) {
      await this.#call(`index ${name}.${keywordField}`, () =>
        this.#client.createPayloadIndex(name, {
          field_name: keywordField,
          field_schema: "keyword",
          wait: true,
        }),
      );
    }
  }

  async #putIdentity(identity: IdentityRecord): Promise<void> {
    const payload: IdentityPayload = {
      name: identity.name,
      attributes: identity.attributes,
      createdAt: identity.createdAt,
    };
    await this.#call("store an identity", () =>
      this.#client.upsert(this.identitiesCollection, {
        wait: true,
        points: [{ id: identity.id, vector: [1], payload: { ...payload } }],
      }),
    );
  }

  /** Updates the identity point (the authority), then the copies in its embeddings' payloads. */
  async #updateIdentity(
    id: string,
    change: Partial<Pick<IdentityPayload, "name" | "attributes">>,
  ): Promise<void> {
    await this.#call("update an identity", () =>
      this.#client.setPayload(this.identitiesCollection, { payload: change, points: [id], wait: true }),
    );
    await this.#call("update embeddings", () =>
      this.#client.setPayload(this.collection, {
        payload: change,
        filter: byField("identityId", id),
        wait: true,
      }),
    );
  }

  #toIdentity(point: { id: string | number; payload?: Record<string, unknown> | null }): IdentityRecord {
    const payload = point.payload ?? {};
    return {
      id: String(point.id),
      name: asString(payload.name) ?? "",
      attributes: asAttributes(payload.attributes),
      createdAt: asString(payload.createdAt) ?? "",
    };
  }

  async #identitiesById(ids: string[]): Promise<Map<string, IdentityRecord>> {
    const out = new Map<string, IdentityRecord>();
    if (ids.length === 0) return out;
    const points = await this.#call("read identities", () =>
      this.#client.retrieve(this.identitiesCollection, { ids, with_payload: true, with_vector: false }),
    );
    for (const point of points) {
      const identity = this.#toIdentity(point);
      out.set(identity.id, identity);
    }
    return out;
  }

  async #identityByName(name: string): Promise<IdentityRecord | undefined> {
    const page = await this.#call("find an identity", () =>
      this.#client.scroll(this.identitiesCollection, {
        filter: byField("name", name),
        limit: 1,
        with_payload: true,
        with_vector: false,
      }),
    );
    const [point] = page.points;
    return point ? this.#toIdentity(point) : undefined;
  }

  async #find(idOrName: string): Promise<IdentityRecord | undefined> {
    if (typeof idOrName !== "string") return undefined;
    if (isUuid(idOrName)) {
      const found = (await this.#identitiesById([idOrName.toLowerCase()])).values().next().value;
      if (found) return found;
    }
    const name = idOrName.trim();
    return name ? this.#identityByName(name) : undefined;
  }

  async #require(idOrName: string): Promise<IdentityRecord> {
    const identity = await this.#find(idOrName);
    if (!identity) throw new GalleryError("NOT_FOUND", `no identity with id or name "${idOrName}"`);
    return identity;
  }

  async #allIdentities(): Promise<IdentityRecord[]> {
    const out: IdentityRecord[] = [];
    let offset: string | number | undefined;
    do {
      const page = await this.#call("list identities", () =>
        this.#client.scroll(this.identitiesCollection, {
          limit: PAGE,
          with_payload: true,
          with_vector: false,
          ...(offset === undefined ? {} : { offset }),
        }),
      );
      for (const point of page.points) out.push(this.#toIdentity(point));
      offset = nextOffset(page.next_page_offset);
    } while (offset !== undefined);
    return out;
  }

  async #info(identity: IdentityRecord): Promise<IdentityInfo> {
    const { count } = await this.#call("count embeddings", () =>
      this.#client.count(this.collection, { filter: byField("identityId", identity.id), exact: true }),
    );
    const negatives = await this.#call("count negative examples", () =>
      this.#client.count(this.negativesCollection, {
        filter: byField("identityId", identity.id),
        exact: true,
      }),
    );
    return this.#toInfo(identity, count, negatives.count);
  }

  #toInfo(identity: IdentityRecord, embeddingCount: number, negativeCount: number): IdentityInfo {
    return {
      id: identity.id,
      name: identity.name,
      attributes: { ...identity.attributes },
      embeddingCount,
      negativeCount,
      createdAt: identity.createdAt,
    };
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw qdrantError(this.url, action, error);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new GalleryError("INVALID", `the Qdrant gallery ${this.collection} is closed`);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function nextOffset(value: unknown): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}
