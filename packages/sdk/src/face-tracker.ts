import {
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  type LoadOptions,
  loadConfig,
  parseConfig,
} from "@facetracker/config";
import { type FaceFilterConfig, needsLandmarks, rejectingFilter } from "@facetracker/filters";
import type { Gallery } from "@facetracker/gallery";
import { faceChanged, ReidScheduler, representativeEmbeddings, TrackIdentity } from "@facetracker/identity";
import { VideoSource, type VideoSourceOptions } from "@facetracker/media";
import { ByteTracker, type TrackView } from "@facetracker/tracking";
import {
  alignFace,
  type DetectOptions,
  encodeJpeg,
  FaceAnalyzer,
  fivePoints,
  type Point,
  SceneChangeDetector,
} from "@facetracker/vision";
import { FaceRecognizer } from "./face-recognizer.ts";
import { analyzeOptionsFrom, runtimeOptionsFrom } from "./options-from-config.ts";
import { TrackMemory } from "./track-memory.ts";
import type {
  FaceSummary,
  FrameInput,
  FrameResult,
  RunStats,
  StageMillis,
  TrackIdentityResult,
  TrackResult,
  VideoFaces,
} from "./tracking-types.ts";
import type { EnrollReport } from "./types.ts";

export interface FaceTrackerOptions {
  /** Use this gallery (not closed by close()). */
  gallery?: Gallery;
  /** Share already-loaded models. */
  analyzer?: FaceAnalyzer;
}

export interface PredictOptions {
  /** Frame rate of the frames given (for the tracker's lost-track buffer); a VideoSource tells its own. */
  frameRate?: number;
  /** Options for a VideoSource opened from a path or URL (events, timeouts …). */
  source?: Omit<VideoSourceOptions, "fps" | "resolution">;
  signal?: AbortSignal;
}

export interface FindFacesOptions extends PredictOptions {
  /** Called once the source is open, with its size, frame rate and frame count when known. */
  onStart?: (info: { width: number; height: number; fps: number; frameCount?: number }) => void;
  /** Called after every frame with the frame count so far, and the total when known. */
  onProgress?: (progress: { frame: number; total?: number; fps: number }) => void;
  /** Called with each frame's result (e.g. to draw an annotated video). */
  onFrame?: (result: FrameResult) => void | Promise<void>;
}

/**
 * A new embedding less similar than this to every recent embedding of its track is another person (the
 * tracker followed a box across a cut or a swap): the track is split. Same-person embeddings of one
 * track score far above (see docs/tracking.md).
 */
const APPEARANCE_JUMP = 0.2;

const emptyStages = (): StageMillis => ({
  decode: 0,
  detect: 0,
  track: 0,
  landmarks: 0,
  align: 0,
  embed: 0,
  match: 0,
});

/**
 * Tracks faces through video: stable track IDs (ByteTrack), credence before a track is confirmed, face
 * filters, adaptive re-identification (embeddings at growing intervals), and one identity per track from
 * the evidence of all its embeddings. The same models and gallery as FaceRecognizer.
 */
export class FaceTracker {
  readonly recognizer: FaceRecognizer;
  readonly config: FaceTrackerConfig;
  /** Statistics of the last predictBatch / findFacesInFile run. */
  lastStats: RunStats | undefined;

  private constructor(recognizer: FaceRecognizer) {
    this.recognizer = recognizer;
    this.config = recognizer.config;
  }

  static async create(
    config: FaceTrackerConfigInput | FaceTrackerConfig = {},
    options: FaceTrackerOptions = {},
  ): Promise<FaceTracker> {
    const cfg = parseConfig(config);
    const analyzer = options.analyzer ?? (await FaceAnalyzer.create(runtimeOptionsFrom(cfg)));
    return new FaceTracker(await FaceRecognizer.create(cfg, { ...options, analyzer }));
  }

  /** Configuration from a YAML file + FACETRACKER_* environment (as the CLI loads it). */
  static async fromConfig(load: LoadOptions = {}, options: FaceTrackerOptions = {}): Promise<FaceTracker> {
    return FaceTracker.create(loadConfig(load), options);
  }

  get gallery(): Gallery {
    return this.recognizer.gallery;
  }

  /** Opens a video source with the configured overrides. */
  openSource(spec: string | number, options: PredictOptions["source"] = {}): Promise<VideoSource> {
    const size = this.config.video_source_resolution_override;
    return VideoSource.open(spec, {
      ...options,
      ...(this.config.video_source_fps_override ? { fps: this.config.video_source_fps_override } : {}),
      ...(size ? { resolution: { width: size[0], height: size[1] } } : {}),
    });
  }

  /**
   * Per-frame results for a video source (path, URL, camera index) or any sequence of decoded frames.
   * Each call has its own tracker: track IDs start at 1.
   */
  async *predictBatch(
    input: string | number | AsyncIterable<FrameInput> | Iterable<FrameInput>,
    options: PredictOptions = {},
  ): AsyncGenerator<FrameResult> {
    const source =
      typeof input === "string" || typeof input === "number"
        ? await this.openSource(input, options.source)
        : undefined;
    const frames: AsyncIterable<FrameInput> | Iterable<FrameInput> = source
      ? source.frames()
      : (input as Iterable<FrameInput>);
    const run = new TrackingRun(this, source?.info.fps ?? options.frameRate ?? 30);
    this.lastStats = run.stats;
    try {
      let t = performance.now();
      for await (const frame of frames) {
        run.stats.stages.decode += performance.now() - t;
        if (options.signal?.aborted) break;
        yield await run.process(frame);
        t = performance.now();
      }
    } finally {
      await source?.close();
      run.finish();
    }
  }

  /**
   * The unique faces of a video file (or any source that ends): one entry per confirmed track with its
   * identity, first/last sighting, best thumbnail and representative embeddings; plus run statistics.
   */
  async findFacesInFile(path: string, options: FindFacesOptions = {}): Promise<VideoFaces> {
    const source = await this.openSource(path, options.source);
    const total = source.info.frameCount;
    options.onStart?.(source.info);
    const run = new TrackingRun(this, source.info.fps);
    this.lastStats = run.stats;
    try {
      let t = performance.now();
      for await (const frame of source.frames()) {
        run.stats.stages.decode += performance.now() - t;
        if (options.signal?.aborted) break;
        const result = await run.process(frame);
        await options.onFrame?.(result);
        options.onProgress?.({ frame: run.stats.frames, ...(total ? { total } : {}), fps: run.currentFps() });
        t = performance.now();
      }
    } finally {
      await source.close();
      run.finish();
    }
    return { source: path, faces: await run.summaries(), stats: run.stats };
  }

  /**
   * Enrolls `name` from faces found in a video (one track, or several tracks of the same person): their
   * representative embeddings and best thumbnail go to the gallery.
   */
  async enroll(
    name: string,
    faces: FaceSummary | FaceSummary[],
    options: { attributes?: Record<string, string>; force?: boolean } = {},
  ): Promise<EnrollReport> {
    const list = Array.isArray(faces) ? faces : [faces];
    const trimmed = name.trim();
    if (!trimmed) throw new Error("enroll: the identity name is empty");
    const vectors = list.flatMap((f) => f.embeddings.map((vector) => ({ vector, face: f })));
    if (vectors.length === 0)
      throw new Error("enroll: the faces carry no embeddings (tracks too short to embed)");
    if (!options.force) {
      for (const { vector, face } of vectors) {
        const [hit] = await this.gallery.search(vector, { k: 1 });
        if (
          hit &&
          hit.name !== trimmed &&
          hit.similarity >= (this.config.enroll.duplicate_threshold ?? this.recognizer.threshold)
        ) {
          throw new Error(
            `track ${face.trackId} matches identity '${hit.name}' (similarity ${hit.similarity.toFixed(3)}); --force (option force) enrolls it anyway`,
          );
        }
      }
    }
    const existing = await this.gallery.get(trimmed);
    const { identity, embeddingIds } = await this.gallery.enroll(
      trimmed,
      vectors.map(({ vector, face }, i) => ({
        vector,
        source: `track ${face.trackId}`,
        ...(i === 0 && face.alignedThumbnail ? { thumbnail: face.alignedThumbnail } : {}),
      })),
      options.attributes,
    );
    return {
      name: trimmed,
      identityId: identity.id,
      created: !existing,
      enrolled: embeddingIds.length,
      outcomes: embeddingIds.map((id, i) => ({
        image: `track ${vectors[i]?.face.trackId}`,
        status: "enrolled" as const,
        embeddingId: id,
      })),
    };
  }

  async close(): Promise<void> {
    await this.recognizer.close();
  }
}

/** The state of one pass over one stream: tracker, per-track memory, statistics. */
class TrackingRun {
  readonly stats: RunStats = {
    frames: 0,
    detections: 0,
    embeddings: 0,
    splits: 0,
    fps: 0,
    wallMs: 0,
    stages: emptyStages(),
  };
  readonly #owner: FaceTracker;
  readonly #config: FaceTrackerConfig;
  readonly #tracker: ByteTracker;
  readonly #memory = new Map<number, TrackMemory>();
  readonly #finished: TrackMemory[] = [];
  readonly #detect: DetectOptions;
  readonly #filters: FaceFilterConfig;
  readonly #scenes = new SceneChangeDetector();
  readonly #start = performance.now();
  #count = 0;

  constructor(owner: FaceTracker, frameRate: number) {
    this.#owner = owner;
    this.#config = owner.config;
    const c = this.#config;
    this.#tracker = new ByteTracker({
      highThreshold: c.detection.score_threshold,
      newTrackThreshold: c.detection.score_threshold,
      lowThreshold: c.tracker.low_score_threshold,
      matchThreshold: c.tracker.match_threshold,
      trackBuffer: c.tracker.track_buffer,
      frameRate,
      credenceCount: c.credence_count,
    });
    const detect = analyzeOptionsFrom(c, {}, "auto");
    // Detections down to the low threshold feed ByteTrack's second association; small faces are a filter.
    this.#detect = { ...detect, scoreThreshold: c.tracker.low_score_threshold, minFaceSize: 0 };
    this.#filters = c.face_filters;
  }

  currentFps(): number {
    const s = (performance.now() - this.#start) / 1000;
    return s > 0 ? this.stats.frames / s : 0;
  }

  async process(frame: FrameInput): Promise<FrameResult> {
    const index = frame.index ?? this.#count;
    const pts = frame.pts ?? index / 30;
    this.#count++;
    const stages = this.stats.stages;
    const analyzer = this.#owner.recognizer.analyzer;

    if (this.#scenes.isCut(frame)) {
      // A new shot: every track is re-embedded now, so a face that is really someone else is caught at once.
      for (const memory of this.#memory.values()) memory.scheduler.expire();
    }
    let t = performance.now();
    const detections = await analyzer.detector.detect(frame, this.#detect);
    stages.detect += performance.now() - t;
    t = performance.now();
    const update = this.#tracker.update(detections);
    stages.track += performance.now() - t;

    const tracks: TrackResult[] = [];
    const ended: number[] = [];
    for (const view of update.tracks) {
      const memory = this.#memory.get(view.trackletId) ?? this.#remember(view.trackletId, index, pts);
      memory.trackId = view.id;
      tracks.push(await this.#trackResult(view, memory, frame, index, pts, ended));
    }
    for (const gone of update.removed) {
      const memory = this.#memory.get(gone.trackletId);
      this.#memory.delete(gone.trackletId);
      if (memory && gone.id > 0) {
        memory.trackId = gone.id;
        this.#finished.push(memory);
        ended.push(gone.id);
      }
    }
    this.stats.frames++;
    this.stats.detections += detections.length;
    return { index, pts, width: frame.width, height: frame.height, tracks, ended, image: frame };
  }

  #remember(trackletId: number, frame: number, pts: number): TrackMemory {
    const memory = new TrackMemory(
      trackletId,
      frame,
      pts,
      new ReidScheduler({
        enabled: this.#config.face_filters.enable_reid_expiration_filter,
        maxGap: this.#config.face_filters.reid_expiration_frames,
      }),
      new TrackIdentity({
        threshold: this.#owner.recognizer.threshold,
        credence: this.#config.credence_count,
      }),
    );
    this.#memory.set(trackletId, memory);
    return memory;
  }

  /**
   * The face of a track turned out to be someone else (its new embedding is unlike the recent ones):
   * the track ends and a new one, with a new ID, starts from this frame.
   */
  #split(
    view: TrackView,
    memory: TrackMemory,
    index: number,
    pts: number,
    ended: number[],
  ): { view: TrackView; memory: TrackMemory } {
    const replacement = this.#tracker.split(view.trackletId);
    if (!replacement) return { view, memory };
    this.#memory.delete(view.trackletId);
    if (memory.trackId > 0) {
      this.#finished.push(memory);
      ended.push(memory.trackId);
    }
    const fresh = this.#remember(replacement.trackletId, index, pts);
    fresh.trackId = replacement.id;
    fresh.seen(index, pts, replacement.box);
    this.stats.splits++;
    return { view: replacement, memory: fresh };
  }

  async #trackResult(
    view: TrackView,
    memory: TrackMemory,
    frame: FrameInput,
    index: number,
    pts: number,
    ended: number[],
  ): Promise<TrackResult> {
    const result: TrackResult = {
      trackId: view.id,
      state: view.state,
      box: view.box,
      score: view.score,
      landmarks: null,
      identity: identityResult(memory),
      embedded: false,
      filteredBy: null,
    };
    if (view.detectionIndex === null) return result;

    if (memory.lastBox && faceChanged(memory.lastBox, view.box)) memory.scheduler.expire();
    memory.seen(index, pts, view.box);
    result.filteredBy = rejectingFilter({ box: view.box }, this.#filters);
    if (result.filteredBy || !memory.scheduler.isDue(index)) return result;

    const stages = this.stats.stages;
    const analyzer = this.#owner.recognizer.analyzer;
    let t = performance.now();
    const landmarks: Point[] = fivePoints(await analyzer.landmarks.predict(frame, view.box));
    stages.landmarks += performance.now() - t;
    result.landmarks = landmarks;
    if (needsLandmarks(this.#filters)) {
      result.filteredBy = rejectingFilter({ box: view.box, landmarks }, this.#filters);
      if (result.filteredBy) return result;
    }
    t = performance.now();
    const aligned = alignFace(frame, landmarks);
    stages.align += performance.now() - t;
    t = performance.now();
    const embedding = await analyzer.embedder.embed(aligned);
    stages.embed += performance.now() - t;
    t = performance.now();
    const hits = await this.#owner.gallery.search(embedding, { k: 3 });
    stages.match += performance.now() - t;

    const likeBefore = memory.recentSimilarity(embedding);
    if (likeBefore !== undefined && likeBefore < APPEARANCE_JUMP) {
      ({ view, memory } = this.#split(view, memory, index, pts, ended));
      result.trackId = view.id;
      result.state = view.state;
    }

    const before = memory.identity.identity?.id ?? null;
    const decision = memory.identity.add(
      hits.map((h) => ({ id: h.identityId, name: h.name, similarity: h.similarity })),
    );
    if (decision.identity) {
      const hit = hits.find((h) => h.identityId === decision.identity?.id);
      if (hit) memory.attributes = hit.attributes;
    }
    const changed = (decision.identity?.id ?? null) !== before;
    memory.scheduler.recordEmbedding(
      index,
      changed ? "identity_changed" : decision.settled ? undefined : "unknown",
    );
    memory.keepEmbedding(embedding);
    memory.offerFace(index, frame, view.box, view.score, landmarks, aligned);
    this.stats.embeddings++;
    result.embedded = true;
    result.identity = identityResult(memory);
    return result;
  }

  finish(): void {
    this.stats.wallMs = performance.now() - this.#start;
    this.stats.fps = this.stats.wallMs > 0 ? (this.stats.frames * 1000) / this.stats.wallMs : 0;
  }

  /** One summary per confirmed track (ended or still live), by track ID. */
  async summaries(): Promise<FaceSummary[]> {
    const all = [...this.#finished, ...[...this.#memory.values()].filter((m) => m.trackId > 0)];
    const out: FaceSummary[] = [];
    for (const m of all.sort((a, b) => a.trackId - b.trackId)) {
      out.push({
        trackId: m.trackId,
        identity: identityResult(m),
        firstFrame: m.firstFrame,
        lastFrame: m.lastFrame,
        firstTime: m.firstTime,
        lastTime: m.lastTime,
        frames: m.frames,
        embeddingsComputed: m.embeddingCount,
        thumbnail: m.best ? await encodeJpeg(m.best.crop, 85) : null,
        alignedThumbnail: m.best ? await encodeJpeg(m.best.aligned, 90) : null,
        embeddings: representativeEmbeddings(m.embeddings, 3),
      });
    }
    return out;
  }
}

function identityResult(memory: TrackMemory): TrackIdentityResult | null {
  const id = memory.identity.identity;
  return id
    ? { id: id.id, name: id.name, attributes: memory.attributes, similarity: memory.identity.confidence }
    : null;
}
