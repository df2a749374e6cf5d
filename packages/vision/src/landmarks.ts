import type { Box, Point } from "./geometry.ts";
import { loadPixels, type RgbImage } from "./image.ts";
import { createSession, type RuntimeOptions, type Session, Tensor } from "./onnx-session.ts";
import { resizeGreyToTensor } from "./sampling.ts";

const SIZE = 64;

/** 68-point landmark model on a 64×64 grey crop of the face box. */
export class LandmarkModel {
  readonly #session: Session;

  private constructor(session: Session) {
    this.#session = session;
  }

  static async create(options: RuntimeOptions = {}): Promise<LandmarkModel> {
    return new LandmarkModel(await createSession("landmarks", options));
  }

  /** The 68 landmarks of the face in `box`, in image pixels (a frame that defers its pixels is decoded). */
  async predict(image: RgbImage, box: Box): Promise<Point[]> {
    await loadPixels(image);
    const crop = landmarkCrop(box, image.width, image.height);
    // A fresh input per call: onnxruntime runs asynchronously (see FaceDetector.candidates).
    const input = new Float32Array(SIZE * SIZE);
    resizeGreyToTensor(image, crop, SIZE, SIZE, 256, input);
    const out = await this.#session.run({ input: new Tensor("float32", input, [1, 1, SIZE, SIZE]) });
    const xy = out.output?.data as Float32Array;
    if (xy?.length !== 136) throw new Error("landmarks: unexpected output shape");
    const w = crop[2] - crop[0];
    const h = crop[3] - crop[1];
    const points: Point[] = [];
    for (let i = 0; i < 68; i++)
      points.push([crop[0] + (xy[2 * i] as number) * w, crop[1] + (xy[2 * i + 1] as number) * h]);
    return points;
  }
}

/** The face box kept inside the image (shifted, not shrunk, where it crosses an edge), as the model expects. */
export function landmarkCrop(box: Box, width: number, height: number): Box {
  let [x1, y1, x2, y2] = box;
  const w = Math.min(x2 - x1, width - 1);
  const h = Math.min(y2 - y1, height - 1);
  if (x1 < 0) [x1, x2] = [0, w];
  if (y1 < 0) [y1, y2] = [0, h];
  if (x2 > width - 1) [x1, x2] = [width - 1 - w, width - 1];
  if (y2 > height - 1) [y1, y2] = [height - 1 - h, height - 1];
  return [x1, y1, x2, y2];
}

const mean = (pts: Point[], idx: number[]): Point => {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += (pts[i] as Point)[0];
    y += (pts[i] as Point)[1];
  }
  return [x / idx.length, y / idx.length];
};

/**
 * 68 → 5 points in ArcFace order: left eye, right eye (means of the eye contours), nose tip (30),
 * left mouth corner (mean of 48 and 60), right mouth corner (mean of 54 and 64).
 */
export function fivePoints(pts: Point[]): Point[] {
  if (pts.length !== 68) throw new Error(`expected 68 landmarks, got ${pts.length}`);
  return [
    mean(pts, [36, 37, 38, 39, 40, 41]),
    mean(pts, [42, 43, 44, 45, 46, 47]),
    pts[30] as Point,
    mean(pts, [48, 60]),
    mean(pts, [54, 64]),
  ];
}
