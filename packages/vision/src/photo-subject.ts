/**
 * The subject of a photo: which of its faces `verify` and `enroll` take (CLI, library, gRPC), the one rule
 * for every path.
 *
 * Without a choice, the subject is **the large face that covers the image centre, else the largest face**:
 *
 * - *covers the image centre*: the face's box contains the centre point of the image. Whoever takes a
 *   portrait frames its subject in the middle; a bystander is beside it, and may well be larger (nearer
 *   the camera, or a blurred background "face" the detector finds in a crowd: in the shared pair images,
 *   img41.jpg's largest detection is such a blur, 15 % larger than the subject's face at the centre).
 * - *large*: its area is at least {@link SUBJECT_MIN_AREA_FRACTION} (a quarter) of the largest face's, i.e.
 *   at least half as wide. People photographed together are about as far from the camera, so their faces
 *   differ in width by much less than 2×; a face less than half as wide as the largest is someone in the
 *   background who happens to stand behind the centre (between two people in front), not the subject.
 * - When several large faces cover the centre (overlapping boxes), the largest of them; when none does, the
 *   largest face of the photo (the rule `verify` and `enroll` followed before).
 *
 * A caller can pick another face: by number (`{ index: N }`, faces numbered 1, 2, … from left to right by
 * the centre of their box, top to bottom for equal centres), or by a box (`{ box }`: the detected face
 * whose box centre lies inside it, the one overlapping it most when several do).
 */

import { type Box, boxArea, iou } from "./geometry.ts";

/** A face counts as large when its area is at least this fraction of the largest face's (half as wide). */
export const SUBJECT_MIN_AREA_FRACTION = 0.25;

/** Another face than the subject: by number (1-based, left to right) or by a box in image pixels. */
export type FaceChoice = { index: number } | { box: Box };

/**
 * How the face was chosen: the photo's only face, the large face covering the centre, the largest face
 * (none large covered the centre), or the caller's number or box.
 */
export type ChosenBy = "only" | "centre" | "largest" | "index" | "box";

/** The face taken from a photo and how. */
export interface PhotoSubject<T> {
  face: T;
  /** Its number among the photo's faces, 1-based, left to right. */
  index: number;
  /** How many faces the photo has. */
  count: number;
  chosenBy: ChosenBy;
}

/** A face choice that names no face of the photo (a number out of range, a box around no face). */
export class FaceChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FaceChoiceError";
  }
}

const centreX = (b: Box) => (b[0] + b[2]) / 2;
const centreY = (b: Box) => (b[1] + b[3]) / 2;
const contains = (b: Box, x: number, y: number) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

/** The faces numbered as a choice counts them: left to right by box centre (top to bottom on ties). */
export function facesInReadingOrder<T extends { box: Box }>(faces: readonly T[]): T[] {
  return [...faces].sort((a, b) => centreX(a.box) - centreX(b.box) || centreY(a.box) - centreY(b.box));
}

/**
 * The face to take from a photo of `size` (pixels) with these detected faces: the subject (see the module
 * comment), or the face `choice` names. Undefined when the photo has no face; throws FaceChoiceError when
 * `choice` names no face of it.
 */
export function choosePhotoFace<T extends { box: Box }>(
  faces: readonly T[],
  size: { width: number; height: number },
  choice?: FaceChoice,
): PhotoSubject<T> | undefined {
  if (faces.length === 0) return undefined;
  const ordered = facesInReadingOrder(faces);
  const count = ordered.length;
  const taken = (face: T, chosenBy: ChosenBy): PhotoSubject<T> => ({
    face,
    index: ordered.indexOf(face) + 1,
    count,
    chosenBy,
  });
  const numbered = `the photo has ${count} face${count === 1 ? "" : "s"}${count > 1 ? ` (numbered 1–${count} from left to right)` : ""}`;
  if (choice && "index" in choice) {
    const face = ordered[choice.index - 1];
    if (!Number.isInteger(choice.index) || !face)
      throw new FaceChoiceError(`face ${choice.index} asked for, but ${numbered}`);
    return taken(face, "index");
  }
  if (choice && "box" in choice) {
    const inside = ordered.filter((f) => contains(choice.box, centreX(f.box), centreY(f.box)));
    if (inside.length === 0) {
      const boxes = ordered.map((f, i) => `${i + 1}: ${formatBox(f.box)}`).join("; ");
      throw new FaceChoiceError(`no face in the box ${formatBox(choice.box)}: ${numbered} (${boxes})`);
    }
    const best = inside.reduce((a, b) => (iou(b.box, choice.box) > iou(a.box, choice.box) ? b : a));
    return taken(best, "box");
  }
  if (count === 1) return taken(ordered[0] as T, "only");
  const largest = ordered.reduce((a, b) => (boxArea(b.box) > boxArea(a.box) ? b : a));
  const minArea = SUBJECT_MIN_AREA_FRACTION * boxArea(largest.box);
  const [cx, cy] = [size.width / 2, size.height / 2];
  const central = ordered.filter((f) => boxArea(f.box) >= minArea && contains(f.box, cx, cy));
  if (central.length === 0) return taken(largest, "largest");
  return taken(
    central.reduce((a, b) => (boxArea(b.box) > boxArea(a.box) ? b : a)),
    "centre",
  );
}

/** A box as `x,y,w,h` (rounded pixels), the form a choice by box is written in. */
export function formatBox(b: Box): string {
  return [b[0], b[1], b[2] - b[0], b[3] - b[1]].map((v) => Math.round(v)).join(",");
}

/**
 * Reads a box written `x,y,w,h` (left, top, width, height in image pixels) into [x1, y1, x2, y2]; throws an
 * Error saying what is wrong.
 */
export function parseFaceBox(text: string): Box {
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.length !== 4 || parts.some((p) => p === "") || values.some((v) => !Number.isFinite(v)))
    throw new Error(`expected a box x,y,w,h (pixels), got '${text}'`);
  const [x, y, w, h] = values as [number, number, number, number];
  if (w <= 0 || h <= 0) throw new Error(`the box '${text}' has no area (width and height must be > 0)`);
  return [x, y, x + w, y + h];
}
