import { clipBaseKey, type FetchClipOptions, StoredClips, type StoredClipsOptions } from "@facetracker/clips";
import {
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  type LoadOptions,
  loadConfig,
  parseConfig,
} from "@facetracker/config";
import type { FaceMemory } from "@facetracker/face-memory";
import type { Gallery } from "@facetracker/gallery";
import type { VideoSource } from "@facetracker/media";
import {
  type EnrollOutcome,
  type EnrollReport,
  enrollAccepted,
  enrollmentName,
  type FaceSummary,
  type FindFacesOptions,
  type FrameInput,
  type FrameResult,
  findVideoFaces,
  openConfiguredMemory,
  openVideoSource,
  type PredictOptions,
  type RunStats,
  rememberVideoFaces,
  reviewEnrollment,
  runtimeOptionsFrom,
  storedClipSource,
  TrackingRun,
  trackFrames,
  type VideoFaces,
  videoFileSource,
} from "@facetracker/pipeline";
import { type FaceTrackingPipeline, type PipelineOptions, startPipeline } from "@facetracker/runner";
import { FaceAnalyzer } from "@facetracker/vision";
import { FaceRecognizer } from "./face-recognizer.ts";

export type { AnnotateOptions, FindFacesOptions, PredictOptions } from "@facetracker/pipeline";

export interface FaceTrackerOptions {
  /** Use this gallery (not closed by close()). */
  gallery?: Gallery;
  /** Share already-loaded models. */
  analyzer?: FaceAnalyzer;
}

/** Whether findFacesInFile / findFacesInClip remember what they find. */
export interface RememberOptions {
  /**
   * Remember each confirmed track in the face memory (`<db_path>/memory.sqlite`, see docs/memory.md), in
   * place of what an earlier analysis of the same file or clip left there: source, track ID, times in
   * the video, identity evidence, best thumbnail and a few embeddings, for `facetracker search`. Default
   * false (the CLI's `analyze` remembers unless `--no-remember`).
   */
  remember?: boolean;
}

export interface FindFacesInClipOptions extends FindFacesOptions, FetchClipOptions, RememberOptions {
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

/** Options of FaceTracker.startFaceTrackingPipeline: PipelineOptions with a configuration to parse. */
export interface FaceTrackingPipelineOptions extends Omit<PipelineOptions, "config"> {
  /** The configuration (as in a YAML file, or parsed); default: every default, no camera. */
  config?: FaceTrackerConfigInput | FaceTrackerConfig;
}

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
  #memory: FaceMemory | undefined;

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

  /**
   * Starts the real-time pipeline on this machine (ingest, detect, embed, track, alert, clip recording,
   * notifications, live stream, gRPC API and web page): on a private nats-server under `dataDir` unless
   * `natsUrl` (or `config.nats.url`) names one, each service in its own process unless `singleProcess`.
   * Loads no models here and leaves the gallery to the services. The handle's iterators give the track
   * events, alerts, clips and deliveries from the start; stop() drains and stops everything.
   */
  static startFaceTrackingPipeline(options: FaceTrackingPipelineOptions = {}): Promise<FaceTrackingPipeline> {
    return startPipeline({ ...options, config: parseConfig(options.config ?? {}) });
  }

  get gallery(): Gallery {
    return this.recognizer.gallery;
  }

  /** Opens a video source with the configured overrides. */
  openSource(spec: string | number, options: PredictOptions["source"] = {}): Promise<VideoSource> {
    return openVideoSource(this.config, spec, options);
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
      yield* this.#track(source.frames(), this.#run(source.info.fps), options, source);
    } else {
      yield* this.#track(input, this.#run(options.frameRate ?? 30), options);
    }
  }

  /**
   * The face memory of the configuration (`<db_path>/memory.sqlite`), opened (and created) at first use;
   * closed by close().
   */
  get memory(): FaceMemory {
    this.#memory ??= openConfiguredMemory(this.config);
    return this.#memory;
  }

  /**
   * The unique faces of a video file (or any source that ends): one entry per confirmed track with its
   * identity, first/last sighting, best thumbnail and representative embeddings; plus run statistics.
   * With `remember`, each track goes into the face memory (source: the file's absolute path, or the
   * stream's URL without credentials).
   */
  async findFacesInFile(path: string, options: FindFacesOptions & RememberOptions = {}): Promise<VideoFaces> {
    const { remember, ...rest } = options;
    const result = await findVideoFaces(this.config, this.#models(), path, {
      ...rest,
      onRun: (run) => {
        this.lastStats = run.stats;
      },
    });
    if (remember)
      rememberVideoFaces(this.memory, videoFileSource(path), result.faces, { analysedAtMs: Date.now() });
    return result;
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
          const result = await this.findFacesInFile(video.path, { ...options, remember: false });
          const key = clipBaseKey(video.key);
          if (options.remember) {
            rememberVideoFaces(this.memory, storedClipSource(key), result.faces, {
              analysedAtMs: Date.now(),
              clip: { key: video.key },
            });
          }
          return {
            ...result,
            source: video.source,
            clip: { key, videoKey: video.key, storage: video.storage },
          };
        },
        options,
      );
    } finally {
      if (!options.clips) await clips.close();
    }
  }

  /** This tracker's models and gallery, for a tracking run. */
  #models() {
    return { analyzer: this.recognizer.analyzer, gallery: this.gallery };
  }

  /** A tracking run of this tracker's models and gallery (its own tracker: track IDs start at 1). */
  #run(frameRate: number): TrackingRun {
    return new TrackingRun(this.config, this.#models(), frameRate);
  }

  /** Runs frames through one tracking run (see trackFrames); the run's stats become lastStats. */
  async *#track(
    frames: AsyncIterable<FrameInput> | Iterable<FrameInput>,
    run: TrackingRun,
    options: PredictOptions,
    source?: VideoSource,
  ): AsyncGenerator<FrameResult> {
    this.lastStats = run.stats;
    yield* trackFrames(frames, run, options, source);
  }

  /**
   * Enrolls `name` from faces found in a video (one track, or several tracks of the same person): their
   * representative embeddings, the first with its track's best thumbnail, go to the gallery. The
   * enrollment policy applies (see FaceRecognizer.enroll; the embeddings of one track agree by
   * construction): an embedding of another identity throws (unless `force`) and nothing is enrolled; one
   * already enrolled for `name` (or a repeat within the faces) is left out and reported as a duplicate; a
   * track unlike the other tracks or the stored faces of `name` is left out and reported as a mismatch
   * (unless `force`).
   */
  async enroll(
    name: string,
    faces: FaceSummary | FaceSummary[],
    options: { attributes?: Record<string, string>; force?: boolean } = {},
  ): Promise<EnrollReport> {
    const list = Array.isArray(faces) ? faces : [faces];
    const trimmed = enrollmentName(name);
    const vectors = list.flatMap((f) =>
      f.embeddings.map((vector) => ({ vector, face: f, label: `track ${f.trackId}`, group: f.trackId })),
    );
    if (vectors.length === 0)
      throw new Error("enroll: the faces carry no embeddings (tracks too short to embed)");
    const decisions = await reviewEnrollment(this.gallery, this.config, trimmed, vectors, options);
    decisions.forEach((d, i) => {
      if (d.status === "conflict") {
        throw new Error(
          `track ${vectors[i]?.face.trackId} matches identity '${d.otherIdentity}' (similarity ${d.similarity.toFixed(3)}); --force (option force) enrolls it anyway`,
        );
      }
    });
    const accepted = vectors.filter((_, i) => decisions[i]?.status === "accepted");
    const enrolled =
      accepted.length === 0
        ? undefined
        : await enrollAccepted(
            this.gallery,
            trimmed,
            accepted.map(({ vector, face }, k) => ({
              vector,
              source: `track ${face.trackId}`,
              ...(k === 0 && face.alignedThumbnail ? { thumbnail: face.alignedThumbnail } : {}),
            })),
            options.attributes,
          );
    let k = 0;
    const outcomes = decisions.map((d, i): EnrollOutcome => {
      const image = vectors[i]?.label as string;
      if (d.status === "duplicate") return { image, status: "duplicate", reason: d.reason };
      if (d.status === "mismatch") {
        const { status, reason, closest, similarity } = d;
        return { image, status, reason, closest, similarity };
      }
      if (d.status === "poor_quality")
        return { image, status: d.status, reason: d.reason, problems: d.problems };
      if (d.status === "conflict") throw new Error("unreachable: conflicts were thrown above");
      return { image, status: "enrolled", embeddingId: enrolled?.embeddingIds[k++] as string };
    });
    return {
      name: trimmed,
      identityId: enrolled?.identityId ?? (await this.gallery.get(trimmed))?.id,
      created: enrolled?.created ?? false,
      enrolled: accepted.length,
      outcomes,
    };
  }

  async close(): Promise<void> {
    this.#memory?.close();
    this.#memory = undefined;
    await this.recognizer.close();
  }
}
