/**
 * @facetracker/gallery: the face gallery (identities, their embeddings and thumbnails, cosine search),
 * embedded in a local directory (a SQLite database several processes share) or on a Qdrant server, behind
 * one contract (types.ts).
 */

import { EmbeddedGallery } from "./embedded-gallery.ts";
import { QdrantGallery } from "./qdrant-gallery.ts";
import type { Gallery } from "./types.ts";
import { GalleryError } from "./types.ts";

export type { EmbeddedGalleryOptions, GalleryMigration } from "./embedded-gallery.ts";
export { DATABASE_FILE, EmbeddedGallery, GALLERY_FORMAT } from "./embedded-gallery.ts";
export { GalleryFollower } from "./gallery-follower.ts";
export type { QdrantGalleryOptions } from "./qdrant-gallery.ts";
export { QdrantGallery } from "./qdrant-gallery.ts";
export type { MemoryPoint, QdrantMemoryVectorsOptions } from "./qdrant-memory-vectors.ts";
export { QdrantMemoryVectors } from "./qdrant-memory-vectors.ts";
export type {
  Attributes,
  EmbeddingInfo,
  Gallery,
  GalleryErrorCode,
  IdentityInfo,
  NegativeInfo,
  NewEmbedding,
  NewNegative,
  SearchHit,
} from "./types.ts";
export { GalleryError } from "./types.ts";
export { DEFAULT_SEARCH_K, MAX_NAME_LENGTH } from "./validation.ts";
export type { IndexHit, IndexSearchOptions } from "./vector-index.ts";
export { normalized, VectorIndex } from "./vector-index.ts";

export type GalleryConfig =
  | { backend: "embedded"; path: string; dimension?: number }
  | { backend: "qdrant"; url: string; apiKey?: string; collection?: string; dimension?: number };

/** Opens the gallery described by `config` (embedded directory or Qdrant server). */
export async function openGallery(config: GalleryConfig): Promise<Gallery> {
  switch (config?.backend) {
    case "embedded":
      return EmbeddedGallery.open(
        config.path,
        config.dimension === undefined ? {} : { dimension: config.dimension },
      );
    case "qdrant":
      return QdrantGallery.open({
        url: config.url,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.collection === undefined ? {} : { collection: config.collection }),
        ...(config.dimension === undefined ? {} : { dimension: config.dimension }),
      });
    default:
      throw new GalleryError(
        "INVALID",
        `unknown gallery backend ${JSON.stringify((config as { backend?: unknown } | undefined)?.backend)} (expected "embedded" or "qdrant")`,
      );
  }
}
