/**
 * Naming a visitor of the face memory (an unknown person seen again and again): its best faces (kept
 * embeddings ranked by face quality) are enrolled in the gallery under the name, with the enrollment policy
 * of photos and videos (reviewEnrollment: a face of another identity is refused unless forced, repeats are
 * left out, faces unlike the name's stored ones are refused unless forced), then its tracks in the memory
 * carry the name. Used by `facetracker visitors name` and the gRPC call NameVisitor.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { FaceMemory } from "@facetracker/face-memory";
import type { Gallery } from "@facetracker/gallery";
import { enrollAccepted, enrollmentName, reviewEnrollment } from "./enrollment-policy.ts";

/** The visitor's best faces that naming it enrolls. */
export const VISITOR_FACES_ENROLLED = 5;

/** NOT_FOUND: no such visitor (or no face kept); CONFLICT: a face is another identity's; REFUSED: none enrolled. */
export class VisitorEnrollmentError extends Error {
  override readonly name = "VisitorEnrollmentError";
  readonly code: "NOT_FOUND" | "CONFLICT" | "REFUSED";
  constructor(code: "NOT_FOUND" | "CONFLICT" | "REFUSED", message: string) {
    super(message);
    this.code = code;
  }
}

export interface VisitorEnrollment {
  visitorId: number;
  identityId: string;
  name: string;
  /** The identity was created (false: faces added to an existing one). */
  created: boolean;
  /** Faces enrolled. */
  enrolled: number;
  /** Faces left out, and why (repeats, faces unlike the others). */
  leftOut: { face: string; status: string; reason: string }[];
  /** The visitor's tracks now named. */
  tracksNamed: number;
}

export async function enrollVisitor(
  gallery: Gallery,
  config: FaceTrackerConfig,
  memory: FaceMemory,
  visitorId: number,
  name: string,
  options: { force?: boolean } = {},
): Promise<VisitorEnrollment> {
  const trimmed = enrollmentName(name);
  const faces = memory.visitorFaces(visitorId, VISITOR_FACES_ENROLLED);
  if (faces.length === 0) throw new VisitorEnrollmentError("NOT_FOUND", `no visitor #${visitorId}`);
  const candidates = faces.map((f) => ({
    vector: f.vector,
    label: `${f.track.source.kind} ${f.track.source.name} #${f.track.trackId}`,
    group: f.track.id,
  }));
  const decisions = await reviewEnrollment(gallery, config, trimmed, candidates, options);
  decisions.forEach((d, i) => {
    if (d.status === "conflict")
      throw new VisitorEnrollmentError(
        "CONFLICT",
        `visitor #${visitorId}: the face of ${candidates[i]?.label} matches identity '${d.otherIdentity}' (similarity ${d.similarity.toFixed(3)}); force to enroll it anyway`,
      );
  });
  const accepted = faces.filter((_, i) => decisions[i]?.status === "accepted");
  const leftOut = decisions.flatMap((d, i) =>
    d.status === "accepted" || !("reason" in d)
      ? []
      : [{ face: candidates[i]?.label as string, status: d.status, reason: d.reason }],
  );
  if (accepted.length === 0) {
    throw new VisitorEnrollmentError(
      "REFUSED",
      `visitor #${visitorId}: nothing enrolled as ${trimmed} (${leftOut.map((o) => `${o.face}: ${o.reason}`).join("; ")})`,
    );
  }
  let thumbnailGiven = false;
  const enrolled = await enrollAccepted(
    gallery,
    trimmed,
    accepted.map((f) => {
      const jpeg = f.track.thumbnail;
      const withThumbnail =
        config.enroll.thumbnails && !thumbnailGiven && jpeg !== null && jpeg[0] === 0xff && jpeg[1] === 0xd8;
      if (withThumbnail) thumbnailGiven = true;
      return {
        vector: f.vector,
        source: `visitor #${visitorId}`,
        ...(withThumbnail ? { thumbnail: jpeg } : {}),
      };
    }),
  );
  const tracksNamed = memory.nameVisitor(visitorId, { name: enrolled.name, id: enrolled.identityId });
  return {
    visitorId,
    identityId: enrolled.identityId,
    name: enrolled.name,
    created: enrolled.created,
    enrolled: accepted.length,
    leftOut,
    tracksNamed,
  };
}
