import type { FaceTrackerConfig } from "@facetracker/config";
import { FaceMemory } from "@facetracker/face-memory";
import { QdrantMemoryVectors } from "@facetracker/gallery";
// The dimension alone: the alert process opens the memory without loading the models' runtime.
import { EMBEDDING_DIM } from "@facetracker/vision/embedding-dim";

/**
 * The face memory of the configuration: `<db_path>/memory.sqlite` (beside the embedded gallery; its
 * folder is created unless read-only), for embeddings of the models' dimension, with the `memory` section's
 * retention and embeddings per track. With `gallery.backend: qdrant` its embeddings also go to the Qdrant
 * collection `<qdrant.collection>_memory`, which its searchAsync asks (see docs/memory.md).
 */
export function openConfiguredMemory(
  config: FaceTrackerConfig,
  options: { readOnly?: boolean } = {},
): FaceMemory {
  return FaceMemory.open(config.db_path, {
    dimension: EMBEDDING_DIM,
    retentionDays: config.memory.retention_days,
    maxTracks: config.memory.max_tracks,
    embeddingsPerTrack: config.memory.embeddings_per_track,
    visitorThreshold: config.memory.visitor_threshold,
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(config.gallery.backend === "qdrant"
      ? {
          vectorStore: new QdrantMemoryVectors({
            url: config.qdrant.url,
            ...(config.qdrant.api_key ? { apiKey: config.qdrant.api_key } : {}),
            collection: `${config.qdrant.collection}_memory`,
            dimension: EMBEDDING_DIM,
          }),
        }
      : {}),
  });
}
