import type { FaceTrackerConfig } from "@facetracker/config";
import { type Gallery, openGallery } from "@facetracker/gallery";
import { EMBEDDING_DIM } from "@facetracker/vision";

/**
 * The gallery the configuration names: Qdrant (`gallery.backend: qdrant`, `qdrant.*`) or the embedded
 * store in `db_path`, for embeddings of the models' dimension.
 */
export async function openConfiguredGallery(cfg: FaceTrackerConfig): Promise<Gallery> {
  return cfg.gallery.backend === "qdrant"
    ? openGallery({
        backend: "qdrant",
        url: cfg.qdrant.url,
        apiKey: cfg.qdrant.api_key,
        collection: cfg.qdrant.collection,
        dimension: EMBEDDING_DIM,
      })
    : openGallery({ backend: "embedded", path: cfg.db_path, dimension: EMBEDDING_DIM });
}
