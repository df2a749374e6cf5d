/**
 * Search by face on the operators' page: where and when a face was seen, from the face memory. The page
 * has no face models, so the search is the api service's (gRPC SearchFaces, with api.token), as the
 * gallery changes are (gallery-writer.ts): the api holds the models and the memory loaded once. A search
 * starts from an uploaded photo (its subject face, as `facetracker search` takes it), or from a face
 * picture the page keeps (a gallery person's, an alert's, a live track's: the aligned 112×112 crop, set
 * in the middle of a larger grey picture so that the detector finds it as a photo's face).
 */

import { FaceTrackerApiClient, type RememberedFace, type SearchFacesResponse } from "@facetracker/proto";
import { decodeImage, encodeJpeg, type RgbImage } from "@facetracker/vision";
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { HttpError } from "./http-helpers.ts";

/** Largest photo the page accepts for a search, bytes (and never above api.max_upload_bytes). */
export const MAX_SEARCH_PHOTO_BYTES = 16 * 1024 * 1024;
/** Most tracks a search may return (the api's bound), and the default. */
export const MAX_SEARCH_LIMIT = 1000;
export const DEFAULT_SEARCH_LIMIT = 10;
/** How long a search may take (the api embeds the photo's face). */
const CALL_TIMEOUT_MS = 30_000;

export interface SearchFilters {
  camera?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

/** One remembered track as the page shows it. */
export interface SearchHit {
  kind: string;
  /** The camera ID, the clip's key, or the file's name (never its folder: paths stay on the server). */
  source: string;
  camera: string | null;
  trackId: number;
  /** ISO times (UTC) for a camera track; seconds into the video for a file or clip. */
  firstTime: string | number;
  lastTime: string | number;
  similarity: number;
  /** Who it was: the identity's name, null for unknown or undetermined. */
  name: string | null;
  undetermined: boolean;
  /** The best face as a data: URL (JPEG), or null. */
  thumbnail: string | null;
  /** The page's clip route for the track's clip, or null. */
  clip: string | null;
  /** The alert the track raised ("" none), and the track's row in the face memory (for corrections). */
  alertId: string;
  memoryId: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Which face of the photo was searched for, and how many it has. */
  faceIndex: number;
  faceCount: number;
}

/** The page's URL of a stored clip (the /api/clips route, each key segment escaped). */
export const clipPath = (key: string): string =>
  `/api/clips/${key.split("/").map(encodeURIComponent).join("/")}`;

const baseName = (file: string): string => file.split(/[\\/]/).pop() || file;

/** A remembered track (SearchFaces, PersonTimeline) as the page shows it. */
export function hitView(face: RememberedFace): SearchHit {
  const camera = face.sourceKind === "camera";
  return {
    kind: face.sourceKind,
    source: face.sourceKind === "file" ? baseName(face.source) : face.source,
    camera: face.camera || null,
    trackId: face.trackId,
    firstTime: camera ? new Date(Number(face.firstTimeMs)).toISOString() : face.firstTimeS,
    lastTime: camera ? new Date(Number(face.lastTimeMs)).toISOString() : face.lastTimeS,
    similarity: Math.round(face.similarity * 1000) / 1000,
    name: face.identity?.name || null,
    undetermined: face.undetermined,
    thumbnail:
      face.thumbnailJpeg.length > 0
        ? `data:image/jpeg;base64,${Buffer.from(face.thumbnailJpeg).toString("base64")}`
        : null,
    clip: face.clipKey ? clipPath(face.clipKey) : null,
    alertId: face.alertId,
    memoryId: Number(face.memoryId),
  };
}

/**
 * A face picture (the aligned crop of a track, an alert or a gallery person) as a photo the detector
 * finds it in: the crop in the middle of a grey picture three times its size.
 */
export async function faceAsPhoto(jpeg: Uint8Array): Promise<Uint8Array> {
  const face = await decodeImage(jpeg, "the face picture");
  const width = face.width * 3;
  const height = face.height * 3;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < face.height; y++) {
    const from = y * face.width * 3;
    data.set(face.data.subarray(from, from + face.width * 3), ((y + face.height) * width + face.width) * 3);
  }
  const photo: RgbImage = { width, height, data };
  return encodeJpeg(photo, 95);
}

/** Reads a search's filters from the page's query string; HttpError 400 saying which one is wrong. */
export function searchFilters(url: URL): SearchFilters {
  const filters: SearchFilters = {};
  const camera = url.searchParams.get("camera")?.trim();
  if (camera) filters.camera = camera;
  for (const [name, key] of [
    ["since", "sinceMs"],
    ["until", "untilMs"],
  ] as const) {
    const text = url.searchParams.get(name)?.trim();
    if (!text) continue;
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) {
      throw new HttpError(400, `"${name}" is not a date or time: give it as 2026-11-24 or 2026-11-24T10:15`);
    }
    filters[key] = ms;
  }
  if (filters.sinceMs !== undefined && filters.untilMs !== undefined && filters.untilMs < filters.sinceMs) {
    throw new HttpError(400, '"until" is before "since"');
  }
  const limit = url.searchParams.get("limit")?.trim();
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_SEARCH_LIMIT) {
      throw new HttpError(400, `"limit" must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
    }
    filters.limit = n;
  }
  return filters;
}

/** The api's SearchFaces, for the page. */
export class FaceSearch {
  readonly #client: FaceTrackerApiClient;
  readonly #token: string | undefined;

  constructor(address: string, token: string | undefined) {
    this.#client = new FaceTrackerApiClient(address, credentials.createInsecure());
    this.#token = token;
  }

  /** Searches for the subject face of `photo`; HttpError with the api's reason when it refuses. */
  search(photo: Uint8Array, filters: SearchFilters): Promise<SearchResult> {
    const metadata = new Metadata();
    if (this.#token) metadata.set("authorization", `Bearer ${this.#token}`);
    const request = {
      image: Buffer.from(photo),
      camera: filters.camera ?? "",
      sinceMs: filters.sinceMs ?? 0,
      untilMs: filters.untilMs ?? 0,
      limit: filters.limit ?? DEFAULT_SEARCH_LIMIT,
    };
    return new Promise((resolve, reject) =>
      this.#client.searchFaces(
        request as never,
        metadata,
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (error, response: SearchFacesResponse) => {
          if (!error) {
            resolve({
              hits: response.faces.map(hitView),
              faceIndex: response.faceIndex,
              faceCount: response.faceCount,
            });
            return;
          }
          if (error.code === status.FAILED_PRECONDITION && /no face/i.test(error.details)) {
            reject(
              new HttpError(
                422,
                "no face found in the photo: upload a photo where the face is clearly visible",
              ),
            );
          } else if (error.code === status.INVALID_ARGUMENT) reject(new HttpError(400, error.details));
          else if (error.code === status.UNAVAILABLE || error.code === status.RESOURCE_EXHAUSTED) {
            reject(new HttpError(503, `the api service cannot search now: ${error.details}`));
          } else reject(new Error(`the api service answered ${status[error.code]}: ${error.details}`));
        },
      ),
    );
  }

  close(): void {
    this.#client.close();
  }
}

/** Reads an uploaded photo (the raw body: image/jpeg, image/png or image/webp), at most `maxBytes`. */
export async function readPhotoBody(
  req: AsyncIterable<unknown> & { headers: Record<string, string | string[] | undefined> },
  maxBytes: number,
): Promise<Uint8Array> {
  const type = String(req.headers["content-type"] ?? "");
  if (!/^image\/(jpeg|png|webp)\b/i.test(type)) {
    throw new HttpError(
      415,
      "send the photo as JPEG, PNG or WebP (content-type image/jpeg, image/png or image/webp)",
    );
  }
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError(
      413,
      `the photo is above ${Math.floor(maxBytes / (1024 * 1024))} MiB: send a smaller one`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      throw new HttpError(
        413,
        `the photo is above ${Math.floor(maxBytes / (1024 * 1024))} MiB: send a smaller one`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new HttpError(400, "no photo given: choose a photo to search with");
  return Buffer.concat(chunks);
}
