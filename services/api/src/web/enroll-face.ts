/**
 * Enrolling a person from a face the pipeline saw (an alert's or a track's face picture). The picture is
 * the JPEG of the 112×112 crop aligned by the detect service, so it is embedded directly, with no face
 * detection on it, and stored with the embedding as the identity's thumbnail. The same checks as
 * FaceRecognizer.enroll: a face that already belongs to another identity is refused unless forced, and a
 * picture already enrolled for this person is refused as a repeat.
 */

import { GalleryChangeKind } from "@facetracker/proto";
import type { FaceTracker } from "@facetracker/sdk";
import { cameraIdOf, HttpError } from "./http-helpers.ts";
import { decodePicture } from "./vision-module.ts";

/** Side of the aligned face crop (ArcFace input). */
export const ALIGNED_SIZE = 112;
/** Two embeddings of one identity closer than this are the same picture enrolled twice (as the SDK). */
const SAME_PICTURE_SIMILARITY = 0.97;

export type Announce = (kind: GalleryChangeKind, identityId: string, name: string) => Promise<void>;

export interface EnrollFaceRequest {
  name: string;
  /** JPEG of the aligned 112×112 face crop. */
  jpeg: Uint8Array;
  /** Where the face comes from, stored with the embedding ("alert <id>", "track <camera> #<id>"). */
  source: string;
  /** Enroll even when the face matches another identity. */
  force: boolean;
}

export interface EnrollFaceResult {
  identityId: string;
  name: string;
  /** True when the identity was created by this enrollment (false: a face added to an existing one). */
  created: boolean;
  embeddingId: string;
}

/** Embeds the face, checks it against the gallery, enrolls it and announces the change. */
export async function enrollFace(
  tracker: FaceTracker,
  announce: Announce,
  request: EnrollFaceRequest,
): Promise<EnrollFaceResult> {
  const name = request.name.trim();
  if (!name) throw new HttpError(400, "type the person's name first");
  let image: Awaited<ReturnType<typeof decodePicture>>;
  try {
    image = await decodePicture(request.jpeg, request.source);
  } catch (error) {
    throw new HttpError(
      422,
      `the face picture of ${request.source} cannot be read: ${(error as Error).message}`,
    );
  }
  if (image.width !== ALIGNED_SIZE || image.height !== ALIGNED_SIZE) {
    throw new HttpError(
      422,
      `the face picture of ${request.source} is ${image.width}×${image.height}, not the ${ALIGNED_SIZE}×${ALIGNED_SIZE} aligned crop: enroll this person from a photo instead`,
    );
  }
  const vector = await tracker.recognizer.analyzer.embedder.embed(image);
  const gallery = tracker.gallery;
  const conflictAt = tracker.config.enroll.duplicate_threshold ?? tracker.recognizer.threshold;
  const hits = await gallery.search(vector, {
    k: 5,
    minSimilarity: Math.min(conflictAt, SAME_PICTURE_SIMILARITY),
  });
  const other = hits.find((h) => h.name !== name && h.similarity >= conflictAt);
  if (other && !request.force) {
    throw new HttpError(
      409,
      `this face already matches '${other.name}' (similarity ${other.similarity.toFixed(2)}): ` +
        `check "enroll anyway" to add it to '${name}' all the same`,
    );
  }
  const repeat = hits.find((h) => h.name === name && h.similarity >= SAME_PICTURE_SIMILARITY);
  if (repeat) {
    throw new HttpError(409, `this face is already enrolled for '${name}'`);
  }
  const existing = await gallery.get(name);
  const { identity, embeddingIds } = await gallery.enroll(name, [
    {
      vector,
      source: request.source,
      ...(tracker.config.enroll.thumbnails ? { thumbnail: request.jpeg } : {}),
    },
  ]);
  await announce(GalleryChangeKind.ENROLLED, identity.id, identity.name);
  return {
    identityId: identity.id,
    name: identity.name,
    created: !existing,
    embeddingId: embeddingIds[0] as string,
  };
}

/** Where the faces to enroll are kept (the activity feed). */
export interface FaceLookup {
  alertFace(alertId: string): Uint8Array | undefined;
  trackFace(camera: string, trackId: number): Uint8Array | undefined;
}

/** The face an enroll request names: an alert's (alertId) or a track's (camera + trackId). */
export function enrollSource(
  body: Record<string, unknown>,
  faces: FaceLookup,
): { jpeg: Uint8Array; source: string } {
  if (typeof body.alertId === "string" && body.alertId) {
    const jpeg = faces.alertFace(body.alertId);
    if (!jpeg) {
      throw new HttpError(404, "this alert's face picture is no longer kept: enroll from a track or a photo");
    }
    return { jpeg, source: `alert ${body.alertId}` };
  }
  if (typeof body.camera === "string" && typeof body.trackId === "number") {
    const camera = cameraIdOf(body.camera);
    const jpeg = faces.trackFace(camera, body.trackId);
    if (!jpeg) {
      throw new HttpError(
        404,
        `no face picture of track ${body.trackId} on ${camera} yet: a track gets one once it is confirmed`,
      );
    }
    return { jpeg, source: `track ${camera} #${body.trackId}` };
  }
  throw new HttpError(400, 'say which face to enroll: "alertId", or "camera" and "trackId"');
}
