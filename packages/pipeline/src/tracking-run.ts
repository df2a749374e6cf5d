import type { FaceTrackerConfig } from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import { describeFrameLoss, type FrameLoss, isDamaged } from "@facetracker/media";
import type { Detection, FaceAnalyzer } from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import { EmbedStage } from "./embed-stage.ts";
import { faceWithMargin } from "./track-memory.ts";
import { TrackingSession } from "./tracking-session.ts";
import type { FaceSummary, FrameInput, FrameResult, RunStats, StageMillis } from "./tracking-types.ts";

/** The one stream of an in-process run, for the detect stage's per-camera shot cuts. */
const STREAM = "run";

const emptyStages = (): StageMillis => ({
  decode: 0,
  detect: 0,
  track: 0,
  landmarks: 0,
  align: 0,
  embed: 0,
  match: 0,
});

/** What decoding lost, as recorded in a run's statistics (see TrackingRun.recordFrameLoss). */
export function frameLossOf(stats: RunStats): FrameLoss {
  return {
    decodedFrames: stats.frames,
    lostFrames: stats.lostFrames,
    corruptFrames: stats.corruptFrames,
    expectedFrames: stats.frames + stats.lostFrames,
    ranges: stats.damagedRanges,
  };
}

/**
 * What decoding a damaged file lost, in words ("lost 174 of 275 frames: 3.37–9.18 s; 1 frame decoded with
 * errors: 4.50 s"), or undefined when nothing was.
 */
export function describeDamage(stats: RunStats): string | undefined {
  const loss = frameLossOf(stats);
  return isDamaged(loss) ? describeFrameLoss(loss) : undefined;
}

/**
 * One pass over one stream in this process, on the services' stage code: the detect stage (shot cut,
 * detections), the tracking stage (TrackingSession) with landmarks and aligned crops computed from the
 * frame only for the faces due for an embedding, the embed stage (embedding + gallery search) to identify
 * them, and statistics. `stats.stages.decode` is the caller's to add to (time waiting for frames).
 */
export class TrackingRun {
  readonly stats: RunStats = {
    frames: 0,
    detections: 0,
    embeddings: 0,
    splits: 0,
    fps: 0,
    wallMs: 0,
    stages: emptyStages(),
    lostFrames: 0,
    corruptFrames: 0,
    damagedRanges: [],
  };
  readonly #detect: DetectStage;
  readonly #embed: EmbedStage;
  readonly #session: TrackingSession;
  readonly #start = performance.now();
  #count = 0;

  constructor(
    config: FaceTrackerConfig,
    models: { analyzer: FaceAnalyzer; gallery: Gallery },
    frameRate: number,
  ) {
    this.#detect = new DetectStage(models.analyzer, config);
    this.#embed = new EmbedStage(models.analyzer.embedder, models.gallery);
    this.#session = new TrackingSession(config, {
      frameRate,
      identify: (faces) => this.#embed.identify(faces),
    });
  }

  /** Frames per second so far (wall clock). */
  currentFps(): number {
    const s = (performance.now() - this.#start) / 1000;
    return s > 0 ? this.stats.frames / s : 0;
  }

  async process(frame: FrameInput): Promise<FrameResult> {
    const index = frame.index ?? this.#count;
    const pts = frame.pts ?? index / 30;
    this.#count++;
    const detect = this.#detect;
    const sceneCut = detect.sceneCut(STREAM, frame);
    const t = performance.now();
    const decision = detect.plan(STREAM, frame, sceneCut);
    const detections = await detect.detections(frame, decision.plan);
    detect.record(STREAM, decision, detections);
    this.stats.stages.detect += performance.now() - t;
    const box = (i: number) => (detections[i] as Detection).box;
    const result = await this.#session.process({
      index,
      pts,
      width: frame.width,
      height: frame.height,
      sceneCut,
      detections,
      predicted: decision.plan.kind === "predict",
      landmarks: (i) => detect.landmarks(frame, box(i)),
      aligned: async (_i, points) => detect.align(frame, points),
      faceCrop: (i) => faceWithMargin(frame, box(i)),
    });
    const c = this.#session.counters;
    Object.assign(this.stats, {
      frames: c.frames,
      detections: c.detections,
      embeddings: c.embeddings,
      splits: c.splits,
    });
    Object.assign(this.stats.stages, {
      track: c.trackMs,
      landmarks: c.landmarksMs,
      align: c.alignMs,
      embed: this.#embed.times.embed,
      match: this.#embed.times.match,
    });
    return { ...result, width: frame.width, height: frame.height, image: frame };
  }

  /** Records what decoding a file lost (VideoSource.frameLoss) in the statistics. */
  recordFrameLoss(loss: FrameLoss): void {
    this.stats.lostFrames = loss.lostFrames;
    this.stats.corruptFrames = loss.corruptFrames;
    this.stats.damagedRanges = loss.ranges;
  }

  /** Ends the run: wall time and frames per second. */
  finish(): void {
    this.stats.wallMs = performance.now() - this.#start;
    this.stats.fps = this.stats.wallMs > 0 ? (this.stats.frames * 1000) / this.stats.wallMs : 0;
  }

  /** One summary per confirmed track (see TrackingSession.summaries). */
  summaries(): Promise<FaceSummary[]> {
    return this.#session.summaries();
  }
}
