/**
 * Enrolling a person from a face the pipeline saw (an alert's or a track's face picture). The picture is
 * the JPEG of the 112×112 crop aligned by the detect service, so it is embedded directly, with no face
 * detection on it, and stored with the embedding as the identity's thumbnail. The enrollment policy of
 * @facetracker/pipeline, as for photos (enrollFromPhotos): a face that already belongs to another
 * identity is refused unless forced, a picture already enrolled for this person is refused as a repeat,
 * and a face unlike every face already enrolled for this person is refused unless forced. (The quality
 * gate is not applied here: the crop alone carries no frame landmarks to judge pose and size by, and the
 * pipeline chose it as its track's best face.) Served as the gRPC call EnrollFace (the web page's
 * "Enroll…" on a track or an alert goes through it: the api is the gallery's writer).
 */

import {
  type EnrollmentModels,
  enrollAccepted,
  enrollmentName,
  reviewEnrollment,
} from "@facetracker/pipeline";
import { GalleryChangeKind } from "@facetracker/proto";
import { ALIGNED_SIZE, ImageTooLargeError } from "@facetracker/vision";
import { status } from "@grpc/grpc-js";
import { grpcError } from "./grpc-errors.ts";
import { decodePicture } from "./vision-module.ts";

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

/**
 * Embeds the face, checks it against the gallery, enrolls it and announces the change. Refusals are gRPC
 * errors: INVALID_ARGUMENT (no name, or a picture above limits.max_image_pixels), FAILED_PRECONDITION (not
 * an aligned crop, or unlike the faces enrolled for this name), ALREADY_EXISTS (the face matches another
 * identity, or is already enrolled for this one).
 */
export async function enrollFace(
  models: EnrollmentModels,
  announce: Announce,
  request: EnrollFaceRequest,
): Promise<EnrollFaceResult> {
  let name: string;
  try {
    name = enrollmentName(request.name);
  } catch {
    throw grpcError(status.INVALID_ARGUMENT, "type the person's name first");
  }
  let image: Awaited<ReturnType<typeof decodePicture>>;
  try {
    image = await decodePicture(request.jpeg, request.source, models.config.limits.max_image_pixels);
  } catch (error) {
    if (error instanceof ImageTooLargeError) throw grpcError(status.INVALID_ARGUMENT, error.message);
    throw grpcError(
      status.FAILED_PRECONDITION,
      `the face picture of ${request.source} cannot be read: ${(error as Error).message}`,
    );
  }
  if (image.width !== ALIGNED_SIZE || image.height !== ALIGNED_SIZE) {
    throw grpcError(
      status.FAILED_PRECONDITION,
      `the face picture of ${request.source} is ${image.width}×${image.height}, not the ${ALIGNED_SIZE}×${ALIGNED_SIZE} aligned crop: enroll this person from a photo instead`,
    );
  }
  const { analyzer, gallery, config } = models;
  const vector = await analyzer.embedder.embed(image);
  const [decision] = await reviewEnrollment(gallery, config, name, [{ vector, label: request.source }], {
    force: request.force,
  });
  if (decision?.status === "conflict") {
    throw grpcError(
      status.ALREADY_EXISTS,
      `this face already matches '${decision.otherIdentity}' (similarity ${decision.similarity.toFixed(2)}): ` +
        `check "enroll anyway" to add it to '${name}' all the same`,
    );
  }
  if (decision?.status === "duplicate") {
    throw grpcError(status.ALREADY_EXISTS, `this face is already enrolled for '${name}'`);
  }
  if (decision?.status === "mismatch") {
    throw grpcError(
      status.FAILED_PRECONDITION,
      `this face does not look like the faces enrolled for '${name}' (closest: ${decision.closest}, similarity ` +
        `${decision.similarity.toFixed(2)}, below the threshold ${config.cosine_similarity_threshold}): ` +
        `check "enroll anyway" to add it to '${name}' all the same`,
    );
  }
  const enrolled = await enrollAccepted(gallery, name, [
    {
      vector,
      source: request.source,
      ...(config.enroll.thumbnails ? { thumbnail: request.jpeg } : {}),
    },
  ]);
  await announce(GalleryChangeKind.ENROLLED, enrolled.identityId, enrolled.name);
  return {
    identityId: enrolled.identityId,
    name: enrolled.name,
    created: enrolled.created,
    embeddingId: enrolled.embeddingIds[0] as string,
  };
}
