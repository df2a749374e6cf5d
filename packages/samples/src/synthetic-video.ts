/**
 * Synthetic videos with ground truth, for the demo camera and the tracking tests: real face photos (the
 * registry sample photos) pasted on a background along known paths, encoded by ffmpeg (libx264). The truth
 * box of each face on each frame follows from its path and from where the detector finds the face inside
 * its picture.
 */
import { VideoWriter } from "@facetracker/media";
import {
  type Box,
  cropImage,
  decodeImage,
  type FaceAnalyzer,
  type RgbImage,
  resizeToTensor,
} from "@facetracker/vision";

export interface Actor {
  name: string;
  /** The face picture pasted on the frames. */
  picture: RgbImage;
  /** The face box inside `picture` (as the detector sees it). */
  faceInPicture: Box;
  /** Top-left corner of the picture on frame f, or null when the actor is absent. */
  position: (frame: number) => [number, number] | null;
}

export interface TruthFrame {
  actor: string;
  box: Box;
  /** The whole picture is inside the frame and no later-drawn picture overlaps its face. */
  visible: boolean;
}

/** Crops the face at `box` with a margin and scales the crop so the face is about `faceWidth` px wide. */
export function facePicture(image: RgbImage, box: Box, faceWidth: number): RgbImage {
  const [x1, y1, x2, y2] = box;
  const m = 0.45 * (x2 - x1);
  const crop = cropImage(image, [x1 - m, y1 - m, x2 + m, y2 + m]);
  const scale = faceWidth / (x2 - x1);
  const width = Math.round(crop.width * scale);
  const height = Math.round(crop.height * scale);
  const t = resizeToTensor(crop, [0, 0, crop.width, crop.height], width, height, 0, 1);
  const data = new Uint8Array(width * height * 3);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    data[i * 3] = Math.round(t[i] as number);
    data[i * 3 + 1] = Math.round(t[plane + i] as number);
    data[i * 3 + 2] = Math.round(t[2 * plane + i] as number);
  }
  return { width, height, data };
}

/** A soft vertical gradient background. */
export function background(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const v = 70 + Math.round((60 * y) / height);
    for (let x = 0; x < width; x++) data.set([v, v + 10, v + 25], (y * width + x) * 3);
  }
  return { width, height, data };
}

function paste(frame: RgbImage, picture: RgbImage, left: number, top: number): void {
  for (let y = 0; y < picture.height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= frame.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(picture.width, frame.width - left);
    if (x1 <= x0) continue;
    const src = picture.data.subarray((y * picture.width + x0) * 3, (y * picture.width + x1) * 3);
    frame.data.set(src, (fy * frame.width + left + x0) * 3);
  }
}

const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Where the detector finds the face inside a picture, for the truth boxes: the picture is pasted in the
 * middle of a background frame of the scene's size (as the tracker will see it) and detected there.
 */
export async function locateFace(
  analyzer: FaceAnalyzer,
  picture: RgbImage,
  width = 640,
  height = 360,
  tiling: "auto" | "off" = "off",
): Promise<Box> {
  const frame = background(width, height);
  const left = Math.round((width - picture.width) / 2);
  const top = Math.round((height - picture.height) / 2);
  paste(frame, picture, left, top);
  const [face] = await analyzer.analyze(frame, {
    embed: false,
    largestOnly: true,
    scoreThreshold: 0.5,
    tiling,
  });
  if (!face) throw new Error("no face found in an actor's picture");
  return [face.box[0] - left, face.box[1] - top, face.box[2] - left, face.box[3] - top];
}

/** Multiplies every pixel by `gain` (clamped to 0…255), in place. */
function light(frame: RgbImage, gain: number): void {
  const { data } = frame;
  for (let i = 0; i < data.length; i++) {
    const v = (data[i] as number) * gain;
    data[i] = Math.min(v, 255);
  }
}

/**
 * Renders the scene to an MP4 and returns the truth per frame. Actors are drawn in array order.
 * `lighting` gives a gain applied to the whole of frame f (a light drifting, a cloud); default none.
 */
export async function renderScene(
  file: string,
  options: {
    width: number;
    height: number;
    fps: number;
    frames: number;
    actors: Actor[];
    lighting?: (frame: number) => number;
  },
): Promise<TruthFrame[][]> {
  const { width, height, fps, frames, actors, lighting } = options;
  const bg = background(width, height);
  const writer = await VideoWriter.open(file, { width, height, fps, crf: 18 });
  const truth: TruthFrame[][] = [];
  try {
    for (let f = 0; f < frames; f++) {
      const frame: RgbImage = { width, height, data: Uint8Array.from(bg.data) };
      const placed: { actor: Actor; pic: Box; face: Box }[] = [];
      for (const actor of actors) {
        const pos = actor.position(f);
        if (!pos) continue;
        const [left, top] = [Math.round(pos[0]), Math.round(pos[1])];
        paste(frame, actor.picture, left, top);
        const fb = actor.faceInPicture;
        placed.push({
          actor,
          pic: [left, top, left + actor.picture.width, top + actor.picture.height],
          face: [fb[0] + left, fb[1] + top, fb[2] + left, fb[3] + top],
        });
      }
      truth.push(
        placed.map((p, i) => ({
          actor: p.actor.name,
          box: p.face,
          visible:
            p.pic[0] >= 0 &&
            p.pic[1] >= 0 &&
            p.pic[2] <= width &&
            p.pic[3] <= height &&
            !placed.slice(i + 1).some((later) => overlaps(later.pic, p.face)),
        })),
      );
      const gain = lighting?.(f) ?? 1;
      if (gain !== 1) light(frame, gain);
      await writer.write(frame);
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return truth;
}

/** Loads the face pictures of the registry sample photos: [sample, face index from the left]. */
export async function sampleFaces(
  analyzer: FaceAnalyzer,
  samples: string[],
  picks: [number, number][],
  faceWidth: number,
): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for (const [s, i] of picks) {
    const image = await decodeImage(samples[s] as string);
    const faces = (await analyzer.analyze(image, { embed: false })).sort((a, b) => a.box[0] - b.box[0]);
    const face = faces[i];
    if (!face) throw new Error(`sample ${s + 1} has no face ${i}`);
    out.push(facePicture(image, face.box, faceWidth));
  }
  return out;
}
