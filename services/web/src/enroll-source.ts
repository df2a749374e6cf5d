/**
 * Which face an enroll request of the page names: an alert's or a track's face picture, as the activity
 * feed keeps them (the JPEG of the 112×112 crop aligned by the detect service). The enrollment itself is
 * the api service's (gRPC EnrollFace, see gallery-writer.ts).
 */

import { cameraIdOf, HttpError } from "./http-helpers.ts";

/** Where the faces to enroll are kept (the activity feed). */
export interface FaceLookup {
  /** An alert's face: kept, or read back at its stream sequence `seq` (an alert of an older page). */
  alertFace(alertId: string, seq?: number): Promise<Uint8Array | undefined>;
  trackFace(camera: string, trackId: number): Uint8Array | undefined;
}

/** The face an enroll request names: an alert's (alertId) or a track's (camera + trackId). */
export async function enrollSource(
  body: Record<string, unknown>,
  faces: FaceLookup,
): Promise<{ jpeg: Uint8Array; source: string }> {
  if (typeof body.alertId === "string" && body.alertId) {
    const seq =
      typeof body.seq === "number" && Number.isSafeInteger(body.seq) && body.seq > 0 ? body.seq : undefined;
    const jpeg = await faces.alertFace(body.alertId, seq);
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
