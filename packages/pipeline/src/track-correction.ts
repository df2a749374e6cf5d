/**
 * Corrections of a remembered track's identity (docs/memory.md, Corrections), for `facetracker correct`
 * and the gRPC calls CorrectTrack, UndoCorrection:
 *
 * - `not` (the track is not the person it was named): its kept embeddings become negative examples of
 *   that identity in the gallery (a later face closer to them than to the identity's embeddings is not
 *   given the name: Gallery.search), and its record becomes unknown, with that identity as the closest.
 * - `is NAME`: its kept embeddings (the best first) are enrolled as NAME with the enrollment policy of
 *   photos, videos and visitors (reviewEnrollment, enrollAccepted: a face of another identity is refused
 *   unless forced, repeats are left out), and its record is named NAME. A track named someone else gets
 *   their negative examples first, as for `not` (the face is not them: it does not conflict with them).
 *
 * The gallery and the memory are two stores: the gallery part is done first, then the memory's (one
 * transaction); when the memory's fails, what the gallery got is removed again, and the error says so
 * (and names what could not be removed). An undo removes the gallery items first (each removal is
 * idempotent), then restores the record: when the memory's part fails, running the undo again finishes it.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import {
  type Correction,
  CorrectionError,
  type FaceMemory,
  type ListedTrack,
} from "@facetracker/face-memory";
import type { Gallery } from "@facetracker/gallery";
import { enrollAccepted, enrollmentName, reviewEnrollment } from "./enrollment-policy.ts";

export { type Correction, CorrectionError } from "@facetracker/face-memory";

/** What a correction did. */
export interface CorrectionOutcome {
  correction: Correction;
  /** `is`: faces enrolled (0 when all were enrolled already). */
  enrolled: number;
  /** `is`: faces left out, and why (repeats, faces unlike the name's). */
  leftOut: { face: string; status: string; reason: string }[];
}

export type CorrectionRequest =
  | { track: number; kind: "not" }
  | { track: number; kind: "is"; name: string; force?: boolean };

const label = (t: ListedTrack) =>
  `${t.source.kind} ${t.source.kind === "clip" ? `clip:${t.source.name}` : t.source.name} #${t.trackId}`;

/** Runs the gallery cleanups, collecting what failed. */
async function cleanUp(steps: (() => Promise<unknown>)[]): Promise<string[]> {
  const failed: string[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failed.push((error as Error).message);
    }
  }
  return failed;
}

/** Corrects a track (see the module comment). Throws CorrectionError, GalleryError, MemoryError. */
export async function correctTrack(
  gallery: Gallery,
  config: FaceTrackerConfig,
  memory: FaceMemory,
  request: CorrectionRequest,
): Promise<CorrectionOutcome> {
  const track = memory.track(request.track);
  if (!track) throw new CorrectionError("NOT_FOUND", `no remembered track with ID ${request.track}`);
  const name = request.kind === "is" ? enrollmentName(request.name) : undefined;
  if (request.kind === "not" && !track.identity) {
    throw new CorrectionError(
      "FAILED_PRECONDITION",
      `track ${track.id} (${label(track)}) is not named (${track.undetermined ? "undetermined" : "unknown"}): "not" corrects a name`,
    );
  }
  if (name !== undefined && track.identity?.name === name) {
    throw new CorrectionError(
      "FAILED_PRECONDITION",
      `track ${track.id} (${label(track)}) is ${name} already`,
    );
  }
  // The track's faces, the best first.
  const faces = memory.embeddingsOf(track.id).sort((a, b) => b.quality - a.quality);
  if (name !== undefined && faces.length === 0) {
    throw new CorrectionError(
      "FAILED_PRECONDITION",
      `track ${track.id} (${label(track)}) keeps no face embedding: there is nothing to enroll as ${name}`,
    );
  }
  const added: { negatives: string[]; embeddings: string[]; identityCreated?: string } = {
    negatives: [],
    embeddings: [],
  };
  const undoGallery = () =>
    cleanUp([
      ...added.embeddings.map((id) => () => gallery.deleteEmbedding(id)),
      ...(added.identityCreated ? [() => deleteIfEmpty(gallery, added.identityCreated as string)] : []),
      ...added.negatives.map((id) => () => gallery.deleteNegative(id)),
    ]);

  // The wrong identity, as the gallery has it now (it may have been deleted since).
  const wrong = track.identity ? await gallery.get(track.identity.id || track.identity.name) : undefined;
  let enrolled = 0;
  let leftOut: CorrectionOutcome["leftOut"] = [];
  let after: { id: string; name: string } | undefined;
  try {
    if (wrong && faces.length > 0) {
      const { negativeIds } = await gallery.addNegatives(
        wrong.id,
        faces.map((f) => ({ vector: f.vector, source: `not ${wrong.name}: ${label(track)}` })),
      );
      added.negatives.push(...negativeIds);
    }
    if (name !== undefined) {
      const candidates = faces.map((f, i) => ({
        vector: f.vector,
        label: `${label(track)} face ${i + 1}`,
        group: track.id,
      }));
      const decisions = await reviewEnrollment(gallery, config, name, candidates, {
        force: request.kind === "is" && request.force === true,
      });
      decisions.forEach((d, i) => {
        if (d.status === "conflict")
          throw new CorrectionError(
            "CONFLICT",
            `track ${track.id}: the face of ${candidates[i]?.label} matches identity '${d.otherIdentity}' (similarity ${d.similarity.toFixed(3)}); force to enroll it anyway`,
          );
      });
      leftOut = decisions.flatMap((d, i) =>
        d.status === "accepted" || !("reason" in d)
          ? []
          : [{ face: candidates[i]?.label as string, status: d.status, reason: d.reason }],
      );
      const accepted = faces.filter((_, i) => decisions[i]?.status === "accepted");
      if (accepted.length === 0 && !decisions.every((d) => d.status === "duplicate")) {
        throw new CorrectionError(
          "FAILED_PRECONDITION",
          `track ${track.id}: nothing enrolled as ${name} (${leftOut.map((o) => `${o.face}: ${o.reason}`).join("; ")})`,
        );
      }
      if (accepted.length > 0) {
        const jpeg = track.thumbnail;
        const thumbnail = config.enroll.thumbnails && jpeg !== null && jpeg[0] === 0xff && jpeg[1] === 0xd8;
        const stored = await enrollAccepted(
          gallery,
          name,
          accepted.map((f, i) => ({
            vector: f.vector,
            source: `correction: ${label(track)}`,
            ...(thumbnail && i === 0 ? { thumbnail: jpeg } : {}),
          })),
        );
        added.embeddings.push(...stored.embeddingIds);
        if (stored.created) added.identityCreated = stored.identityId;
        after = { id: stored.identityId, name: stored.name };
        enrolled = accepted.length;
      } else {
        // Every face is enrolled as NAME already: the record is fixed, the gallery needs nothing.
        const identity = await gallery.get(name);
        after = { id: identity?.id ?? "", name: identity?.name ?? name };
      }
    }
    const correction = memory.recordCorrection({
      track: track.id,
      kind: request.kind,
      expectedName: track.identity?.name ?? null,
      ...(after ? { after } : {}),
      ...(wrong && added.negatives.length > 0
        ? { negativeIdentity: { id: wrong.id, name: wrong.name } }
        : {}),
      negativeIds: added.negatives,
      embeddingIds: added.embeddings,
      identityCreated: added.identityCreated !== undefined,
    });
    return { correction, enrolled, leftOut };
  } catch (error) {
    const failed = await undoGallery();
    if (failed.length > 0) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${reason}; and what the correction had added to the gallery could not all be removed (${failed.join("; ")}): check 'facetracker gallery list'`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Deletes an identity that a correction created when it has no embedding and no negative example left. */
async function deleteIfEmpty(gallery: Gallery, identityId: string): Promise<boolean> {
  const identity = await gallery.get(identityId);
  if (!identity || identity.embeddingCount > 0 || identity.negativeCount > 0) return false;
  return gallery.deleteIdentity(identity.id);
}

/** What an undo did. */
export interface UndoOutcome {
  correction: Correction;
  /** The track's record got its decision back (false: the record is gone; the gallery part was undone). */
  trackRestored: boolean;
  /** Gallery items it removed (absent ones, deleted by hand or with their identity, are not counted). */
  removed: { negatives: number; embeddings: number; identityDeleted: boolean };
}

/** Undoes a correction (see the module comment). Throws CorrectionError, GalleryError, MemoryError. */
export async function undoCorrection(gallery: Gallery, memory: FaceMemory, id: number): Promise<UndoOutcome> {
  const c = memory.undoableCorrection(id);
  const removed = { negatives: 0, embeddings: 0, identityDeleted: false };
  for (const embeddingId of c.embeddingIds)
    if (await gallery.deleteEmbedding(embeddingId)) removed.embeddings++;
  if (c.identityCreated && c.after?.id) removed.identityDeleted = await deleteIfEmpty(gallery, c.after.id);
  for (const negativeId of c.negativeIds) if (await gallery.deleteNegative(negativeId)) removed.negatives++;
  const { correction, trackRestored } = memory.undoCorrection(id);
  return { correction, trackRestored, removed };
}
