/**
 * PersonTimeline: where a person was seen — a gallery identity's remembered tracks (by ID, and by name for
 * tracks recorded before a rename) or a face memory visitor's — with cameras, times, thumbnails and clips.
 */

import type { FaceMemory } from "@facetracker/face-memory";
import type { Gallery } from "@facetracker/gallery";
import { memoryHitToProto } from "@facetracker/pipeline";
import type { PersonTimelineRequest, PersonTimelineResponse } from "@facetracker/proto";
import { status } from "@grpc/grpc-js";
import { grpcError } from "./grpc-errors.ts";

/** Sightings a timeline returns when the request names no limit, and the most it may ask for. */
export const DEFAULT_TIMELINE_LIMIT = 200;
export const MAX_TIMELINE_LIMIT = 1000;

/**
 * Errors: INVALID_ARGUMENT (neither or both of identity and visitor_id, a limit above 1000, until before
 * since), NOT_FOUND (no such identity in the gallery nor tracks under that name; no such visitor).
 */
export async function personTimeline(
  gallery: Pick<Gallery, "get">,
  memory: FaceMemory,
  r: PersonTimelineRequest,
): Promise<PersonTimelineResponse> {
  const identity = r.identity.trim();
  if (!identity && !(r.visitorId >= 1))
    throw grpcError(status.INVALID_ARGUMENT, "name a person: identity (ID or name) or visitor_id");
  if (identity && r.visitorId > 0)
    throw grpcError(status.INVALID_ARGUMENT, "give identity or visitor_id, not both");
  if (r.limit > MAX_TIMELINE_LIMIT)
    throw grpcError(status.INVALID_ARGUMENT, `limit must be at most ${MAX_TIMELINE_LIMIT}, got ${r.limit}`);
  if (r.sinceMs > 0 && r.untilMs > 0 && r.untilMs < r.sinceMs)
    throw grpcError(status.INVALID_ARGUMENT, "until_ms is before since_ms");
  const options = {
    ...(r.camera ? { camera: r.camera } : {}),
    ...(r.sinceMs > 0 ? { sinceMs: r.sinceMs } : {}),
    ...(r.untilMs > 0 ? { untilMs: r.untilMs } : {}),
    limit: r.limit || DEFAULT_TIMELINE_LIMIT,
  };
  let who: { name: string; identityId: string; visitorId: number };
  let timeline: ReturnType<FaceMemory["timeline"]>;
  if (identity) {
    const found = await gallery.get(identity);
    who = { name: found?.name ?? identity, identityId: found?.id ?? "", visitorId: 0 };
    timeline = memory.timeline(
      { identity: found ? { name: found.name, id: found.id } : { name: identity } },
      options,
    );
    if (!found && timeline.total === 0)
      throw grpcError(
        status.NOT_FOUND,
        `no identity ${JSON.stringify(identity)} in the gallery, nor tracks of that name`,
      );
  } else {
    const visitor = memory.visitor(r.visitorId);
    if (!visitor) throw grpcError(status.NOT_FOUND, `no visitor #${r.visitorId} in the face memory`);
    who = { name: visitor.name ?? "", identityId: "", visitorId: visitor.id };
    timeline = memory.timeline({ visitor: visitor.id }, options);
  }
  return {
    ...who,
    sightings: timeline.tracks.map((t) => {
      const face = memoryHitToProto({ ...t, similarity: t.identity?.similarity ?? 0 });
      return r.withoutThumbnails ? { ...face, thumbnailJpeg: Buffer.alloc(0) } : face;
    }),
    total: timeline.total,
    cameras: timeline.cameras.map((c) => ({
      camera: c.camera,
      sightings: c.tracks,
      firstTimeMs: c.firstMs,
      lastTimeMs: c.lastMs,
    })),
  };
}
