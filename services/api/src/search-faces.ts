/**
 * SearchFaces: the face of a photo (its subject, or the face picked by number or box, as Enroll takes it)
 * looked for in the face memory: the remembered tracks of live cameras, analysed files and clips, most
 * similar first, filtered by camera and time.
 */

import type { FaceMemory } from "@facetracker/face-memory";
import {
  analyzeOptionsFrom,
  boxToProto,
  type EnrollmentModels,
  embedPhotoFace,
  faceChoiceFromProto,
  memoryHitToProto,
} from "@facetracker/pipeline";
import type { SearchFacesRequest, SearchFacesResponse } from "@facetracker/proto";
import { checkImagePixels, FaceChoiceError, ImageError } from "@facetracker/vision";
import { status } from "@grpc/grpc-js";
import { grpcError } from "./grpc-errors.ts";

/** Tracks a search returns when the request names no limit, and the most it may ask for. */
export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 1000;

export async function searchFaces(
  models: Omit<EnrollmentModels, "gallery">,
  memory: FaceMemory,
  r: SearchFacesRequest,
): Promise<SearchFacesResponse> {
  const { config, analyzer } = models;
  if (r.image.length === 0) throw grpcError(status.INVALID_ARGUMENT, "no image given");
  if (r.limit > MAX_SEARCH_LIMIT)
    throw grpcError(status.INVALID_ARGUMENT, `limit must be at most ${MAX_SEARCH_LIMIT}, got ${r.limit}`);
  if (r.sinceMs > 0 && r.untilMs > 0 && r.untilMs < r.sinceMs)
    throw grpcError(status.INVALID_ARGUMENT, "until_ms is before since_ms");
  const image = new Uint8Array(r.image);
  const maxPixels = config.limits.max_image_pixels;
  let found: Awaited<ReturnType<typeof embedPhotoFace>>;
  try {
    await checkImagePixels(image, "the photo", maxPixels);
    found = await embedPhotoFace(
      analyzer,
      image,
      analyzeOptionsFrom(config),
      { maxPixels },
      faceChoiceFromProto(r.faceIndex, r.faceBox),
    );
  } catch (error) {
    if (error instanceof ImageError || error instanceof FaceChoiceError)
      throw grpcError(status.INVALID_ARGUMENT, error.message);
    throw error;
  }
  if (!found) throw grpcError(status.FAILED_PRECONDITION, "no face found in the photo");
  const hits = await memory.searchAsync(found.face.embedding, {
    ...(r.camera ? { camera: r.camera } : {}),
    ...(r.sinceMs > 0 ? { sinceMs: r.sinceMs } : {}),
    ...(r.untilMs > 0 ? { untilMs: r.untilMs } : {}),
    limit: r.limit || DEFAULT_SEARCH_LIMIT,
  });
  const { choice } = found;
  return {
    faces: hits.map(memoryHitToProto),
    faceIndex: choice.index,
    faceCount: choice.count,
    chosenBy: choice.chosenBy,
    box: boxToProto(choice.box),
  };
}
