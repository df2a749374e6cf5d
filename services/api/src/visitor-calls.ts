/**
 * ListVisitors and NameVisitor: the visitors of the face memory (unknown tracks grouped into people,
 * docs/memory.md), and naming one (its best faces enrolled in the gallery: enrollVisitor; the change
 * announced on ft.gallery.changed as any enrollment).
 */

import type { FaceMemory, TrackSource } from "@facetracker/face-memory";
import { type EnrollmentModels, enrollVisitor, VisitorEnrollmentError } from "@facetracker/pipeline";
import {
  GalleryChangeKind,
  type ListVisitorsRequest,
  type NameVisitorRequest,
  type NameVisitorResponse,
  type VisitorList,
} from "@facetracker/proto";
import { status } from "@grpc/grpc-js";
import type { Announce } from "./enroll-face.ts";
import { grpcError } from "./grpc-errors.ts";

/** The most thumbnails ListVisitors returns per visitor. */
export const MAX_VISITOR_THUMBNAILS = 6;

const sourceName = (s: TrackSource) => (s.kind === "clip" ? `clip:${s.name}` : s.name);

export function listVisitors(memory: FaceMemory, r: ListVisitorsRequest): VisitorList {
  const thumbnails = Math.min(r.thumbnails, MAX_VISITOR_THUMBNAILS);
  return {
    visitors: memory.listVisitors({ thumbnails }).map((v) => ({
      id: v.id,
      name: v.name ?? "",
      firstSeenMs: v.firstMs,
      lastSeenMs: v.lastMs,
      visits: v.visits,
      cameras: v.cameras,
      sources: v.sources.map(sourceName),
      thumbnails: v.thumbnails.map((t) => Buffer.from(t)),
    })),
  };
}

/**
 * Errors: INVALID_ARGUMENT (no name or visitor ID), NOT_FOUND (no such visitor), ALREADY_EXISTS (a face is
 * another identity's), FAILED_PRECONDITION (nothing enrolled: repeats, faces unlike the name's).
 */
export async function nameVisitor(
  models: EnrollmentModels,
  memory: FaceMemory,
  announce: Announce,
  r: NameVisitorRequest,
): Promise<NameVisitorResponse> {
  if (!r.name.trim()) throw grpcError(status.INVALID_ARGUMENT, "type the person's name first");
  if (!(r.visitorId >= 1)) throw grpcError(status.INVALID_ARGUMENT, "visitor_id must be 1 or more");
  try {
    const named = await enrollVisitor(models.gallery, models.config, memory, r.visitorId, r.name, {
      force: r.force,
    });
    await announce(GalleryChangeKind.ENROLLED, named.identityId, named.name);
    return {
      visitorId: named.visitorId,
      identityId: named.identityId,
      name: named.name,
      created: named.created,
      enrolled: named.enrolled,
      tracksNamed: named.tracksNamed,
    };
  } catch (error) {
    if (error instanceof VisitorEnrollmentError) {
      const code =
        error.code === "NOT_FOUND"
          ? status.NOT_FOUND
          : error.code === "CONFLICT"
            ? status.ALREADY_EXISTS
            : status.FAILED_PRECONDITION;
      throw grpcError(code, error.message);
    }
    throw error;
  }
}
