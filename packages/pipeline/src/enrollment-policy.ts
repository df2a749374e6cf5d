/**
 * The enrollment policy, for every path that adds faces to the gallery (photos, video tracks, a face the
 * pipeline saw). The name must not be empty; then each face, in this order:
 *
 * 1. **quality**: a face below the quality gate (`face_quality`, vision's assessFaceQuality: too small,
 *    blurred, profile, not a face …; a tilted head is not refused, the alignment undoes it) is refused
 *    with the reasons, unless forced;
 * 2. **conflict**: a face that already belongs to another identity (at or above
 *    `enroll.duplicate_threshold`, default the recognition threshold) is refused unless forced;
 * 3. **repeat**: a picture already enrolled for this person (in the gallery or earlier in the same batch) is
 *    refused as a duplicate (forcing does not change that: it would add nothing);
 * 4. **agreement**: the faces enrolled under one name must look like one person. Two faces agree when their
 *    similarity is at or above `cosine_similarity_threshold` (the bar recognition uses to say "same
 *    person"), and faces of one group (the embeddings of one video track) agree by construction. The
 *    faces that agree, directly or through one another, form groups; the group kept is the one that agrees
 *    with the identity's stored faces (every group that does, when the identity has faces), else, for a new
 *    identity, the largest group (on a tie, the one holding the earliest face: the first photo given says
 *    who the person is). A face outside it matches none of the faces kept, and is refused as a "mismatch"
 *    naming the closest of them and the similarity, unless forced.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { Attributes, Gallery, NewEmbedding, SearchHit } from "@facetracker/gallery";
import {
  assessFaceQuality,
  cosine,
  type FaceQuality,
  type FaceQualityInput,
  type FaceQualityReason,
} from "@facetracker/vision";

/** Two embeddings of one identity closer than this are the same picture enrolled twice. */
export const SAME_PICTURE_SIMILARITY = 0.97;

/** One face offered for enrollment. */
export interface EnrollmentCandidate {
  vector: Float32Array;
  /** How the face is named in refusals: a photo's path, "image #2", "track 3". */
  label: string;
  /** Faces with the same group are known to be one person (the embeddings of one video track). */
  group?: string | number;
  /** The face's quality (enrollmentQuality), when it could be measured; absent: not checked. */
  quality?: FaceQuality;
}

/** What the policy says of one face to enroll. */
export type EnrollmentDecision =
  | { status: "accepted" }
  | { status: "poor_quality"; problems: string[]; reason: string }
  | { status: "conflict"; otherIdentity: string; similarity: number; reason: string }
  | { status: "duplicate"; similarity: number; reason: string }
  | {
      status: "mismatch";
      /** The face kept for the name that this one is most like: a photo of the batch or a stored face. */
      closest: string;
      similarity: number;
      reason: string;
    };

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
 * Quality reasons that do not refuse an enrollment photo: a tilted head (roll) is undone by the alignment
 * before embedding, and landmark steadiness is a property of a track, not of a still face.
 */
const NOT_ENROLLMENT_REASONS: ReadonlySet<FaceQualityReason> = new Set(["tilted", "unsteady landmarks"]);

/**
 * The quality verdict enrollment applies to a face: the `face_quality` gate of the configuration (too
 * small, blurred, profile, not a face …), less what does not apply to a still photo (NOT_ENROLLMENT_REASONS).
 */
export function enrollmentQuality(config: FaceTrackerConfig, face: FaceQualityInput): FaceQuality {
  const verdict = assessFaceQuality({ ...face, previous: undefined }, config.face_quality);
  const reasons = verdict.reasons.filter((r) => !NOT_ENROLLMENT_REASONS.has(r));
  return { ...verdict, reasons, good: verdict.good || reasons.length === 0 };
}

const FORCE_HINT = "--force (option force) enrolls it anyway";

/**
 * One decision per candidate (in order) for enrolling them as `name` (already trimmed); see the module
 * comment for the rules. With `force`, only repeats are refused. Reads the gallery only.
 */
export async function reviewEnrollment(
  gallery: Gallery,
  config: FaceTrackerConfig,
  name: string,
  candidates: readonly EnrollmentCandidate[],
  options: { force?: boolean } = {},
): Promise<EnrollmentDecision[]> {
  const conflictAt = conflictSimilarity(config);
  const agreeAt = config.cosine_similarity_threshold;
  const decisions: EnrollmentDecision[] = [];
  /** Candidates past quality, conflict and repeat, with their best hit among the name's stored faces. */
  const kept: { index: number; candidate: EnrollmentCandidate; stored?: SearchHit }[] = [];
  for (const [index, candidate] of candidates.entries()) {
    const { vector, quality } = candidate;
    if (quality && !quality.good && !options.force) {
      const problems = [...quality.reasons];
      decisions.push({
        status: "poor_quality",
        problems,
        reason: `the face is not good enough to enroll: ${problems.join(", ")}; ${FORCE_HINT}`,
      });
      continue;
    }
    const hits = await gallery.search(vector, {
      k: 5,
      minSimilarity: Math.min(conflictAt, agreeAt, SAME_PICTURE_SIMILARITY),
    });
    const other = hits.find((h) => h.name !== name && h.similarity >= conflictAt);
    if (other && !options.force) {
      decisions.push({
        status: "conflict",
        otherIdentity: other.name,
        similarity: other.similarity,
        reason: `the face matches identity '${other.name}' (similarity ${other.similarity.toFixed(3)}); ${FORCE_HINT}`,
      });
      continue;
    }
    const stored = hits.find((h) => h.name === name);
    const repeat =
      (stored && stored.similarity >= SAME_PICTURE_SIMILARITY ? stored.similarity : undefined) ??
      kept.map((k) => cosine(k.candidate.vector, vector)).find((s) => s >= SAME_PICTURE_SIMILARITY);
    if (repeat !== undefined) {
      decisions.push({
        status: "duplicate",
        similarity: repeat,
        reason: `already enrolled for '${name}' (similarity ${repeat.toFixed(3)})`,
      });
      continue;
    }
    kept.push({ index, candidate, stored });
    decisions.push({ status: "accepted" });
  }
  if (options.force || kept.length === 0) return decisions;

  const identity = await gallery.get(name);
  const hasStoredFaces = (identity?.embeddingCount ?? 0) > 0;
  if (hasStoredFaces)
    for (const k of kept) k.stored ??= await bestStoredHit(gallery, name, k.candidate.vector);
  const at = (k: number) => kept[k] as (typeof kept)[number];
  const groups = agreeingGroups(kept.length, (a, b) => {
    const [ca, cb] = [at(a).candidate, at(b).candidate];
    if (ca.group !== undefined && ca.group === cb.group) return true;
    return cosine(ca.vector, cb.vector) >= agreeAt;
  });
  const agreesWithStored = (k: number) => (at(k).stored?.similarity ?? -1) >= agreeAt;
  const keep = new Set<number>(
    hasStoredFaces
      ? groups.filter((g) => g.some(agreesWithStored)).flat()
      : // Groups come ordered by their earliest member: the first of the largest wins a tie.
        groups.reduce((best, g) => (g.length > best.length ? g : best)),
  );

  let storedSources: Map<string, string | undefined> | undefined;
  const storedLabel = async (hit: SearchHit) => {
    storedSources ??= new Map((await gallery.embeddings(name)).map((e) => [e.id, e.source]));
    const source = storedSources.get(hit.embeddingId);
    return `${source ?? `embedding ${hit.embeddingId}`} (already enrolled)`;
  };
  for (const [k, { index, candidate, stored }] of kept.entries()) {
    if (keep.has(k)) continue;
    let closest = "none";
    let similarity = -1;
    for (const j of keep) {
      const other = at(j).candidate;
      const s = cosine(candidate.vector, other.vector);
      if (s > similarity) [similarity, closest] = [s, other.label];
    }
    if (stored && stored.similarity > similarity)
      [similarity, closest] = [stored.similarity, await storedLabel(stored)];
    decisions[index] = {
      status: "mismatch",
      closest,
      similarity,
      reason: `the face does not look like the other faces of '${name}': closest ${closest}, similarity ${similarity.toFixed(3)} (below the threshold ${agreeAt}); ${FORCE_HINT}`,
    };
  }
  return decisions;
}

/**
 * The groups of items that agree (agree(a, b) for a pair), directly or through one another: the connected
 * components of the agreement graph, each in item order, ordered by their first item.
 */
export function agreeingGroups(count: number, agree: (a: number, b: number) => boolean): number[][] {
  const parent = Array.from({ length: count }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  for (let a = 0; a < count; a++)
    for (let b = a + 1; b < count; b++) {
      const [ra, rb] = [root(a), root(b)];
      if (ra !== rb && agree(a, b)) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const r = root(i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
  }
  return [...groups.values()].sort((x, y) => (x[0] as number) - (y[0] as number));
}

/** The best hit of `vector` among the stored faces of `name`, however many identities rank above it. */
async function bestStoredHit(
  gallery: Gallery,
  name: string,
  vector: Float32Array,
): Promise<SearchHit | undefined> {
  const identities = (await gallery.list()).length;
  const hits = await gallery.search(vector, { k: Math.max(1, identities), perIdentity: true });
  return hits.find((h) => h.name === name);
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
