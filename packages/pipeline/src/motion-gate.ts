/**
 * The motion gate of the detect stage: per camera, which parts of a frame the face detector must look at.
 *
 * - the whole frame (or detection.roi) on a camera's first frame, on a shot cut, when most of the picture
 *   changed at once, and at least every `full_frame_every` frames, so a face that came in too slowly to be
 *   seen moving, or that the detector missed while it moved, is still found;
 * - otherwise the regions where something moved (MotionDetector of vision) and around every face detected
 *   on the camera in the last KEEP_FRAMES frames (a proxy for its tracks: in the services detect runs
 *   before track, in another process, so the detect stage remembers its own recent detections), padded,
 *   4:3 like the detector's input, merged;
 * - nothing when nothing moved and no face was seen lately;
 * - nothing either, the tracker predicting ("predict"), for up to `maxStride` − 1 frames after a detection
 *   when every face seen lately is stable (detected on the last detected frame and on at least
 *   STABLE_HITS frames, moving slowly, its box not changing much since the last frame) and nothing moved
 *   away from them: the stride k adapts to motion, so no face travels more than STRIDE_TRAVEL of its width
 *   between two detections.
 *
 * Regions are never smaller than the detector's input (320×240 frame pixels), so a face is never enlarged
 * more than the whole-frame pass would, and regions cheaper as one run than as several are merged into one.
 *
 * The same memory of recent faces tells the detect service which faces need landmarks and an aligned crop
 * (cropWanted): a new face, a face that changed a lot, and a known face at most every `cropMaxGap` frames
 * after a backoff of 1, 2, 4… frames, as the track stage's re-identification schedule asks for them (a
 * face the track wants on a frame without its crop stays due until the next).
 */
import { faceChanged } from "@facetracker/identity";
import {
  type Box,
  DETECTOR_INPUT,
  type Detection,
  type GreyImage,
  iou,
  MotionDetector,
  type MotionOptions,
  planTiles,
  shouldTile,
  type TilingOptions,
} from "@facetracker/vision";

export interface MotionGateOptions {
  enabled: boolean;
  /** A whole-frame detection at least every this many frames of a camera. */
  fullFrameEvery: number;
  motion: Partial<MotionOptions>;
  /** Detections from this score on start a remembered face; weaker ones only renew one they overlap. */
  confidentScore: number;
  /** The detector's tiling (cost of a region above AUTO_TILING_ABOVE): "auto", "off" or explicit tiles. */
  tiling: "auto" | "off" | TilingOptions;
  /** Largest gap (frames) between two crops of a known face; 0: every face is cropped on every frame. */
  cropMaxGap: number;
  /** Detection at least every this many frames while faces are stable (1: every frame). */
  maxStride: number;
  /** detection.roi: regions stay inside it, and "the whole frame" is it. */
  roi?: Box;
}

/** Why a frame gets a whole-frame detection. */
export type FullFrameReason = "disabled" | "first" | "scene-cut" | "periodic" | "global-motion" | "wide";

export type DetectionPlan =
  | { kind: "full"; reason: FullFrameReason }
  | { kind: "regions"; regions: Box[] }
  | { kind: "none" }
  /** No detection: the faces are stable, the tracker carries them (TrackingSession `predicted`). */
  | { kind: "predict" };

/** A face detected on the camera lately, and whether its landmarks and crop are due on this frame. */
export interface RecentFace {
  box: Box;
  cropDue: boolean;
}

/** A plan and the camera frame it is for (hand it back to `record`), with the camera's recent faces. */
export interface GateDecision {
  frame: number;
  plan: DetectionPlan;
  faces: RecentFace[];
}

/** A detection as recorded: whether its landmarks and crop were computed. */
export interface RecordedDetection extends Detection {
  cropped?: boolean;
}

/** What the gate decided over the frames seen. */
export interface MotionGateStats {
  frames: number;
  full: number;
  /** Frames detected in regions only, the regions, and their summed area over the frames' area. */
  regionFrames: number;
  regions: number;
  regionArea: number;
  /** Frames with no detection at all: nothing to look at, or predicted (also counted in `predicted`). */
  skipped: number;
  predicted: number;
  /** Detector runs (a tiled region counts its tiles). */
  runs: number;
  /** Detector runs the same frames would have cost with the gate off. */
  fullRuns: number;
}

/** Frames a face detected on a camera keeps its region checked without being detected again. */
export const KEEP_FRAMES = 15;
/**
 * Largest gap (frames) between two crops of a known face in the detect service. The track stage embeds a
 * stable track at most every reid_expiration_frames, but sooner while its identity is unsure, which the
 * detect stage cannot see: a face it wants waits at most this many frames for its next crop.
 */
export const CROP_MAX_GAP = 4;
/** A merged region covering more than this fraction of the frame: the whole frame instead. */
const WIDE_FRACTION = 0.7;

interface Remembered {
  box: Box;
  lastSeen: number;
  /** Detected once at a score that starts a track: its region is checked. */
  confident: boolean;
  /** Frame of its last crop (undefined: none yet), and the gap to the next. */
  cropFrame: number | undefined;
  cropGap: number;
  /** Frames it was detected on, and its last speeds (centre travel a frame over its width). */
  hits: number;
  speeds: number[];
}

interface CameraGate {
  motion: MotionDetector;
  frame: number;
  lastFull: number;
  /** The last frame planned with a detection, and the last one whose detections were recorded. */
  lastDetectPlanned: number;
  lastDetected: number;
  faces: Remembered[];
}

/** Detections of a face before it counts as stable (the tracker confirms a face after 3 by default). */
export const STABLE_HITS = 4;
/**
 * Detections over which a face's speed is its fastest move (a face that stops or starts is not stable at
 * once). The tracker carries a predicted face by its observed velocity (Track.carry), not by its Kalman
 * filter's, which forgets a velocity slowly.
 */
export const SPEED_WINDOW = 4;
/** Largest travel of a face between two detections, over its width: sets the stride k. */
export const STRIDE_TRAVEL = 0.25;
/**
 * A face whose box changed more than this (fraction of its thumbnail pixels, frame to frame) is moving
 * unlike its last detections (it started to walk away): detected, not predicted.
 */
export const STILL_CHANGE = 0.3;

export const emptyGateStats = (): MotionGateStats => ({
  frames: 0,
  full: 0,
  regionFrames: 0,
  regions: 0,
  regionArea: 0,
  skipped: 0,
  predicted: 0,
  runs: 0,
  fullRuns: 0,
});

export class MotionGate {
  readonly stats: MotionGateStats = emptyGateStats();
  readonly #options: MotionGateOptions;
  readonly #cameras = new Map<string, CameraGate>();

  constructor(options: MotionGateOptions) {
    this.#options = options;
  }

  get enabled(): boolean {
    return this.#options.enabled;
  }

  /**
   * The plan for a camera's next frame, from its motion thumbnail; call it for a camera's frames in order.
   * `sceneCut`: the frame starts a new shot.
   */
  plan(camera: string, thumb: GreyImage, sceneCut: boolean): GateDecision {
    const o = this.#options;
    let cam = this.#cameras.get(camera);
    if (!cam) {
      cam = {
        motion: new MotionDetector(o.motion),
        frame: -1,
        lastFull: -1,
        lastDetectPlanned: -1,
        lastDetected: -1,
        faces: [],
      };
      this.#cameras.set(camera, cam);
    }
    const frame = ++cam.frame;
    const area = this.#area(thumb);
    const plan = this.#decide(cam, frame, thumb, sceneCut, area);
    if (plan.kind === "full") cam.lastFull = frame;
    if (plan.kind === "full" || plan.kind === "regions") cam.lastDetectPlanned = frame;
    this.#count(plan, area);
    const maxGap = this.#options.cropMaxGap;
    const faces = cam.faces.map((f) => ({
      box: f.box,
      cropDue: maxGap <= 0 || f.cropFrame === undefined || frame - f.cropFrame >= f.cropGap,
    }));
    return { frame, plan, faces };
  }

  /**
   * The faces detected on a camera's frame planned by `decision`, and which were cropped (any order of
   * frames: the newest sighting counts). A frame planned without detection records nothing.
   */
  record(camera: string, decision: GateDecision, detections: readonly RecordedDetection[]): void {
    const cam = this.#cameras.get(camera);
    const { frame, plan } = decision;
    if (!cam || plan.kind === "none" || plan.kind === "predict") return;
    cam.lastDetected = Math.max(cam.lastDetected, frame);
    const maxGap = Math.max(1, this.#options.cropMaxGap);
    for (const d of detections) {
      const confident = d.score >= this.#options.confidentScore;
      let known = bestMatch(cam.faces, d.box);
      if (!known) {
        known = {
          box: d.box,
          lastSeen: frame,
          confident,
          cropFrame: undefined,
          cropGap: 1,
          hits: 1,
          speeds: [],
        };
        cam.faces.push(known);
      } else if (frame > known.lastSeen) {
        // The fastest of the last SPEED_WINDOW moves: a face that stops is not stable at once, the
        // tracker's Kalman filter taking as long to forget its velocity (it would carry the box on).
        known.speeds = [
          ...known.speeds.slice(1 - SPEED_WINDOW),
          travel(known.box, d.box) / (frame - known.lastSeen),
        ];
        known.box = d.box;
        known.lastSeen = frame;
        known.confident ||= confident;
        known.hits++;
      }
      if (d.cropped && (known.cropFrame === undefined || frame > known.cropFrame)) {
        known.cropGap = known.cropFrame === undefined ? 1 : Math.min(known.cropGap * 2, maxGap);
        known.cropFrame = frame;
      }
    }
  }

  /** Forgets a camera (removed from the registry). */
  forget(camera: string): void {
    this.#cameras.delete(camera);
  }

  #decide(cam: CameraGate, frame: number, thumb: GreyImage, sceneCut: boolean, area: Box): DetectionPlan {
    const o = this.#options;
    if (!o.enabled) return { kind: "full", reason: "disabled" };
    const motion = cam.motion.update(thumb);
    cam.faces = cam.faces.filter((f) => frame - f.lastSeen <= KEEP_FRAMES);
    if (motion.first) return { kind: "full", reason: "first" };
    if (sceneCut) {
      cam.faces = [];
      return { kind: "full", reason: "scene-cut" };
    }
    if (motion.global) return { kind: "full", reason: "global-motion" };
    if (frame - cam.lastFull >= o.fullFrameEvery) return { kind: "full", reason: "periodic" };
    if (this.#mayPredict(cam, frame, motion.regions)) return { kind: "predict" };
    const wanted: Box[] = [
      ...motion.regions.map((b) => pad(b, 0.15 * Math.max(b[2] - b[0], b[3] - b[1]) + 8)),
      ...cam.faces
        .filter((f) => f.confident)
        .map((f) => pad(f.box, Math.max(f.box[2] - f.box[0], f.box[3] - f.box[1]))),
    ];
    if (wanted.length === 0) return { kind: "none" };
    const regions = this.#regions(wanted, area);
    const covered = regions.reduce((s, r) => s + boxAreaOf(r), 0);
    if (covered > WIDE_FRACTION * boxAreaOf(area)) return { kind: "full", reason: "wide" };
    return { kind: "regions", regions };
  }

  /**
   * Whether the tracker may carry this frame: faces seen lately, all stable (seen on the last detected
   * frame, on STABLE_HITS frames at least, their boxes not changing much since the last frame), every
   * motion near one of them, and fewer than k − 1 frames predicted since the last detection, k =
   * STRIDE_TRAVEL / the fastest face's speed, at most maxStride.
   */
  #mayPredict(cam: CameraGate, frame: number, motion: readonly Box[]): boolean {
    const maxStride = this.#options.maxStride;
    if (maxStride <= 1 || cam.lastDetectPlanned < 0) return false;
    const faces = cam.faces.filter((f) => f.confident);
    if (faces.length === 0) return false;
    // In the detect service a camera's last planned detection may still be in work: decide on the last
    // one recorded, if it is recent.
    if (cam.lastDetected < 0 || cam.lastDetectPlanned - cam.lastDetected > maxStride) return false;
    if (faces.some((f) => f.hits < STABLE_HITS || f.lastSeen < cam.lastDetected)) return false;
    const near = faces.map((f) => pad(f.box, Math.max(f.box[2] - f.box[0], f.box[3] - f.box[1])));
    if (motion.some((m) => !near.some((n) => overlaps(m, n)))) return false;
    if (faces.some((f) => cam.motion.changeIn(f.box) > STILL_CHANGE)) return false;
    const fastest = Math.max(...faces.flatMap((f) => f.speeds));
    const stride = Math.min(maxStride, Math.max(1, Math.floor(STRIDE_TRAVEL / Math.max(fastest, 1e-6))));
    return frame - cam.lastDetectPlanned < stride;
  }

  /** Detection regions for the wanted boxes: fitted, merged where they overlap, one run where cheaper. */
  #regions(wanted: Box[], area: Box): Box[] {
    let regions = wanted.map((b) => fit(b, area));
    for (let merged = true; merged && regions.length > 1; ) {
      merged = false;
      outer: for (let i = 0; i < regions.length; i++) {
        for (let j = i + 1; j < regions.length; j++) {
          if (overlaps(regions[i] as Box, regions[j] as Box)) {
            const union = fit(unionOf(regions[i] as Box, regions[j] as Box), area);
            regions = [...regions.filter((_, k) => k !== i && k !== j), union];
            merged = true;
            break outer;
          }
        }
      }
    }
    if (regions.length > 1) {
      const union = fit(regions.reduce(unionOf), area);
      if (this.runs(union) <= regions.reduce((s, r) => s + this.runs(r), 0)) return [union];
    }
    return regions;
  }

  /** Detector runs for a region: one, plus its tiles when tiled. */
  runs(region: Box): number {
    const t = this.#options.tiling;
    if (t === "off") return 1;
    if (t === "auto") return shouldTile(region) ? 1 + planTiles(region).length : 1;
    const tiled = region[2] - region[0] > t.tileWidth || region[3] - region[1] > t.tileHeight;
    return tiled ? 1 + planTiles(region, t).length : 1;
  }

  #area(thumb: GreyImage): Box {
    const frame: Box = [0, 0, thumb.frameWidth, thumb.frameHeight];
    const roi = this.#options.roi;
    if (!roi) return frame;
    return [Math.max(0, roi[0]), Math.max(0, roi[1]), Math.min(frame[2], roi[2]), Math.min(frame[3], roi[3])];
  }

  #count(plan: DetectionPlan, area: Box): void {
    const s = this.stats;
    s.frames++;
    const full = this.runs(area);
    s.fullRuns += full;
    if (plan.kind === "full") {
      s.full++;
      s.runs += full;
    } else if (plan.kind === "none" || plan.kind === "predict") {
      s.skipped++;
      if (plan.kind === "predict") s.predicted++;
    } else {
      s.regionFrames++;
      s.regions += plan.regions.length;
      s.regionArea += plan.regions.reduce((sum, r) => sum + boxAreaOf(r), 0) / boxAreaOf(area);
      s.runs += plan.regions.reduce((sum, r) => sum + this.runs(r), 0);
    }
  }
}

/** The recent face a detection continues (IoU above 0.3, the best), if any. */
function bestMatch<T extends { box: Box }>(faces: readonly T[], box: Box): T | undefined {
  let best: T | undefined;
  let bestIou = 0.3;
  for (const f of faces) {
    const o = iou(f.box, box);
    if (o > bestIou) {
      best = f;
      bestIou = o;
    }
  }
  return best;
}

/**
 * Whether a detection needs its landmarks and aligned crop on this frame: a face not seen lately, a face
 * that changed a lot (the track stage embeds it again at once), or a known face whose crop is due.
 */
export function cropWanted(box: Box, faces: readonly RecentFace[]): boolean {
  const known = bestMatch(faces, box);
  return !known || known.cropDue || faceChanged(known.box, box);
}

/** Centre travel from box a to box b over the width of b. */
function travel(a: Box, b: Box): number {
  const dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2;
  const dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2;
  return Math.hypot(dx, dy) / Math.max(1, b[2] - b[0]);
}

const boxAreaOf = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
const pad = (b: Box, m: number): Box => [b[0] - m, b[1] - m, b[2] + m, b[3] + m];
const unionOf = (a: Box, b: Box): Box => [
  Math.min(a[0], b[0]),
  Math.min(a[1], b[1]),
  Math.max(a[2], b[2]),
  Math.max(a[3], b[3]),
];
const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * A region around `box` that the detector sees undistorted and not enlarged: at least the detector's
 * input size, 4:3, inside `area` (shifted in rather than cut where it can be); whole pixels.
 */
export function fit(box: Box, area: Box): Box {
  const aw = area[2] - area[0];
  const ah = area[3] - area[1];
  const aspect = DETECTOR_INPUT.width / DETECTOR_INPUT.height;
  let w = Math.max(box[2] - box[0], DETECTOR_INPUT.width);
  let h = Math.max(box[3] - box[1], DETECTOR_INPUT.height);
  if (w / h > aspect) h = w / aspect;
  else w = h * aspect;
  w = Math.min(w, aw);
  h = Math.min(h, ah);
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const x1 = Math.min(Math.max(area[0], cx - w / 2), area[2] - w);
  const y1 = Math.min(Math.max(area[1], cy - h / 2), area[3] - h);
  return [Math.floor(x1), Math.floor(y1), Math.ceil(x1 + w), Math.ceil(y1 + h)].map((v, i) =>
    Math.min(Math.max(v, area[i % 2] as number), area[2 + (i % 2)] as number),
  ) as Box;
}
