import { z } from "zod";

/**
 * The FaceTracker configuration: one schema, validated at start. Keys follow the vocabulary of DeGirum's
 * FaceTracker (snake_case) where it fits. docs/configuration.md is the reference for every key.
 */

const probability = (what: string) => z.number().min(0, `${what} must be ≥ 0`).max(1, `${what} must be ≤ 1`);

export const galleryBackends = ["embedded", "qdrant"] as const;
export const providers = ["cpu", "cuda"] as const;

export const configSchema = z.strictObject({
  /** Embedded gallery directory (backend "embedded"). */
  db_path: z.string().min(1).default("./data/gallery"),
  gallery: z
    .strictObject({
      backend: z.enum(galleryBackends).default("embedded"),
    })
    .prefault({}),
  qdrant: z
    .strictObject({
      url: z.url().default("http://127.0.0.1:6333"),
      api_key: z.string().optional(),
      collection: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, "collection may hold letters, digits, '_' and '-' only")
        .default("facetracker"),
    })
    .prefault({}),
  /** Minimum cosine similarity for a face to match an identity (measured on real pairs: see docs). */
  cosine_similarity_threshold: z.number().min(-1).max(1).default(0.36),
  detection: z
    .strictObject({
      score_threshold: probability("score_threshold").default(0.7),
      nms_threshold: probability("nms_threshold").default(0.4),
      max_faces: z.int().min(1).default(200),
    })
    .prefault({}),
  face_filters: z
    .strictObject({
      enable_small_face_filter: z.boolean().default(false),
      min_face_size: z.int().min(0).default(0),
    })
    .prefault({}),
  enroll: z
    .strictObject({
      /** A new embedding this close to another identity's is refused as a duplicate (unless forced). */
      duplicate_threshold: z.number().min(-1).max(1).optional(),
      /** Store a JPEG thumbnail of each enrolled face. */
      thumbnails: z.boolean().default(true),
    })
    .prefault({}),
  runtime: z
    .strictObject({
      /** onnxruntime intra-op threads per model; 0 = onnxruntime's choice. */
      threads: z.int().min(0).max(256).default(0),
      provider: z.enum(providers).default("cpu"),
      /** onnxruntime worker threads busy-wait between operators: faster with spare cores, slower on 2. */
      spin_wait: z.boolean().default(false),
      /** Images decoded ahead of inference by recognizeBatch. */
      prefetch: z.int().min(1).max(64).default(4),
    })
    .prefault({}),
});

export type FaceTrackerConfig = z.output<typeof configSchema>;
export type FaceTrackerConfigInput = z.input<typeof configSchema>;
