/**
 * Enrolling a person from photos: decode each photo, take its largest face and embed it, apply the
 * enrollment policy (enrollment-policy.ts), store the accepted faces (with their aligned crops as
 * thumbnails when `enroll.thumbnails`) and report one outcome per photo. Used by FaceRecognizer.enroll
 * and by the gRPC api's Enroll.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { Attributes, Gallery } from "@facetracker/gallery";
import {
  type AnalyzedFace,
  type AnalyzeOptions,
  type DecodeImageOptions,
  decodeImage,
  encodeJpeg,
  type FaceAnalyzer,
  type ImageInput,
  type RgbImage,
} from "@facetracker/vision";
import { enrollAccepted, enrollmentName, reviewEnrollment } from "./enrollment-policy.ts";
import { analyzeOptionsFrom } from "./options-from-config.ts";

export interface EnrollOptions {
  attributes?: Attributes;
  /** Enroll even when a face matches another identity at or above the duplicate threshold. */
  force?: boolean;
}

export type EnrollOutcome =
  | { image: string; status: "enrolled"; embeddingId: string }
  | { image: string; status: "no_face" }
  | { image: string; status: "duplicate"; reason: string }
  | { image: string; status: "conflict"; reason: string; otherIdentity: string; similarity: number }
  | { image: string; status: "error"; reason: string };

export interface EnrollReport {
  name: string;
  /** Identity id, absent when nothing was enrolled and the identity did not exist. */
  identityId?: string;
  created: boolean;
  enrolled: number;
  outcomes: EnrollOutcome[];
}

/** What photo enrollment works with: the configuration, the models and the gallery written to. */
export interface EnrollmentModels {
  config: FaceTrackerConfig;
  analyzer: FaceAnalyzer;
  gallery: Gallery;
}

/** How a photo is named in outcomes: its path, or "image #N" (1-based) for bytes and decoded images. */
export const photoLabel = (input: ImageInput, index: number): string =>
  typeof input === "string" ? input : `image #${index + 1}`;

/**
 * The largest face of an image with its embedding, or undefined when the image has no face; `decode` bounds
 * the image's size (limits.max_image_pixels).
 */
export async function embedLargestFace(
  analyzer: FaceAnalyzer,
  image: ImageInput,
  options: AnalyzeOptions,
  decode: DecodeImageOptions = {},
): Promise<{ face: AnalyzedFace & { embedding: Float32Array }; decoded: RgbImage } | undefined> {
  const decoded = await decodeImage(image, undefined, decode);
  const [face] = await analyzer.analyze(decoded, { ...options, largestOnly: true, embed: true });
  return face?.embedding ? { face: face as AnalyzedFace & { embedding: Float32Array }, decoded } : undefined;
}

/**
 * Enrolls `name` from photos: the largest face of each. Images with no face, unreadable images, repeats of
 * a picture already enrolled for this person, and faces that already belong to another identity (unless
 * `force`) are not enrolled and are reported, each with its reason. Nothing already in the gallery changes
 * when no image is enrolled. Throws "enroll: the identity name is empty" for a blank name.
 */
export async function enrollFromPhotos(
  models: EnrollmentModels,
  name: string,
  images: readonly ImageInput[],
  options: EnrollOptions = {},
): Promise<EnrollReport> {
  const { config, analyzer, gallery } = models;
  const trimmed = enrollmentName(name);
  // One outcome per input image, in input order.
  const outcomes: EnrollOutcome[] = [];
  const found: {
    index: number;
    label: string;
    source?: string;
    vector: Float32Array;
    aligned: RgbImage;
  }[] = [];
  for (let i = 0; i < images.length; i++) {
    const input = images[i] as ImageInput;
    const label = photoLabel(input, i);
    let face: Awaited<ReturnType<typeof embedLargestFace>>;
    try {
      face = await embedLargestFace(analyzer, input, analyzeOptionsFrom(config), {
        maxPixels: config.limits.max_image_pixels,
      });
    } catch (error) {
      outcomes[i] = { image: label, status: "error", reason: (error as Error).message };
      continue;
    }
    if (!face) {
      outcomes[i] = { image: label, status: "no_face" };
      continue;
    }
    const source = typeof input === "string" ? input : undefined;
    found.push({ index: i, label, source, vector: face.face.embedding, aligned: face.face.aligned });
  }

  const decisions = await reviewEnrollment(
    gallery,
    config,
    trimmed,
    found.map((f) => f.vector),
    options,
  );
  const accepted: typeof found = [];
  found.forEach((f, k) => {
    const d = decisions[k];
    if (d?.status === "conflict") {
      const { reason, otherIdentity, similarity } = d;
      outcomes[f.index] = { image: f.label, status: "conflict", reason, otherIdentity, similarity };
    } else if (d?.status === "duplicate") {
      outcomes[f.index] = { image: f.label, status: "duplicate", reason: d.reason };
    } else accepted.push(f);
  });
  if (accepted.length === 0) {
    const existing = await gallery.get(trimmed);
    return { name: trimmed, identityId: existing?.id, created: false, enrolled: 0, outcomes };
  }
  const embeddings = [];
  for (const a of accepted) {
    const thumbnail = config.enroll.thumbnails ? await encodeJpeg(a.aligned, 85) : undefined;
    embeddings.push({ vector: a.vector, source: a.source, thumbnail });
  }
  const enrolled = await enrollAccepted(gallery, trimmed, embeddings, options.attributes);
  accepted.forEach((a, k) => {
    outcomes[a.index] = {
      image: a.label,
      status: "enrolled",
      embeddingId: enrolled.embeddingIds[k] as string,
    };
  });
  return {
    name: trimmed,
    identityId: enrolled.identityId,
    created: enrolled.created,
    enrolled: accepted.length,
    outcomes,
  };
}
