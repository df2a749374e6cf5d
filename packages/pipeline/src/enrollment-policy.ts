/**
 * The enrollment policy, for every path that adds faces to the gallery (photos, video tracks, a face the
 * pipeline saw): the name must not be empty, a face that already belongs to another identity (at or above
 * `enroll.duplicate_threshold`, default the recognition threshold) is refused unless forced, and a picture
 * already enrolled for this person (in the gallery or earlier in the same batch) is refused as a repeat.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { Attributes, Gallery, NewEmbedding } from "@facetracker/gallery";
import { cosine } from "@facetracker/vision";

/** Two embeddings of one identity closer than this are the same picture enrolled twice. */
export const SAME_PICTURE_SIMILARITY = 0.97;

/** What the policy says of one face to enroll. */
export type EnrollmentDecision =
  | { status: "accepted" }
  | { status: "conflict"; otherIdentity: string; similarity: number; reason: string }
  | { status: "duplicate"; similarity: number; reason: string };

/** The identity name to enroll, trimmed; throws "enroll: the identity name is empty" for a blank one. */
export function enrollmentName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new Error("enroll: the identity name is empty");
  return trimmed;
}

/** Similarity to another identity at or above which a face conflicts with it. */
export function conflictSimilarity(config: FaceTrackerConfig): number {
  return config.enroll.duplicate_threshold ?? config.cosine_similarity_threshold;
}

/**
 * One decision per embedding (in order) for enrolling them as `name` (already trimmed): "conflict" for a
 * face of another identity (unless `force`), "duplicate" for a picture already enrolled for `name` or
 * accepted earlier in the batch, else "accepted". Reads the gallery only.
 */
export async function reviewEnrollment(
  gallery: Gallery,
  config: FaceTrackerConfig,
  name: string,
  vectors: readonly Float32Array[],
  options: { force?: boolean } = {},
): Promise<EnrollmentDecision[]> {
  const conflictAt = conflictSimilarity(config);
  const accepted: Float32Array[] = [];
  const decisions: EnrollmentDecision[] = [];
  for (const vector of vectors) {
    const hits = await gallery.search(vector, {
      k: 5,
      minSimilarity: Math.min(conflictAt, SAME_PICTURE_SIMILARITY),
    });
    const other = hits.find((h) => h.name !== name && h.similarity >= conflictAt);
    if (other && !options.force) {
      decisions.push({
        status: "conflict",
        otherIdentity: other.name,
        similarity: other.similarity,
        reason: `the face matches identity '${other.name}' (similarity ${other.similarity.toFixed(3)}); --force (option force) enrolls it anyway`,
      });
      continue;
    }
    const repeat =
      hits.find((h) => h.name === name && h.similarity >= SAME_PICTURE_SIMILARITY)?.similarity ??
      accepted.map((v) => cosine(v, vector)).find((s) => s >= SAME_PICTURE_SIMILARITY);
    if (repeat !== undefined) {
      decisions.push({
        status: "duplicate",
        similarity: repeat,
        reason: `already enrolled for '${name}' (similarity ${repeat.toFixed(3)})`,
      });
      continue;
    }
    accepted.push(vector);
    decisions.push({ status: "accepted" });
  }
  return decisions;
}

/** What enrollAccepted stored. */
export interface EnrolledFaces {
  identityId: string;
  name: string;
  /** The identity was created by this enrollment (false: faces added to an existing one). */
  created: boolean;
  /** One per embedding given, in order. */
  embeddingIds: string[];
}

/** Stores the accepted embeddings under `name` (created when new) with `attributes`. */
export async function enrollAccepted(
  gallery: Gallery,
  name: string,
  embeddings: NewEmbedding[],
  attributes?: Attributes,
): Promise<EnrolledFaces> {
  const existing = await gallery.get(name);
  const { identity, embeddingIds } = await gallery.enroll(name, embeddings, attributes);
  return { identityId: identity.id, name: identity.name, created: !existing, embeddingIds };
}
