import { alignFace } from "./align.ts";
import { type Detection, type DetectOptions, FaceDetector } from "./detector.ts";
import { FaceEmbedder } from "./embedder.ts";
import type { Box, Point } from "./geometry.ts";
import type { RgbImage } from "./image.ts";
import { fivePoints, LandmarkModel } from "./landmarks.ts";
import type { RuntimeOptions } from "./onnx-session.ts";

export interface AnalyzedFace {
  box: Box;
  score: number;
  /** 5 points: left eye, right eye, nose tip, left and right mouth corners (image pixels). */
  landmarks: Point[];
  /** 112×112 aligned crop. */
  aligned: RgbImage;
  /** L2-normalised embedding (absent when not requested). */
  embedding?: Float32Array;
}

/** Milliseconds spent per stage, accumulated over calls. */
export interface StageTimes {
  detect: number;
  landmarks: number;
  align: number;
  embed: number;
}

export const emptyStageTimes = (): StageTimes => ({ detect: 0, landmarks: 0, align: 0, embed: 0 });

export interface AnalyzeOptions extends DetectOptions {
  /** Compute embeddings (default true). */
  embed?: boolean;
  /** Only the largest face. */
  largestOnly?: boolean;
  /**
   * Only the faces this returns of the detections (e.g. a photo's subject, photo-subject.ts): landmarks,
   * alignment and embedding run for those alone.
   */
  pick?: (detections: Detection[]) => Detection[];
}

const area = (d: Detection) => (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]);

/**
 * The per-image face stages in one object: detect → 68 landmarks → 5 points → aligned crop → embedding.
 * The three model sessions are created once and reused.
 */
export class FaceAnalyzer {
  readonly detector: FaceDetector;
  readonly landmarks: LandmarkModel;
  readonly #embedder: FaceEmbedder | undefined;
  readonly times: StageTimes = emptyStageTimes();

  private constructor(detector: FaceDetector, landmarks: LandmarkModel, embedder: FaceEmbedder | undefined) {
    this.detector = detector;
    this.landmarks = landmarks;
    this.#embedder = embedder;
  }

  /**
   * Loads the models. `embedder: false` leaves the embedding model out (detect workers only find faces
   * and align them: one model fewer to load and hold per worker).
   */
  static async create(
    options: RuntimeOptions = {},
    models: { embedder?: boolean } = {},
  ): Promise<FaceAnalyzer> {
    const [d, l, e] = await Promise.all([
      FaceDetector.create(options),
      LandmarkModel.create(options),
      models.embedder === false ? undefined : FaceEmbedder.create(options),
    ]);
    return new FaceAnalyzer(d, l, e);
  }

  get embedder(): FaceEmbedder {
    if (!this.#embedder) throw new Error("this FaceAnalyzer was created without its embedder");
    return this.#embedder;
  }

  async analyze(image: RgbImage, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
    let t = performance.now();
    let detections = await this.detector.detect(image, options);
    if (options.largestOnly && detections.length > 1) {
      detections = [detections.reduce((best, d) => (area(d) > area(best) ? d : best))];
    }
    if (options.pick) detections = options.pick(detections);
    t = this.#lap("detect", t);
    const faces: AnalyzedFace[] = [];
    for (const d of detections) {
      const five = fivePoints(await this.landmarks.predict(image, d.box));
      t = this.#lap("landmarks", t);
      const aligned = alignFace(image, five);
      t = this.#lap("align", t);
      const face: AnalyzedFace = { box: d.box, score: d.score, landmarks: five, aligned };
      if (options.embed !== false) {
        face.embedding = await this.embedder.embed(aligned);
        t = this.#lap("embed", t);
      }
      faces.push(face);
    }
    return faces;
  }

  #lap(stage: keyof StageTimes, since: number): number {
    const now = performance.now();
    this.times[stage] += now - since;
    return now;
  }
}
