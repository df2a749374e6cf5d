/**
 * Face gallery contract shared by the embedded store and Qdrant.
 *
 * Invalid input (names, vectors, attributes, options) is rejected with GalleryError('INVALID') before
 * anything is written; storage failures are GalleryError('IO') naming the path or server and the reason.
 */

/** Free-form identity attributes (string values, e.g. { department: "ops" }). */
export type Attributes = Record<string, string>;

export interface IdentityInfo {
  /** Stable id (UUID) of the identity. */
  id: string;
  /**
   * Unique display name (case-sensitive): trimmed, 1 to 200 characters, no control characters, and not
   * itself a UUID (so that an id or name argument is never ambiguous).
   */
  name: string;
  attributes: Attributes;
  /** Number of embeddings stored for this identity. */
  embeddingCount: number;
  /** Number of negative examples stored for this identity (faces that are not this person; see search). */
  negativeCount: number;
  /** ISO time of creation. */
  createdAt: string;
}

export interface EmbeddingInfo {
  /** Stable id (UUID) of the embedding. */
  id: string;
  identityId: string;
  /** Where it came from, e.g. a file name (optional, informative). */
  source?: string;
  /** True when a face thumbnail (JPEG) is stored with this embedding. */
  hasThumbnail: boolean;
  createdAt: string;
}

/** A negative example of an identity: a face that is not this person (a corrected mistake). */
export interface NegativeInfo {
  /** Stable id (UUID) of the negative example. */
  id: string;
  identityId: string;
  /** Where it came from, e.g. "correction #3" (optional, informative). */
  source?: string;
  createdAt: string;
}

/** A negative example to store: the face's embedding (gallery dimension, finite), where it came from. */
export interface NewNegative {
  vector: Float32Array;
  source?: string;
}

export interface NewEmbedding {
  /** L2-normalised vector of the gallery's dimension (finite values; it is normalised again on storage). */
  vector: Float32Array;
  source?: string;
  /** Optional JPEG thumbnail of the face (must start with the JPEG marker FF D8 FF). */
  thumbnail?: Uint8Array;
}

export interface SearchHit {
  identityId: string;
  name: string;
  attributes: Attributes;
  embeddingId: string;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

export interface Gallery {
  /** Vector dimension (512 for the default embedder). */
  readonly dimension: number;
  /**
   * Adds embeddings to the identity called `name`, creating it (with `attributes`) when it does not exist.
   * Attributes given for an existing identity are merged in. Returns the identity and the new embedding ids
   * (in the order given). All embeddings are validated first; nothing is stored when one is invalid.
   */
  enroll(
    name: string,
    embeddings: NewEmbedding[],
    attributes?: Attributes,
  ): Promise<{ identity: IdentityInfo; embeddingIds: string[] }>;
  /** Every identity, sorted by name (code-unit order). */
  list(): Promise<IdentityInfo[]>;
  /** By id or by name; undefined when absent. */
  get(idOrName: string): Promise<IdentityInfo | undefined>;
  /** The identity's embeddings in enrollment order; throws GalleryError('NOT_FOUND') for an unknown identity. */
  embeddings(idOrName: string): Promise<EmbeddingInfo[]>;
  /** The stored JPEG; undefined when the embedding is unknown or has no thumbnail. */
  thumbnail(embeddingId: string): Promise<Uint8Array | undefined>;
  /** Renames an identity; throws GalleryError('NOT_FOUND' | 'NAME_TAKEN'). */
  rename(idOrName: string, newName: string): Promise<IdentityInfo>;
  /**
   * Merges attributes into an identity's: the given keys are set (replacing their values), the other keys
   * are kept. Throws GalleryError('NOT_FOUND').
   */
  setAttributes(idOrName: string, attributes: Attributes): Promise<IdentityInfo>;
  /** Deletes an identity and all its embeddings and negative examples; returns false when absent. */
  deleteIdentity(idOrName: string): Promise<boolean>;
  /** Deletes one embedding; an identity left with none is kept (it can be enrolled again). Returns false when absent. */
  deleteEmbedding(embeddingId: string): Promise<boolean>;
  /**
   * Adds negative examples to an identity: faces that are not this person. They are never search hits;
   * they take the identity out of the hits of a query closer to them than to its embeddings (see search).
   * Returns the identity and the new negative ids (in the order given). Throws GalleryError('NOT_FOUND')
   * for an unknown identity, GalleryError('INVALID') (nothing stored) for an invalid vector.
   */
  addNegatives(
    idOrName: string,
    negatives: NewNegative[],
  ): Promise<{ identity: IdentityInfo; negativeIds: string[] }>;
  /** The identity's negative examples in the order added; GalleryError('NOT_FOUND') for an unknown identity. */
  negatives(idOrName: string): Promise<NegativeInfo[]>;
  /** Deletes one negative example; returns false when absent. */
  deleteNegative(negativeId: string): Promise<boolean>;
  /**
   * The top-k embeddings by cosine similarity (best first), at most one hit per identity unless
   * `perIdentity` is false. `minSimilarity` filters out weaker hits. Defaults: k = 5, perIdentity = true,
   * no minimum. The query must have the gallery's dimension; it need not be normalised.
   *
   * Negative examples: an identity whose best similarity to the query among its negative examples is
   * higher than its best similarity among its embeddings gives no hit (the next identities fill the k).
   */
  search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]>;
  /** Total number of embeddings. */
  size(): Promise<number>;
  /** Waits for the changes in progress and releases the gallery; idempotent. Other calls then reject. */
  close(): Promise<void>;
}

export type GalleryErrorCode =
  | "NOT_FOUND"
  | "NAME_TAKEN"
  | "INVALID"
  | "CORRUPT"
  | "IO"
  | "LOCKED"
  | "READ_ONLY";

export class GalleryError extends Error {
  readonly code: GalleryErrorCode;
  constructor(code: GalleryErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GalleryError";
    this.code = code;
  }
}
