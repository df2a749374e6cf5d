/**
 * The `--face N` / `--box x,y,w,h` options of `verify` and `enroll` (which face of a photo to take instead
 * of its subject), and how the face taken is described in their text output.
 */

import { type FaceChoice, type PhotoFaceChoice, parseFaceBox } from "@facetracker/sdk";
import { CliError } from "./cli-error.ts";

/** The face choice of a pair of options (e.g. --face and --box); undefined when neither is given. */
export function faceChoiceFrom(
  face: string | undefined,
  box: string | undefined,
  names: { face: string; box: string },
  usage: string,
): FaceChoice | undefined {
  if (face !== undefined && box !== undefined)
    throw new CliError(`${names.face} and ${names.box} both pick a face: give one\nusage: ${usage}`, 2);
  if (face !== undefined) {
    const index = Number(face);
    if (!Number.isInteger(index) || index < 1)
      throw new CliError(
        `${names.face}: expected a face number (1, 2, … from left to right), got '${face}'`,
        2,
      );
    return { index };
  }
  if (box !== undefined) {
    try {
      return { box: parseFaceBox(box) };
    } catch (error) {
      throw new CliError(`${names.box}: ${(error as Error).message}`, 2);
    }
  }
  return undefined;
}

const HOW: Record<PhotoFaceChoice["chosenBy"], string> = {
  only: "its only face",
  centre: "the large face at the centre",
  largest: "the largest face",
  index: "as asked",
  box: "the face in the box",
};

/** "face 2 of 3 (the large face at the centre)"; "" for a photo's only face, which needs no saying. */
export function describeFaceChoice(choice: PhotoFaceChoice): string {
  if (choice.chosenBy === "only") return "";
  return `face ${choice.index} of ${choice.count} (${HOW[choice.chosenBy]})`;
}

/** The face taken, as `--json` reports it: number (1-based, left to right), count, how, box [x1, y1, x2, y2]. */
export function faceChoiceJson(choice: PhotoFaceChoice | null | undefined) {
  if (!choice) return null;
  return {
    index: choice.index,
    count: choice.count,
    chosen_by: choice.chosenBy,
    box: choice.box.map((v) => Number(v.toFixed(1))),
  };
}
