/**
 * The embedded gallery's in-memory copy of its database: identities (by id and by name), embedding metadata
 * in enrollment order, and the exact vector index searched. Changes are applied one by one (this process's
 * after they commit, other processes' as read from the database), or the whole state is replaced by all
 * the rows (replace), which reuses the vectors already indexed and asks only for the others.
 */

import type { Attributes, EmbeddingInfo, IdentityInfo, NegativeInfo } from "./types.ts";
import { VectorIndex } from "./vector-index.ts";

export interface IdentityRow {
  id: string;
  name: string;
  attributes: Attributes;
  createdAt: string;
}

export interface EmbeddingRow {
  /** Enrollment order (the database's `seq`). */
  seq: number;
  id: string;
  identityId: string;
  source?: string;
  hasThumbnail: boolean;
  createdAt: string;
}

/** A negative example (a face that is not the identity): the database's `negatives` row, vector aside. */
export interface NegativeRow {
  seq: number;
  id: string;
  identityId: string;
  source?: string;
  createdAt: string;
}

export interface IdentityEntry extends IdentityRow {
  /** In enrollment order. */
  embeddingIds: Set<string>;
  /** Negative examples, in the order added. */
  negativeIds: Set<string>;
}

export class GalleryState {
  readonly index: VectorIndex;
  /** The negative examples (group: the identity), never search hits themselves. */
  readonly negativeIndex: VectorIndex;
  #identities = new Map<string, IdentityEntry>();
  #byName = new Map<string, string>();
  #embeddings = new Map<string, EmbeddingRow>();
  #negatives = new Map<string, NegativeRow>();

  constructor(dimension: number) {
    this.index = new VectorIndex(dimension);
    this.negativeIndex = new VectorIndex(dimension, 8);
  }

  negative(id: unknown): NegativeRow | undefined {
    return typeof id === "string" ? this.#negatives.get(id) : undefined;
  }

  negativeInfos(entry: IdentityEntry): NegativeInfo[] {
    return [...entry.negativeIds].map((id) => {
      const row = this.#negatives.get(id) as NegativeRow;
      const info: NegativeInfo = { id: row.id, identityId: row.identityId, createdAt: row.createdAt };
      if (row.source !== undefined) info.source = row.source;
      return info;
    });
  }

  /** Adds a negative example of a known identity (the newest). */
  addNegative(row: NegativeRow, vector: Float32Array): void {
    const entry = this.#identities.get(row.identityId);
    if (!entry) throw new Error(`negative ${row.id} belongs to unknown identity ${row.identityId}`);
    this.negativeIndex.add(row.id, row.identityId, vector);
    this.#negatives.set(row.id, row);
    entry.negativeIds.add(row.id);
  }

  deleteNegative(id: string): void {
    const row = this.#negatives.get(id);
    if (!row) return;
    this.negativeIndex.remove(id);
    this.#negatives.delete(id);
    this.#identities.get(row.identityId)?.negativeIds.delete(id);
  }

  /**
   * Replaces every negative example (after replace(): their identities must be known). `vectors` must
   * hold the vector of each one not indexed yet.
   */
  replaceNegatives(rows: NegativeRow[], vectors: Map<string, Float32Array>): void {
    for (const row of rows) {
      if (!this.#identities.has(row.identityId)) {
        throw new Error(`negative ${row.id} belongs to unknown identity ${row.identityId}`);
      }
      if (!this.negativeIndex.has(row.id) && !vectors.has(row.id)) {
        throw new Error(`the vector of negative ${row.id} is missing`);
      }
    }
    const kept = new Set(rows.map((r) => r.id));
    for (const id of [...this.negativeIndex.ids()]) if (!kept.has(id)) this.negativeIndex.remove(id);
    for (const entry of this.#identities.values()) entry.negativeIds.clear();
    this.#negatives = new Map();
    for (const row of rows) {
      if (!this.negativeIndex.has(row.id)) {
        this.negativeIndex.add(row.id, row.identityId, vectors.get(row.id) as Float32Array);
      }
      this.#negatives.set(row.id, row);
      (this.#identities.get(row.identityId) as IdentityEntry).negativeIds.add(row.id);
    }
  }

  get embeddingCount(): number {
    return this.#embeddings.size;
  }

  identity(id: string): IdentityEntry | undefined {
    return this.#identities.get(id);
  }

  identityByName(name: string): IdentityEntry | undefined {
    const id = this.#byName.get(name);
    return id === undefined ? undefined : this.#identities.get(id);
  }

  /** By id, or else by (trimmed) name. */
  find(idOrName: unknown): IdentityEntry | undefined {
    if (typeof idOrName !== "string") return undefined;
    return this.#identities.get(idOrName) ?? this.identityByName(idOrName.trim());
  }

  embedding(id: unknown): EmbeddingRow | undefined {
    return typeof id === "string" ? this.#embeddings.get(id) : undefined;
  }

  identities(): IterableIterator<IdentityEntry> {
    return this.#identities.values();
  }

  info(entry: IdentityEntry): IdentityInfo {
    return {
      id: entry.id,
      name: entry.name,
      attributes: { ...entry.attributes },
      embeddingCount: entry.embeddingIds.size,
      negativeCount: entry.negativeIds.size,
      createdAt: entry.createdAt,
    };
  }

  embeddingInfos(entry: IdentityEntry): EmbeddingInfo[] {
    return [...entry.embeddingIds].map((id) => {
      const row = this.#embeddings.get(id) as EmbeddingRow;
      const info: EmbeddingInfo = {
        id: row.id,
        identityId: row.identityId,
        hasThumbnail: row.hasThumbnail,
        createdAt: row.createdAt,
      };
      if (row.source !== undefined) info.source = row.source;
      return info;
    });
  }

  /** Adds the identity, or updates its name and attributes. */
  putIdentity(row: IdentityRow): IdentityEntry {
    let entry = this.#identities.get(row.id);
    if (!entry) {
      entry = { ...row, attributes: { ...row.attributes }, embeddingIds: new Set(), negativeIds: new Set() };
      this.#identities.set(entry.id, entry);
    } else {
      // The old name may already be another identity's (changes of other processes arrive in any order).
      if (this.#byName.get(entry.name) === entry.id) this.#byName.delete(entry.name);
      entry.name = row.name;
      entry.attributes = { ...row.attributes };
    }
    this.#byName.set(entry.name, entry.id);
    return entry;
  }

  /** Adds an embedding of a known identity (the newest: it goes last in enrollment order). */
  addEmbedding(row: EmbeddingRow, vector: Float32Array): void {
    const entry = this.#identities.get(row.identityId);
    if (!entry) throw new Error(`embedding ${row.id} belongs to unknown identity ${row.identityId}`);
    this.index.add(row.id, row.identityId, vector);
    this.#embeddings.set(row.id, row);
    entry.embeddingIds.add(row.id);
  }

  deleteIdentity(id: string): void {
    const entry = this.#identities.get(id);
    if (!entry) return;
    for (const embeddingId of entry.embeddingIds) {
      this.index.remove(embeddingId);
      this.#embeddings.delete(embeddingId);
    }
    for (const negativeId of entry.negativeIds) {
      this.negativeIndex.remove(negativeId);
      this.#negatives.delete(negativeId);
    }
    this.#identities.delete(id);
    if (this.#byName.get(entry.name) === id) this.#byName.delete(entry.name);
  }

  deleteEmbedding(id: string): void {
    const row = this.#embeddings.get(id);
    if (!row) return;
    this.index.remove(id);
    this.#embeddings.delete(id);
    this.#identities.get(row.identityId)?.embeddingIds.delete(id);
  }

  /**
   * Replaces the whole state with these rows (embeddings in enrollment order). `vectors` must hold the
   * vector of every embedding not indexed yet (the others are kept). Throws an Error (changing nothing)
   * when the rows make no sense.
   */
  replace(identities: IdentityRow[], embeddings: EmbeddingRow[], vectors: Map<string, Float32Array>): void {
    const nextIdentities = new Map<string, IdentityEntry>();
    const nextByName = new Map<string, string>();
    for (const row of identities) {
      if (nextByName.has(row.name)) throw new Error(`name "${row.name}" is used twice`);
      nextIdentities.set(row.id, { ...row, embeddingIds: new Set(), negativeIds: new Set() });
      nextByName.set(row.name, row.id);
    }
    const nextEmbeddings = new Map<string, EmbeddingRow>();
    const wanted = new Set<string>();
    for (const row of embeddings) {
      const entry = nextIdentities.get(row.identityId);
      if (!entry) throw new Error(`embedding ${row.id} belongs to unknown identity ${row.identityId}`);
      const known = this.index.groupOf(row.id);
      if (known !== undefined && known !== row.identityId) {
        throw new Error(`embedding ${row.id} moved from identity ${known} to ${row.identityId}`);
      }
      entry.embeddingIds.add(row.id);
      nextEmbeddings.set(row.id, row);
      if (known === undefined) wanted.add(row.id);
    }
    for (const id of wanted) {
      if (!vectors.has(id)) throw new Error(`the vector of embedding ${id} is missing`);
    }
    // Nothing can fail from here on.
    for (const id of [...this.index.ids()]) {
      if (!nextEmbeddings.has(id)) this.index.remove(id);
    }
    // Room to grow by a quarter before the index has to copy itself into a larger matrix.
    this.index.reserve(Math.ceil(nextEmbeddings.size * 1.25));
    for (const id of wanted) {
      this.index.add(
        id,
        (nextEmbeddings.get(id) as EmbeddingRow).identityId,
        vectors.get(id) as Float32Array,
      );
    }
    this.#identities = nextIdentities;
    this.#byName = nextByName;
    this.#embeddings = nextEmbeddings;
  }
}
