/**
 * Enrolling a person from photos: decode each photo, take its subject (the large face covering the image
 * centre, else the largest; or the face the caller picks: vision's photo-subject.ts) and embed it, apply
 * the enrollment policy (enrollment-policy.ts), store the accepted faces (with their aligned crops as
 * thumbnails when `enroll.thumbnails`) and report one outcome per photo. Used by FaceRecognizer.enroll
 * and by the gRPC api's Enroll; embedPhotoFace is also what `verify` compares.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { Attributes, Gallery } from "@facetracker/gallery";
import {
  type AnalyzedFace,
  type AnalyzeOptions,
  type Box,
  type ChosenBy,
  choosePhotoFace,
  type DecodeImageOptions,
  decodeImage,
  encodeJpeg,
  type FaceAnalyzer,
  type FaceChoice,
  type ImageInput,
  type PhotoSubject,
  type RgbImage,
} from "@facetracker/vision";
import {
  type EnrollmentCandidate,
  enrollAccepted,
  enrollmentName,
  enrollmentQuality,
  reviewEnrollment,
} from "./enrollment-policy.ts";
import { analyzeOptionsFrom } from "./options-from-config.ts";

export interface EnrollOptions {
  attributes?: Attributes;
  /**
   * Enroll even when a face is below the quality bar, matches another identity, or does not look like the
   * other faces of this name (a repeat of a picture already enrolled is refused all the same).
   */
  force?: boolean;
  /** Which face of each photo: default the photo's subject (see embedPhotoFace). */
  face?: FaceChoice;
}

/** Which face of a photo was taken: its number (1-based, left to right), of how many, how, and its box. */
export interface PhotoFaceChoice {
  index: number;
  count: number;
  chosenBy: ChosenBy;
  /** [x1, y1, x2, y2], pixels of the (EXIF-rotated) photo. */
  box: Box;
}

/** What happened to one photo (or one video track's embedding); `face`: which face of the photo was taken. */
export type EnrollOutcome =
  | { image: string; status: "enrolled"; embeddingId: string; face?: PhotoFaceChoice }
  | { image: string; status: "no_face" }
  | { image: string; status: "poor_quality"; reason: string; problems: string[]; face?: PhotoFaceChoice }
  | { image: string; status: "duplicate"; reason: string; face?: PhotoFaceChoice }
  | {
      image: string;
      status: "conflict";
      reason: string;
      otherIdentity: string;
      similarity: number;
      face?: PhotoFaceChoice;
    }
  | {
      image: string;
      status: "mismatch";
      reason: string;
      /** The face kept for the name that this one is most like (a photo of the batch or an enrolled face). */
      closest: string;
      similarity: number;
      face?: PhotoFaceChoice;
    }
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

/** The face taken from a photo, embedded, with the decoded photo and how the face was chosen. */
export interface PhotoFace {
  face: AnalyzedFace & { embedding: Float32Array };
  decoded: RgbImage;
  choice: PhotoFaceChoice;
}

/**
 * The face `verify` and `enroll` take from a photo, embedded: its subject (the large face covering the
 * image centre, else the largest: vision's choosePhotoFace), or the face `choice` names. Undefined when
 * the photo has no face; throws FaceChoiceError when `choice` names no face of it. Landmarks and the
 * embedding are computed for that face only. `decode` bounds the image's size (limits.max_image_pixels).
 */
export async function embedPhotoFace(
  analyzer: FaceAnalyzer,
  image: ImageInput,
  options: AnalyzeOptions,
  decode: DecodeImageOptions = {},
  choice?: FaceChoice,
): Promise<PhotoFace | undefined> {
  const decoded = await decodeImage(image, undefined, decode);
  let subject: PhotoSubject<{ box: Box }> | undefined;
  const [face] = await analyzer.analyze(decoded, {
    ...options,
    embed: true,
    pick: (detections) => {
      subject = choosePhotoFace(detections, decoded, choice);
      return subject ? [subject.face as (typeof detections)[number]] : [];
    },
  });
  if (!face?.embedding || !subject) return undefined;
  const { index, count, chosenBy } = subject;
  return {
    face: face as AnalyzedFace & { embedding: Float32Array },
    decoded,
    choice: { index, count, chosenBy, box: face.box },
  };
}

/**
 * Enrolls `name` from photos: the subject of each (or the face `options.face` picks, see embedPhotoFace).
 * Images with no face, unreadable images, a face choice that names no face, and the faces the enrollment
 * policy refuses (below the quality bar, another identity's, a repeat, unlike the other faces of this name:
 * enrollment-policy.ts) are not enrolled and are reported, each with its reason. Nothing already in the
 * gallery changes when no image is enrolled. Throws "enroll: the identity name is empty" for a blank name.
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
  const found: (EnrollmentCandidate & {
    index: number;
    source?: string;
    aligned: RgbImage;
    face: PhotoFaceChoice;
  })[] = [];
  for (let i = 0; i < images.length; i++) {
    const input = images[i] as ImageInput;
    const label = photoLabel(input, i);
    let taken: PhotoFace | undefined;
    try {
      taken = await embedPhotoFace(
        analyzer,
        input,
        analyzeOptionsFrom(config),
        { maxPixels: config.limits.max_image_pixels },
        options.face,
      );
    } catch (error) {
      outcomes[i] = { image: label, status: "error", reason: (error as Error).message };
      continue;
    }
    if (!taken) {
      outcomes[i] = { image: label, status: "no_face" };
      continue;
    }
    const { face, choice } = taken;
    found.push({
      index: i,
      label,
      source: typeof input === "string" ? input : undefined,
      vector: face.embedding,
      quality: enrollmentQuality(config, face),
      aligned: face.aligned,
      face: choice,
    });
  }

  const decisions = await reviewEnrollment(gallery, config, trimmed, found, options);
  const accepted: typeof found = [];
  found.forEach((f, k) => {
    const d = decisions[k];
    const [image, face] = [f.label, f.face];
    if (d?.status === "poor_quality")
      outcomes[f.index] = { image, status: d.status, reason: d.reason, problems: d.problems, face };
    else if (d?.status === "conflict") {
      const { status, reason, otherIdentity, similarity } = d;
      outcomes[f.index] = { image, status, reason, otherIdentity, similarity, face };
    } else if (d?.status === "duplicate")
      outcomes[f.index] = { image, status: d.status, reason: d.reason, face };
    else if (d?.status === "mismatch") {
      const { status, reason, closest, similarity } = d;
      outcomes[f.index] = { image, status, reason, closest, similarity, face };
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
      face: a.face,
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
