/**
 * What a recorded clip says about itself: its frame rate (configured, or estimated from the frames'
 * timestamps), the labels of its annotated copy, and its `.json` side file (clip metadata and the per-frame
 * tracking results). Pure functions over plain data: the clip recorder feeds them.
 */

import type { ClipTrack, ClipTrackState } from "@facetracker/pipeline";
import { faceLabel, type Label, trackFaceKind } from "@facetracker/vision";

/** Frame rate used when nothing better is known (a clip of a single frame, no usable timestamps). */
export const DEFAULT_CLIP_FPS = 15;
/** Highest frame rate accepted from configuration or an estimate. */
export const MAX_CLIP_FPS = 240;

/** Where a clip's frame rate came from. */
export type FpsSource = "config" | "pts" | "capture_time" | "default";

/**
 * The frame rate of evenly spaced timestamps (seconds): 1 / the median of the positive steps, rounded to
 * 3 decimals; undefined with fewer than two increasing timestamps or a result outside (0, 240].
 */
export function estimateFps(timesS: readonly number[]): number | undefined {
  const steps: number[] = [];
  for (let i = 1; i < timesS.length; i++) {
    const step = (timesS[i] as number) - (timesS[i - 1] as number);
    if (Number.isFinite(step) && step > 0) steps.push(step);
  }
  if (steps.length === 0) return undefined;
  steps.sort((a, b) => a - b);
  const mid = steps.length >> 1;
  const median =
    steps.length % 2 ? (steps[mid] as number) : ((steps[mid - 1] as number) + (steps[mid] as number)) / 2;
  const fps = Math.round(1000 / median) / 1000;
  return fps > 0 && fps <= MAX_CLIP_FPS ? fps : undefined;
}

/**
 * The clip's frame rate: the camera's configured fps, else estimated from the frames' pts, else from their
 * capture times, else DEFAULT_CLIP_FPS.
 */
export function chooseClipFps(
  configured: number | undefined,
  frames: readonly { pts: number; timeMs: number }[],
): { fps: number; source: FpsSource } {
  if (
    configured !== undefined &&
    Number.isFinite(configured) &&
    configured > 0 &&
    configured <= MAX_CLIP_FPS
  ) {
    return { fps: configured, source: "config" };
  }
  const fromPts = estimateFps(frames.map((f) => f.pts));
  if (fromPts !== undefined) return { fps: fromPts, source: "pts" };
  const fromTime = estimateFps(frames.map((f) => f.timeMs / 1000));
  if (fromTime !== undefined) return { fps: fromTime, source: "capture_time" };
  return { fps: DEFAULT_CLIP_FPS, source: "default" };
}

/** The live tracks of one frame (a TrackSnapshot reduced to what clips use). */
export interface ClipSnapshot {
  seq: number;
  tracks: ClipTrack[];
}

/**
 * Labels of one frame's confirmed tracks for the annotated copy: the box, "#<track id> <name>" or
 * "#<track id> unknown". Tentative tracks (no ID yet) and lost ones (predicted boxes) are not drawn.
 */
export function snapshotLabels(snapshot: ClipSnapshot | null | undefined): Label[] {
  if (!snapshot) return [];
  const labels: Label[] = [];
  for (const track of snapshot.tracks) {
    if (!track.box) continue;
    const name = track.identity?.name;
    const kind = trackFaceKind(track.state, track.trackId, name);
    if (kind === "known" || kind === "unknown") {
      labels.push(faceLabel(kind, [...track.box], { trackId: track.trackId, name }));
    }
  }
  return labels;
}

/** A frame written into a clip. */
export interface ClipFrameInfo {
  seq: number;
  /** Presentation time in the source, seconds. */
  pts: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
}

/** An alert covered by a clip. */
export interface ClipAlertInfo {
  id: string;
  seq: number;
  timeMs: number;
}

/** Why a clip was closed. */
export type ClipCloseReason = "window" | "stalled" | "camera_restarted" | "stopping";

/** Everything the side file is made from. */
export interface ClipResultsInput {
  camera: string;
  /** The clip's base key (without suffix). */
  key: string;
  alerts: readonly ClipAlertInfo[];
  /** The window asked for (frame numbers). */
  window: { firstSeq: number; lastSeq: number };
  /** Frames written, in order. */
  frames: readonly ClipFrameInfo[];
  fps: number;
  fpsSource: FpsSource;
  width: number;
  height: number;
  closedBy: ClipCloseReason;
  /** Snapshots of the camera by frame number (those of other frames are ignored). */
  snapshots: ReadonlyMap<number, ClipSnapshot>;
  /** Whether an annotated copy was made. */
  annotated: boolean;
}

/** One track on one frame, as the side file writes it. */
export interface ClipTrackResult {
  track_id: number;
  state: ClipTrackState;
  /** [x1, y1, x2, y2], pixels. */
  box: [number, number, number, number] | null;
  identity: { id: string; name: string } | null;
  /** Similarity of the evidence of the identity (0 when unknown). */
  similarity: number;
}

/** One frame of the side file. */
export interface ClipFrameResult {
  index: number;
  seq: number;
  pts: number;
  time_ms: number;
  /** The frame's live tracks; null when its snapshot never came (no tracking results for it). */
  tracks: ClipTrackResult[] | null;
}

/** The `.json` side file of a clip (version 1). */
export interface ClipResults {
  version: 1;
  camera: string;
  key: string;
  alert_ids: string[];
  /** Each alert with its trigger frame and that frame's index in the clip (null when it is not in it). */
  alerts: { id: string; seq: number; time_ms: number; frame_index: number | null }[];
  start_ms: number;
  end_ms: number;
  frames: number;
  fps: number;
  fps_source: FpsSource;
  width: number;
  height: number;
  annotated: boolean;
  closed_by: ClipCloseReason;
  /** The window asked for, and what of it the stream no longer (or never) had. */
  window: {
    first_seq: number;
    last_seq: number;
    requested_frames: number;
    /** Frames of the pre-roll missing (aged out of the stream, or the camera started later). */
    missing_before: number;
    /** Frames missing between the first and the last one recorded. */
    missing_inside: number;
    /** Frames of the post-roll missing (the camera stopped, or the clip was closed early). */
    missing_after: number;
    complete: boolean;
  };
  /** Frames without tracking results (their snapshot never came). */
  frames_without_results: number;
  per_frame: ClipFrameResult[];
}

function trackResults(snapshot: ClipSnapshot): ClipTrackResult[] {
  return snapshot.tracks.map((track) => ({
    track_id: track.trackId,
    state: track.state,
    box: track.box ? [...track.box] : null,
    identity: track.identity ? { id: track.identity.id, name: track.identity.name } : null,
    similarity: track.similarity,
  }));
}

/** How much of the window the recorded frames cover. */
export function windowCoverage(
  window: { firstSeq: number; lastSeq: number },
  seqs: readonly number[],
): { missingBefore: number; missingInside: number; missingAfter: number } {
  const requested = window.lastSeq - window.firstSeq + 1;
  const first = seqs[0];
  const last = seqs[seqs.length - 1];
  if (first === undefined || last === undefined) {
    return { missingBefore: requested, missingInside: 0, missingAfter: 0 };
  }
  return {
    missingBefore: Math.max(0, first - window.firstSeq),
    missingInside: last - first + 1 - seqs.length,
    missingAfter: Math.max(0, window.lastSeq - last),
  };
}

/** The side file of a clip. Throws when it has no frame (such a clip is a failure, not a clip). */
export function buildClipResults(input: ClipResultsInput): ClipResults {
  const { frames } = input;
  const first = frames[0];
  const last = frames[frames.length - 1];
  if (!first || !last) throw new Error(`clip ${input.key}: no frame to describe`);
  const indexBySeq = new Map(frames.map((frame, index) => [frame.seq, index]));
  const coverage = windowCoverage(
    input.window,
    frames.map((f) => f.seq),
  );
  let withoutResults = 0;
  const perFrame = frames.map((frame, index): ClipFrameResult => {
    const snapshot = input.snapshots.get(frame.seq);
    if (!snapshot) withoutResults++;
    return {
      index,
      seq: frame.seq,
      pts: frame.pts,
      time_ms: frame.timeMs,
      tracks: snapshot ? trackResults(snapshot) : null,
    };
  });
  return {
    version: 1,
    camera: input.camera,
    key: input.key,
    alert_ids: input.alerts.map((a) => a.id),
    alerts: input.alerts.map((a) => ({
      id: a.id,
      seq: a.seq,
      time_ms: a.timeMs,
      frame_index: indexBySeq.get(a.seq) ?? null,
    })),
    start_ms: first.timeMs,
    end_ms: last.timeMs,
    frames: frames.length,
    fps: input.fps,
    fps_source: input.fpsSource,
    width: input.width,
    height: input.height,
    annotated: input.annotated,
    closed_by: input.closedBy,
    window: {
      first_seq: input.window.firstSeq,
      last_seq: input.window.lastSeq,
      requested_frames: input.window.lastSeq - input.window.firstSeq + 1,
      missing_before: coverage.missingBefore,
      missing_inside: coverage.missingInside,
      missing_after: coverage.missingAfter,
      complete: coverage.missingBefore + coverage.missingInside + coverage.missingAfter === 0,
    },
    frames_without_results: withoutResults,
    per_frame: perFrame,
  };
}
