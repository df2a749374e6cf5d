import { type Box, nms } from "./geometry.ts";
import { detectionCopyOf, loadPixels, type RgbImage } from "./image.ts";
import { createSession, type RuntimeOptions, type Session, Tensor } from "./onnx-session.ts";
import { imageToTensor, resizeToTensor } from "./sampling.ts";
import { DEFAULT_TILING, keepTileDetection, planTiles, shouldTile, type TilingOptions } from "./tiling.ts";

export interface Detection {
  box: Box;
  score: number;
}

export interface DetectOptions {
  /** Minimum face probability (0..1). */
  scoreThreshold?: number;
  /** IoU above which overlapping boxes are merged by NMS. */
  nmsThreshold?: number;
  /** Faces smaller than this (min of width and height, px) are dropped. */
  minFaceSize?: number;
  /** Region of interest [x1,y1,x2,y2] in image pixels; default the whole image. */
  roi?: Box;
  /** At most this many faces, best first. */
  maxFaces?: number;
  /** Tiled detection for small faces in large frames: "auto" tiles regions above 1280×720. Default "off". */
  tiling?: "auto" | "off" | TilingOptions;
}

export const DETECTOR_INPUT = { width: 320, height: 240 } as const;
const ANCHORS = 4420;

export const DEFAULT_DETECT: Required<Omit<DetectOptions, "roi">> = {
  scoreThreshold: 0.7,
  nmsThreshold: 0.4,
  minFaceSize: 0,
  maxFaces: 200,
  tiling: "off",
};

/** UltraFace-style detector (fixed 320×240 input): face boxes and scores. */
export class FaceDetector {
  readonly #session: Session;
  /**
   * Input tensors free for a call. Each call has its own while the model reads it (onnxruntime runs
   * asynchronously: a buffer shared by concurrent calls mixed two frames' faces), given back once its run
   * is over: no 0.9 MB allocation a frame (garbage the collector would have to sweep).
   */
  readonly #inputs: Float32Array<ArrayBuffer>[] = [];

  private constructor(session: Session) {
    this.#session = session;
  }

  static async create(options: RuntimeOptions = {}): Promise<FaceDetector> {
    return new FaceDetector(await createSession("detector", options));
  }

  /**
   * Raw candidates above the score threshold in image pixels, before NMS (for tiled detection). The whole
   * frame is read from its detection copy when it has one (no resampling here); anything else from its
   * pixels (decoded first when the frame defers them).
   */
  async candidates(image: RgbImage, roi: Box, scoreThreshold: number): Promise<Detection[]> {
    const { width: W, height: H } = DETECTOR_INPUT;
    const copy = detectionCopyOf(image, W, H);
    const whole = roi[0] === 0 && roi[1] === 0 && roi[2] === image.width && roi[3] === image.height;
    if (!(copy && whole)) await loadPixels(image);
    const input = this.#inputs.pop() ?? new Float32Array(3 * W * H);
    let out: Awaited<ReturnType<Session["run"]>>;
    try {
      if (copy && whole) imageToTensor(copy, 127, 128, input);
      else resizeToTensor(image, roi, W, H, 127, 128, input);
      out = await this.#session.run({ input: new Tensor("float32", input, [1, 3, H, W]) });
    } finally {
      this.#inputs.push(input);
    }
    const scores = out.scores?.data as Float32Array;
    const boxes = out.boxes?.data as Float32Array;
    if (!scores || !boxes || scores.length !== ANCHORS * 2)
      throw new Error("detector: unexpected output shape");
    const rw = roi[2] - roi[0];
    const rh = roi[3] - roi[1];
    const found: Detection[] = [];
    for (let i = 0; i < ANCHORS; i++) {
      const score = scores[i * 2 + 1] as number;
      if (score < scoreThreshold) continue;
      const x1 = roi[0] + (boxes[i * 4] as number) * rw;
      const y1 = roi[1] + (boxes[i * 4 + 1] as number) * rh;
      const x2 = roi[0] + (boxes[i * 4 + 2] as number) * rw;
      const y2 = roi[1] + (boxes[i * 4 + 3] as number) * rh;
      found.push({
        box: [
          Math.max(0, Math.min(x1, image.width)),
          Math.max(0, Math.min(y1, image.height)),
          Math.max(0, Math.min(x2, image.width)),
          Math.max(0, Math.min(y2, image.height)),
        ],
        score,
      });
    }
    return found;
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
    const o = { ...DEFAULT_DETECT, ...options };
    const roi: Box = options.roi ?? [0, 0, image.width, image.height];
    const tiling =
      o.tiling === "auto"
        ? shouldTile(roi)
          ? DEFAULT_TILING
          : undefined
        : o.tiling === "off"
          ? undefined
          : o.tiling;
    const raw = await this.candidates(image, roi, o.scoreThreshold);
    if (tiling) {
      const whole = suppress(raw, o.nmsThreshold, 0, Number.POSITIVE_INFINITY);
      for (const tile of planTiles(roi, tiling)) {
        for (const d of await this.candidates(image, tile, o.scoreThreshold)) {
          if (keepTileDetection(d.box, tile, roi, whole)) raw.push(d);
        }
      }
    }
    return suppress(raw, o.nmsThreshold, o.minFaceSize, o.maxFaces);
  }
}

/** NMS, then the minimum-size filter; best first. */
export function suppress(
  raw: Detection[],
  nmsThreshold: number,
  minFaceSize: number,
  maxFaces: number,
): Detection[] {
  const kept = nms(
    raw.map((d) => d.box),
    raw.map((d) => d.score),
    nmsThreshold,
  );
  const result: Detection[] = [];
  for (const i of kept) {
    const d = raw[i] as Detection;
    if (Math.min(d.box[2] - d.box[0], d.box[3] - d.box[1]) < Math.max(1, minFaceSize)) continue;
    result.push(d);
    if (result.length >= maxFaces) break;
  }
  return result;
}
