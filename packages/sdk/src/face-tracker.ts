import { clipBaseKey } from "@facetracker/clips";
import {
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  type LoadOptions,
  loadConfig,
  parseConfig,
} from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import { VideoSource, type VideoSourceOptions } from "@facetracker/media";
import {
  alignFace,
  type Detection,
  type DetectOptions,
  FaceAnalyzer,
  fivePoints,
  SceneChangeDetector,
} from "@facetracker/vision";
import { FaceRecognizer } from "./face-recognizer.ts";
import { analyzeOptionsFrom, runtimeOptionsFrom } from "./options-from-config.ts";
import { type FetchClipOptions, StoredClips, type StoredClipsOptions } from "./stored-clips.ts";
import { faceWithMargin } from "./track-memory.ts";
import { TrackingSession } from "./tracking-session.ts";
import type {
  FaceSummary,
  FrameInput,
  FrameResult,
  RunStats,
  StageMillis,
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

export interface FindFacesInClipOptions extends FindFacesOptions, FetchClipOptions {
  /** Read the clip from these stored clips (not closed here) instead of opening `config.storage`. */
  clips?: StoredClips;
}

/** What findFacesInClip returns: findFacesInFile's result, `source` naming the clip, and the clip's keys. */
export interface ClipFaces extends VideoFaces {
  clip: {
    /** The clip's base key, e.g. "cam1/2026-11-24/101500-a1b2". */
    key: string;
    /** The key of the video analysed, e.g. "cam1/2026-11-24/101500-a1b2.mp4". */
    videoKey: string;
    /** The storage it was read from (describe()). */
    storage: string;
  };
}

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

  /**
   * The stored alert clips of `config.storage` (a local directory or an S3 bucket): list, download and
   * delete clips, or get a clip's video as a local file. Nothing is contacted until used, and no bucket is
   * created. Needs no models; close() it after use.
   */
  static openStoredClips(
    config: FaceTrackerConfigInput | FaceTrackerConfig = {},
    options: StoredClipsOptions = {},
  ): StoredClips {
    return StoredClips.open(parseConfig(config).storage, options);
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
    if (typeof input === "string" || typeof input === "number") {
      const source = await this.openSource(input, options.source);
      yield* this.#track(source.frames(), new TrackingRun(this, source.info.fps), options, source);
    } else {
      yield* this.#track(input, new TrackingRun(this, options.frameRate ?? 30), options);
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
    for await (const result of this.#track(source.frames(), run, options, source)) {
      await options.onFrame?.(result);
      options.onProgress?.({ frame: run.stats.frames, ...(total ? { total } : {}), fps: run.currentFps() });
    }
    return { source: path, faces: await run.summaries(), stats: run.stats };
  }

  /**
   * findFacesInFile for a stored alert clip: `clip` is a key of the configured storage (`config.storage`)
   * — the video's ("cam1/2026-11-24/101500-a1b2.mp4") or the clip's base key (its .mp4 is analysed) —,
   * "clip:KEY", or "s3://BUCKET/KEY" (the configured bucket, or another bucket of the configured S3
   * endpoint). A clip in a local directory is read in place; one in S3 is downloaded to a temporary file,
   * removed afterwards. `source` in the result is "s3://BUCKET/KEY" (S3) or the local file.
   * Throws ClipStorageError: code "NoSuchKey" ("no clip KEY in STORAGE") for a missing clip, `unreachable`
   * when the S3 endpoint cannot be reached; InvalidClipKeyError for a malformed key.
   */
  async findFacesInClip(clip: string, options: FindFacesInClipOptions = {}): Promise<ClipFaces> {
    const clips = options.clips ?? StoredClips.open(this.config.storage);
    try {
      return await clips.withVideo(
        clip,
        async (video) => {
          const result = await this.findFacesInFile(video.path, options);
          return {
            ...result,
            source: video.source,
            clip: { key: clipBaseKey(video.key), videoKey: video.key, storage: video.storage },
          };
        },
        options,
      );
    } finally {
      if (!options.clips) await clips.close();
    }
  }

  /** Runs frames through one tracking run, timing the wait for each frame; closes the source at the end. */
  async *#track(
    frames: AsyncIterable<FrameInput> | Iterable<FrameInput>,
    run: TrackingRun,
    options: PredictOptions,
    source?: VideoSource,
  ): AsyncGenerator<FrameResult> {
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

/**
 * One pass over one stream in this process: shot-cut check and detection on the frame, the tracking stage
 * (TrackingSession) with landmarks, alignment and embedding computed from the frame only for the faces
 * that need them, and statistics.
 */
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
  readonly #analyzer: FaceAnalyzer;
  readonly #session: TrackingSession;
  readonly #detect: DetectOptions;
  readonly #scenes = new SceneChangeDetector();
  readonly #start = performance.now();
  #count = 0;

  constructor(owner: FaceTracker, frameRate: number) {
    this.#analyzer = owner.recognizer.analyzer;
    const gallery = owner.gallery;
    const stages = this.stats.stages;
    const embedder = this.#analyzer.embedder;
    this.#session = new TrackingSession(owner.config, {
      frameRate,
      identify: async (faces) => {
        const out = [];
        for (const face of faces) {
          let t = performance.now();
          const embedding = await embedder.embed(face);
          stages.embed += performance.now() - t;
          t = performance.now();
          const matches = await gallery.search(embedding, { k: 3 });
          stages.match += performance.now() - t;
          out.push({ embedding, matches });
        }
        return out;
      },
    });
    // Detections down to the tracker's low threshold feed its second association; small faces are a filter.
    this.#detect = {
      ...analyzeOptionsFrom(owner.config, {}, "auto"),
      scoreThreshold: this.#session.minDetectionScore,
      minFaceSize: 0,
    };
  }

  currentFps(): number {
    const s = (performance.now() - this.#start) / 1000;
    return s > 0 ? this.stats.frames / s : 0;
  }

  async process(frame: FrameInput): Promise<FrameResult> {
    const index = frame.index ?? this.#count;
    const pts = frame.pts ?? index / 30;
    this.#count++;
    const sceneCut = this.#scenes.isCut(frame);
    const t = performance.now();
    const detections = await this.#analyzer.detector.detect(frame, this.#detect);
    this.stats.stages.detect += performance.now() - t;
    const landmarks = this.#analyzer.landmarks;
    const result = await this.#session.process({
      index,
      pts,
      width: frame.width,
      height: frame.height,
      sceneCut,
      detections,
      landmarks: async (i) => fivePoints(await landmarks.predict(frame, (detections[i] as Detection).box)),
      aligned: async (_i, points) => alignFace(frame, points),
      faceCrop: (i) => faceWithMargin(frame, (detections[i] as Detection).box),
    });
    const c = this.#session.counters;
    Object.assign(this.stats, {
      frames: c.frames,
      detections: c.detections,
      embeddings: c.embeddings,
      splits: c.splits,
    });
    Object.assign(this.stats.stages, { track: c.trackMs, landmarks: c.landmarksMs, align: c.alignMs });
    return { ...result, width: frame.width, height: frame.height, image: frame };
  }

  finish(): void {
    this.stats.wallMs = performance.now() - this.#start;
    this.stats.fps = this.stats.wallMs > 0 ? (this.stats.frames * 1000) / this.stats.wallMs : 0;
  }

  summaries(): Promise<FaceSummary[]> {
    return this.#session.summaries();
  }
}
