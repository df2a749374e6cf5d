import type { FaceTrackerConfig } from "@facetracker/config";
import {
  type AnalyzeOptions,
  alignFace,
  type Box,
  type Detection,
  type FaceAnalyzer,
  fivePoints,
  type Point,
  type RgbImage,
  SceneChangeDetector,
  sceneThumbnail,
} from "@facetracker/vision";
import { trackingDetectOptions } from "./options-from-config.ts";

export interface DetectedFace {
  box: Box;
  score: number;
  /** 5 landmarks (ArcFace order). */
  landmarks: Point[];
  /** 112×112 aligned crop, raw RGB24. */
  alignedRgb: Uint8Array;
}

export interface DetectOutput {
  faces: DetectedFace[];
  /** The frame starts a new shot on this camera. */
  sceneCut: boolean;
}

/**
 * Detect stage: a frame → its faces with landmarks and aligned crops (so embed workers never need whole
 * frames), down to the tracker's low score threshold, and whether the frame starts a new shot. One
 * instance serves many cameras (shot cuts are tracked per camera). The services compute every face's
 * landmarks and crop at once (faces); an in-process run (TrackingRun) takes the detections alone and
 * computes landmarks and crops of only the faces due for an embedding (detections, landmarks, align).
 */
export class DetectStage {
  readonly #analyzer: FaceAnalyzer;
  readonly #options: AnalyzeOptions;
  readonly #scenes = new CameraSceneCuts();

  constructor(analyzer: FaceAnalyzer, config: FaceTrackerConfig) {
    this.#analyzer = analyzer;
    this.#options = trackingDetectOptions(config);
  }

  async run(camera: string, frame: RgbImage): Promise<DetectOutput> {
    const sceneCut = this.sceneCut(camera, frame);
    return { faces: await this.faces(frame), sceneCut };
  }

  /** Whether the frame starts a new shot on this camera: call it for a camera's frames in order. */
  sceneCut(camera: string, frame: RgbImage): boolean {
    return this.sceneCutThumbnail(camera, sceneThumbnail(frame));
  }

  /** sceneCut for a frame already reduced by sceneThumbnail (in a detect worker thread). */
  sceneCutThumbnail(camera: string, thumbnail: Float32Array): boolean {
    return this.#scenes.isCut(camera, thumbnail);
  }

  /** The frame's faces with their landmarks and aligned crops (any order of calls: no per-camera state). */
  async faces(frame: RgbImage): Promise<DetectedFace[]> {
    const faces: DetectedFace[] = [];
    for (const d of await this.detections(frame)) {
      const landmarks = await this.landmarks(frame, d.box);
      faces.push({ box: d.box, score: d.score, landmarks, alignedRgb: this.align(frame, landmarks).data });
    }
    return faces;
  }

  /** The frame's face boxes and scores alone, down to the tracker's low score threshold. */
  detections(frame: RgbImage): Promise<Detection[]> {
    return this.#analyzer.detector.detect(frame, this.#options);
  }

  /** The 5 landmarks (ArcFace order) of the face in `box`. */
  async landmarks(frame: RgbImage, box: Box): Promise<Point[]> {
    return fivePoints(await this.#analyzer.landmarks.predict(frame, box));
  }

  /** The 112×112 aligned crop of the face with these landmarks. */
  align(frame: RgbImage, landmarks: Point[]): RgbImage {
    return alignFace(frame, landmarks);
  }

  /** Forgets a camera (removed from the registry). */
  forget(camera: string): void {
    this.#scenes.forget(camera);
  }
}

/** Shot-cut detection of many cameras: one SceneChangeDetector each, fed the camera's frames in order. */
export class CameraSceneCuts {
  readonly #scenes = new Map<string, SceneChangeDetector>();

  /** Whether this frame (its sceneThumbnail) starts a new shot on the camera. */
  isCut(camera: string, thumbnail: Float32Array): boolean {
    let scenes = this.#scenes.get(camera);
    if (!scenes) {
      scenes = new SceneChangeDetector();
      this.#scenes.set(camera, scenes);
    }
    return scenes.isCutThumbnail(thumbnail);
  }

  forget(camera: string): void {
    this.#scenes.delete(camera);
  }
}
