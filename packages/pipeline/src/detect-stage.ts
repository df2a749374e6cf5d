import type { FaceTrackerConfig } from "@facetracker/config";
import { analyzeOptionsFrom } from "@facetracker/sdk";
import {
  type AnalyzeOptions,
  type Box,
  type FaceAnalyzer,
  type Point,
  type RgbImage,
  SceneChangeDetector,
  sceneThumbnail,
} from "@facetracker/vision";

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
 * instance serves many cameras (shot cuts are tracked per camera).
 */
export class DetectStage {
  readonly #analyzer: FaceAnalyzer;
  readonly #options: AnalyzeOptions;
  readonly #scenes = new CameraSceneCuts();

  constructor(analyzer: FaceAnalyzer, config: FaceTrackerConfig) {
    this.#analyzer = analyzer;
    this.#options = {
      ...analyzeOptionsFrom(config, {}, "auto"),
      scoreThreshold: config.tracker.low_score_threshold,
      minFaceSize: 0,
      embed: false,
    };
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

  /** The frame's faces (any order of calls: no per-camera state). */
  async faces(frame: RgbImage): Promise<DetectedFace[]> {
    const analyzed = await this.#analyzer.analyze(frame, this.#options);
    const faces: DetectedFace[] = [];
    for (const f of analyzed) {
      faces.push({
        box: f.box,
        score: f.score,
        landmarks: f.landmarks,
        alignedRgb: f.aligned.data,
      });
    }
    return faces;
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
