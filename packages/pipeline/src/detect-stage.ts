import type { FaceTrackerConfig } from "@facetracker/config";
import {
  type AnalyzeOptions,
  alignFace,
  type Box,
  type Detection,
  type FaceAnalyzer,
  fivePoints,
  type GreyImage,
  motionThumbnail,
  type Point,
  type RgbImage,
  SceneChangeDetector,
  sceneThumbnail,
  suppress,
} from "@facetracker/vision";
import {
  cropWanted,
  type DetectionPlan,
  type GateDecision,
  MotionGate,
  type MotionGateStats,
  type RecentFace,
} from "./motion-gate.ts";
import { motionGateOptions, trackingDetectOptions } from "./options-from-config.ts";

export interface DetectedFace {
  box: Box;
  score: number;
  /** 5 landmarks (ArcFace order); none when the face's crop was not due (see alignedRgb). */
  landmarks: Point[];
  /** 112×112 aligned crop, raw RGB24; empty when not due on this frame (motion-gate.ts cropWanted). */
  alignedRgb: Uint8Array;
}

export interface DetectOutput {
  faces: DetectedFace[];
  /** The frame starts a new shot on this camera. */
  sceneCut: boolean;
  /** No detection ran (the motion gate's "predict": stable faces, the tracker carries them). */
  predicted?: boolean;
}

/**
 * Detect stage: a frame → its faces with landmarks and aligned crops (so embed workers never need whole
 * frames), down to the tracker's low score threshold, and whether the frame starts a new shot. One
 * instance serves many cameras (shot cuts and the motion gate are per camera). The motion gate
 * (motion-gate.ts, detection.motion) plans where each frame is looked at: the whole frame, regions, or
 * nowhere. The services compute every face's landmarks and crop at once (faces); an in-process run
 * (TrackingRun) takes the detections alone and computes landmarks and crops of only the faces due for an
 * embedding (detections, landmarks, align).
 */
export class DetectStage {
  readonly #analyzer: FaceAnalyzer;
  readonly #options: AnalyzeOptions;
  readonly #scenes = new CameraSceneCuts();
  readonly #gate: MotionGate;

  constructor(analyzer: FaceAnalyzer, config: FaceTrackerConfig) {
    this.#analyzer = analyzer;
    this.#options = trackingDetectOptions(config);
    this.#gate = new MotionGate(motionGateOptions(config));
  }

  /** What the motion gate decided so far (frames looked at whole, in regions, skipped). */
  get gateStats(): MotionGateStats {
    return this.#gate.stats;
  }

  /** Shot cut, motion gate, faces of the planned regions: one camera's frames in order. */
  async run(camera: string, frame: RgbImage): Promise<DetectOutput> {
    const sceneCut = this.sceneCut(camera, frame);
    const decision = this.plan(camera, frame, sceneCut);
    const faces = await this.faces(frame, decision.plan, decision.faces);
    this.record(camera, decision, faces);
    return { faces, sceneCut, predicted: decision.plan.kind === "predict" };
  }

  /** Where to detect on this frame of the camera (the motion gate): call it for a camera's frames in order. */
  plan(camera: string, frame: RgbImage, sceneCut: boolean): GateDecision {
    return this.planThumbnail(camera, motionThumbnail(frame), sceneCut);
  }

  /** plan for a frame already reduced by motionThumbnail (in a detect worker thread). */
  planThumbnail(camera: string, thumb: GreyImage, sceneCut: boolean): GateDecision {
    return this.#gate.plan(camera, thumb, sceneCut);
  }

  /**
   * The faces found on a planned frame: their regions stay checked on the next frames, and the crops made
   * (a DetectedFace with its aligned crop) set when each face's next crop is due.
   */
  record(camera: string, decision: GateDecision, detections: readonly (Detection | DetectedFace)[]): void {
    this.#gate.record(
      camera,
      decision,
      detections.map((d) => ({ ...d, cropped: "alignedRgb" in d && d.alignedRgb.length > 0 })),
    );
  }

  /** Whether the frame starts a new shot on this camera: call it for a camera's frames in order. */
  sceneCut(camera: string, frame: RgbImage): boolean {
    return this.sceneCutThumbnail(camera, sceneThumbnail(frame));
  }

  /** sceneCut for a frame already reduced by sceneThumbnail (in a detect worker thread). */
  sceneCutThumbnail(camera: string, thumbnail: Float32Array): boolean {
    return this.#scenes.isCut(camera, thumbnail);
  }

  /**
   * The frame's faces, where the plan says (default: the whole frame), with their landmarks and aligned
   * crops: of every face, or, given the camera's recent faces (GateDecision.faces), only of the faces whose
   * crop is wanted (new, changed, or due). Any order of calls: no per-camera state.
   */
  async faces(
    frame: RgbImage,
    plan: DetectionPlan = FULL,
    recent?: readonly RecentFace[],
  ): Promise<DetectedFace[]> {
    const faces: DetectedFace[] = [];
    for (const d of await this.detections(frame, plan)) {
      if (recent && !cropWanted(d.box, recent)) {
        faces.push({ box: d.box, score: d.score, landmarks: [], alignedRgb: new Uint8Array(0) });
        continue;
      }
      const landmarks = await this.landmarks(frame, d.box);
      faces.push({ box: d.box, score: d.score, landmarks, alignedRgb: this.align(frame, landmarks).data });
    }
    return faces;
  }

  /**
   * The frame's face boxes and scores alone, down to the tracker's low score threshold, where the plan
   * says: the whole frame (detection.roi), each region (tiled only where a region is above the tiling
   * size), or nowhere.
   */
  async detections(frame: RgbImage, plan: DetectionPlan = FULL): Promise<Detection[]> {
    const detector = this.#analyzer.detector;
    if (plan.kind === "full") return detector.detect(frame, this.#options);
    if (plan.kind === "none" || plan.kind === "predict") return [];
    const o = this.#options;
    const found: Detection[] = [];
    for (const roi of plan.regions) {
      // A region at most the tile size is one run (explicit tiles would cover it with one tile more).
      const tiling = this.#gate.runs(roi) > 1 ? o.tiling : "off";
      found.push(...(await detector.detect(frame, { ...o, roi, tiling })));
    }
    if (plan.regions.length === 1) return found;
    return suppress(found, o.nmsThreshold ?? 0.4, o.minFaceSize ?? 0, o.maxFaces ?? Number.POSITIVE_INFINITY);
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
    this.#gate.forget(camera);
  }
}

const FULL: DetectionPlan = { kind: "full", reason: "disabled" };

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
