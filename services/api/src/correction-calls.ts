/**
 * CorrectTrack, UndoCorrection and ListCorrections: corrections of a remembered track's identity
 * (docs/memory.md, Corrections; pipeline's track-correction.ts), the gallery changes announced on
 * ft.gallery.changed as any enrollment (the embed workers and the web page reload).
 */

import type { FaceMemory, Correction as MemoryCorrection } from "@facetracker/face-memory";
import type { Gallery } from "@facetracker/gallery";
import { CorrectionError, correctTrack, type EnrollmentModels, undoCorrection } from "@facetracker/pipeline";
import {
  type Correction,
  type CorrectionList,
  type CorrectTrackRequest,
  type CorrectTrackResponse,
  GalleryChangeKind,
  type Identity,
  type ListCorrectionsRequest,
  type UndoCorrectionRequest,
  type UndoCorrectionResponse,
} from "@facetracker/proto";
import { status } from "@grpc/grpc-js";
import type { Announce } from "./enroll-face.ts";
import { grpcError } from "./grpc-errors.ts";

/** Corrections ListCorrections returns when the request names no limit, and the most it may ask for. */
export const DEFAULT_CORRECTIONS_LIMIT = 100;
export const MAX_CORRECTIONS_LIMIT = 1000;

const identity = (e: { id: string; name: string; similarity?: number } | null): Identity | undefined =>
  e ? { id: e.id, name: e.name, attributes: {}, similarity: e.similarity ?? 0 } : undefined;

export function correctionToProto(c: MemoryCorrection): Correction {
  const optional = (key: string, value: Identity | undefined) => (value ? { [key]: value } : {});
  return {
    id: c.id,
    memoryId: c.track ?? 0,
    sourceKind: c.source.kind,
    source: c.source.name,
    camera: c.source.camera ?? "",
    trackId: c.trackId,
    kind: c.kind,
    ...optional("beforeIdentity", identity(c.before.identity)),
    ...optional("beforeClosest", identity(c.before.closest)),
    beforeUndetermined: c.before.undetermined,
    ...optional("afterIdentity", identity(c.after)),
    ...optional("negativeIdentity", identity(c.negativeIdentity)),
    negativeIds: c.negativeIds,
    embeddingIds: c.embeddingIds,
    identityCreated: c.identityCreated,
    timeMs: c.createdMs,
    undoneMs: c.undoneMs ?? 0,
  } as Correction;
}

function statusOf(error: CorrectionError): status {
  return error.code === "NOT_FOUND"
    ? status.NOT_FOUND
    : error.code === "CONFLICT"
      ? status.ALREADY_EXISTS
      : status.FAILED_PRECONDITION;
}

/** The memory ID of the request's track: memory_id, else alert_id, else camera and track_id. */
function trackOf(memory: FaceMemory, r: CorrectTrackRequest): number {
  if (r.memoryId > 0) return r.memoryId;
  if (r.alertId) {
    const id = memory.findTrack({ alertId: r.alertId });
    if (id === undefined) throw grpcError(status.NOT_FOUND, `no remembered track raised alert ${r.alertId}`);
    return id;
  }
  if (r.camera && r.trackId > 0) {
    const id = memory.findTrack({ source: { kind: "camera", name: r.camera }, trackId: r.trackId });
    if (id === undefined)
      throw grpcError(status.NOT_FOUND, `no remembered track #${r.trackId} of camera ${r.camera}`);
    return id;
  }
  throw grpcError(status.INVALID_ARGUMENT, "name the track: memory_id, alert_id, or camera and track_id");
}

/**
 * Errors: INVALID_ARGUMENT (no track, a kind other than "not"/"is", no name), NOT_FOUND (no such track),
 * FAILED_PRECONDITION ("not" on a track not named, "is" the name it has, nothing to enroll),
 * ALREADY_EXISTS (a face is another identity's; force enrolls it, or the track changed meanwhile).
 */
export async function correctTrackCall(
  models: Pick<EnrollmentModels, "config"> & { gallery: Gallery },
  memory: FaceMemory,
  announce: Announce,
  r: CorrectTrackRequest,
): Promise<CorrectTrackResponse> {
  if (r.kind !== "not" && r.kind !== "is")
    throw grpcError(status.INVALID_ARGUMENT, `kind must be "not" or "is", got "${r.kind}"`);
  if (r.kind === "is" && !r.name.trim())
    throw grpcError(status.INVALID_ARGUMENT, "type the person's name first");
  const track = trackOf(memory, r);
  try {
    const outcome = await correctTrack(
      models.gallery,
      models.config,
      memory,
      r.kind === "not" ? { track, kind: "not" } : { track, kind: "is", name: r.name, force: r.force },
    );
    const c = outcome.correction;
    if (c.after && c.embeddingIds.length > 0)
      await announce(GalleryChangeKind.ENROLLED, c.after.id, c.after.name);
    if (c.negativeIdentity && c.negativeIds.length > 0)
      await announce(GalleryChangeKind.UNSPECIFIED, c.negativeIdentity.id, c.negativeIdentity.name);
    return {
      correction: correctionToProto(c),
      enrolled: outcome.enrolled,
      leftOut: outcome.leftOut.map((o) => `${o.face}: ${o.reason}`),
    };
  } catch (error) {
    if (error instanceof CorrectionError) throw grpcError(statusOf(error), error.message);
    throw error;
  }
}

/** Errors: NOT_FOUND (no such correction), FAILED_PRECONDITION (undone already, or a later one first). */
export async function undoCorrectionCall(
  gallery: Gallery,
  memory: FaceMemory,
  announce: Announce,
  r: UndoCorrectionRequest,
): Promise<UndoCorrectionResponse> {
  if (!(r.id >= 1)) throw grpcError(status.INVALID_ARGUMENT, "id must be 1 or more");
  try {
    const outcome = await undoCorrection(gallery, memory, r.id);
    const c = outcome.correction;
    const who = c.after ?? c.negativeIdentity;
    if (
      who &&
      (outcome.removed.embeddings > 0 || outcome.removed.negatives > 0 || outcome.removed.identityDeleted)
    )
      await announce(
        outcome.removed.identityDeleted ? GalleryChangeKind.DELETED : GalleryChangeKind.UNSPECIFIED,
        who.id,
        who.name,
      );
    return { correction: correctionToProto(c), trackRestored: outcome.trackRestored };
  } catch (error) {
    if (error instanceof CorrectionError) throw grpcError(statusOf(error), error.message);
    throw error;
  }
}

export function listCorrectionsCall(memory: FaceMemory, r: ListCorrectionsRequest): CorrectionList {
  if (r.limit > MAX_CORRECTIONS_LIMIT)
    throw grpcError(
      status.INVALID_ARGUMENT,
      `limit must be at most ${MAX_CORRECTIONS_LIMIT}, got ${r.limit}`,
    );
  return {
    corrections: memory
      .corrections({
        ...(r.memoryId > 0 ? { track: r.memoryId } : {}),
        includeUndone: r.includeUndone,
        limit: r.limit || DEFAULT_CORRECTIONS_LIMIT,
      })
      .map(correctionToProto),
  };
}
