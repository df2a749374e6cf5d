/**
 * Tracking faces through a video in this process: open a source with the configured overrides, run one
 * TrackingRun over its frames, and sum up the unique faces (VideoFaces) with progress callbacks. Used by
 * FaceTracker.predictBatch / findFacesInFile and by the gRPC api's FindFacesInFile.
 */

import type { FaceTrackerConfig } from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import { type VideoFrame, VideoSource, type VideoSourceOptions } from "@facetracker/media";
import { DETECTOR_INPUT, type FaceAnalyzer } from "@facetracker/vision";
import { AnnotatedCopy, type AnnotateOptions } from "./annotated-copy.ts";
import { TrackingRun } from "./tracking-run.ts";
import type { FrameInput, FrameResult, VideoFaces } from "./tracking-types.ts";

/** The models and gallery a tracking run identifies faces with. */
export interface TrackingModels {
  analyzer: FaceAnalyzer;
  gallery: Gallery;
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
  /** Called with each frame's result (e.g. to draw on its image, to save it). */
  onFrame?: (result: FrameResult) => void | Promise<void>;
  /**
   * Also writes an annotated copy of the video: the labels of each frame drawn by ffmpeg over the file's
   * own frames once the analysis is done, the file's audio kept (see annotated-copy.ts).
   */
  annotate?: AnnotateOptions;
}

/**
 * Opens a video source (path, URL, camera index) with the configured frame rate and size overrides. Its
 * frames come with their detection copy (the whole picture at the detector's input size, scaled by ffmpeg
 * in the same decoding), which detection over the whole frame and the thumbnails read instead of
 * resampling the frame in JavaScript.
 */
export function openVideoSource(
  config: FaceTrackerConfig,
  spec: string | number,
  options: PredictOptions["source"] = {},
): Promise<VideoSource> {
  const size = config.video_source_resolution_override;
  return VideoSource.open(spec, {
    ...options,
    ...(config.video_source_fps_override ? { fps: config.video_source_fps_override } : {}),
    ...(size ? { resolution: { width: size[0], height: size[1] } } : {}),
    detectionCopy: { ...DETECTOR_INPUT },
  });
}

/**
 * Runs frames through one tracking run, timing the wait for each frame (stats.stages.decode); stops early
 * on `signal`, and at the end closes `source` (when given), records the frames a damaged file lost
 * (stats.lostFrames, corruptFrames, damagedRanges) and finishes the run.
 */
export async function* trackFrames(
  frames: AsyncIterable<FrameInput> | Iterable<FrameInput>,
  run: TrackingRun,
  options: Pick<PredictOptions, "signal"> = {},
  source?: VideoSource,
): AsyncGenerator<FrameResult> {
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
    const loss = source?.frameLoss;
    if (loss) run.recordFrameLoss(loss);
    run.finish();
  }
}

/**
 * The unique faces of a video file (or any source that ends): one entry per confirmed track with its
 * identity, first/last sighting, best thumbnail and representative embeddings; plus run statistics.
 * Each call has its own tracker (track IDs start at 1); `onRun` is given the run as it starts.
 */
export async function findVideoFaces(
  config: FaceTrackerConfig,
  models: TrackingModels,
  path: string,
  options: FindFacesOptions & { onRun?: (run: TrackingRun) => void } = {},
): Promise<VideoFaces> {
  // No frame leaves this function unless onFrame is given: their buffers can be reused (no garbage).
  const source = await openVideoSource(config, path, {
    ...(options.onFrame ? {} : { reuseBuffers: true }),
    ...options.source,
  });
  const total = source.info.frameCount;
  options.onStart?.(source.info);
  let copy: AnnotatedCopy | undefined;
  try {
    copy = options.annotate ? await AnnotatedCopy.start(source.info, options.annotate) : undefined;
  } catch (error) {
    await source.close();
    throw error;
  }
  const run = new TrackingRun(config, models, source.info.fps);
  options.onRun?.(run);
  // Each frame's time on ffmpeg's timeline and whether it is a key frame, for the annotated copy.
  const times = new Map<number, { timeS: number; key: boolean | undefined }>();
  async function* timed(frames: AsyncIterable<VideoFrame>): AsyncGenerator<VideoFrame> {
    for await (const frame of frames) {
      times.set(frame.index, { timeS: frame.streamS ?? frame.pts, key: frame.keyFrame });
      yield frame;
    }
  }
  try {
    for await (const result of trackFrames(
      copy ? timed(source.frames()) : source.frames(),
      run,
      options,
      source,
    )) {
      if (copy) {
        const time = times.get(result.index) ?? { timeS: result.pts, key: undefined };
        times.delete(result.index);
        await copy.add(result, time.timeS, time.key);
      }
      await options.onFrame?.(result);
      options.onProgress?.({ frame: run.stats.frames, ...(total ? { total } : {}), fps: run.currentFps() });
    }
    const faces = await run.summaries();
    await copy?.finish();
    return { source: path, faces, stats: run.stats };
  } catch (error) {
    await copy?.abort();
    throw error;
  }
}
