/**
 * What decoding a file lost: frames that never came out of ffmpeg (gaps in the timestamps, a head or a tail
 * missing against the stream's start and duration, packets that failed) and frames decoded with errors,
 * with where they were. Only a run in which ffmpeg reported trouble (decode-trouble.ts) counts gaps as
 * losses, so a clean variable-frame-rate file is never called damaged.
 */

import type { DecodeTrouble } from "./decode-trouble.ts";

/** Frames lost, or decoded with errors, over [startS, endS) of the file's timeline. */
export interface DamagedRange {
  /** Seconds on the frames' timeline (VideoFrame.pts): 0 is the first frame's place in the file. */
  startS: number;
  endS: number;
  frames: number;
  /** "lost": not decoded at all; "corrupt": decoded with errors the decoder concealed. */
  kind: "lost" | "corrupt";
}

/** What decoding a file lost (VideoSource.frameLoss once frames() reached the end). */
export interface FrameLoss {
  /** Frames that came out of the decoder. */
  decodedFrames: number;
  /** Frames that did not (could not be decoded). */
  lostFrames: number;
  /** Frames decoded with errors (damaged parts concealed by the decoder). */
  corruptFrames: number;
  /** decodedFrames + lostFrames: the frames the file should have given. */
  expectedFrames: number;
  /** Where, in time order. */
  ranges: DamagedRange[];
}

/** True when frames were lost or decoded with errors. */
export function isDamaged(loss: FrameLoss | undefined): loss is FrameLoss {
  return loss !== undefined && loss.lostFrames + loss.corruptFrames > 0;
}

/** A gap longer than this many frame intervals is frames missing. */
const GAP_INTERVALS = 1.5;

export interface FrameLossOptions {
  /** Frame rate of the frames decoded (the source's, or the fps override). */
  fps: number;
  /** Start of the video stream in its own timeline (ffprobe's start_time), when known. */
  startS?: number;
  /** Duration of the stream, when known: frames missing at the end are counted against it. */
  durationS?: number;
}

/**
 * The origin of the frames' timeline for a file: the stream's start when frames are missing at its head
 * (so that times stay those of the file), else the first frame's own time.
 */
export function timelineOrigin(firstS: number, fps: number, startS: number | undefined): number {
  return startS !== undefined && firstS - startS > GAP_INTERVALS / fps ? startS : firstS;
}

/** Collects the stream times of the decoded frames of one file, in order, and says what was lost. */
export class FrameLossCounter {
  readonly #options: FrameLossOptions;
  readonly #times: number[] = [];

  constructor(options: FrameLossOptions) {
    this.#options = options;
  }

  /** The next decoded frame, at `streamS` in the stream's timeline (undefined: no timestamp). */
  frame(streamS: number | undefined): void {
    const interval = 1 / this.#options.fps;
    const last = this.#times.at(-1);
    this.#times.push(streamS ?? (last === undefined ? (this.#options.startS ?? 0) : last + interval));
  }

  /** What was lost, given the troubles ffmpeg reported during the run. */
  finish(troubles: readonly DecodeTrouble[]): FrameLoss {
    // In time order: a decoder may flush a delayed frame last, after later ones (B-frames around damage).
    const times = [...this.#times].sort((a, b) => a - b);
    const decodedFrames = times.length;
    if (troubles.length === 0) {
      return { decodedFrames, lostFrames: 0, corruptFrames: 0, expectedFrames: decodedFrames, ranges: [] };
    }
    const { fps, startS, durationS } = this.#options;
    const interval = 1 / fps;
    const first = times[0];
    const origin = first === undefined ? (startS ?? 0) : timelineOrigin(first, fps, startS);
    const endS = durationS === undefined ? undefined : (startS ?? origin) + durationS;
    const lost: DamagedRange[] = [];
    const addLost = (from: number, to: number) => {
      const frames = Math.round((to - from) / interval);
      if (frames > 0) lost.push({ startS: from - origin, endS: to - origin, frames, kind: "lost" });
    };
    if (first === undefined) {
      if (endS !== undefined) addLost(origin, endS);
    } else {
      if (first - origin > GAP_INTERVALS * interval) addLost(origin, first);
      for (let i = 1; i < times.length; i++) {
        const previous = times[i - 1] as number;
        const next = times[i] as number;
        if (next - previous > GAP_INTERVALS * interval) addLost(previous + interval, next);
      }
      const last = times.at(-1) as number;
      if (endS !== undefined && endS - last > GAP_INTERVALS * interval) addLost(last + interval, endS);
    }
    // Packets that failed where no gap shows (frames duplicated by an fps override): one frame each, at
    // the frame that came next.
    if (lost.length === 0) {
      for (const t of troubles) {
        if (t.kind === "failed") lost.push(this.#frameRange(t.beforeFrame, origin, "lost"));
      }
    }
    const corrupt = troubles
      .filter((t) => t.kind === "corrupt" && t.beforeFrame < decodedFrames)
      .map((t) => this.#frameRange(t.beforeFrame, origin, "corrupt"));
    const lostFrames = lost.reduce((sum, r) => sum + r.frames, 0);
    const ranges = mergeRanges([...lost, ...mergeRanges(corrupt)]);
    const corruptFrames = ranges.filter((r) => r.kind === "corrupt").reduce((sum, r) => sum + r.frames, 0);
    return { decodedFrames, lostFrames, corruptFrames, expectedFrames: decodedFrames + lostFrames, ranges };
  }

  /** The one-frame range of decoded frame `index` (or just after the last frame). */
  #frameRange(index: number, origin: number, kind: DamagedRange["kind"]): DamagedRange {
    const interval = 1 / this.#options.fps;
    const last = this.#times.at(-1);
    const at = this.#times[index] ?? (last === undefined ? origin : last + interval);
    return { startS: at - origin, endS: at - origin + interval, frames: 1, kind };
  }
}

/** Ranges in time order, those of one kind that touch or overlap joined (frames added up). */
function mergeRanges(ranges: DamagedRange[]): DamagedRange[] {
  const sorted = [...ranges].sort((a, b) => a.startS - b.startS || a.endS - b.endS);
  const merged: DamagedRange[] = [];
  const epsilon = 1e-6;
  for (const range of sorted) {
    const previous = merged.at(-1);
    if (previous && previous.kind === range.kind && range.startS <= previous.endS + epsilon) {
      previous.endS = Math.max(previous.endS, range.endS);
      previous.frames += range.frames;
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/** Ranges shown in a message before "and N more". */
const SHOWN_RANGES = 5;

function seconds(s: number): string {
  return s.toFixed(2);
}

function describeRanges(ranges: DamagedRange[]): string {
  const shown = ranges
    .slice(0, SHOWN_RANGES)
    .map((r) => (r.frames === 1 ? `${seconds(r.startS)} s` : `${seconds(r.startS)}–${seconds(r.endS)} s`));
  const more = ranges.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

/**
 * What was lost, in words: "lost 174 of 275 frames: 3.37–9.18 s" and/or "1 frame decoded with errors:
 * 4.60 s" ("" when nothing was).
 */
export function describeFrameLoss(loss: FrameLoss): string {
  const parts: string[] = [];
  if (loss.lostFrames > 0) {
    const where = describeRanges(loss.ranges.filter((r) => r.kind === "lost"));
    parts.push(`lost ${loss.lostFrames} of ${loss.expectedFrames} frames${where ? `: ${where}` : ""}`);
  }
  if (loss.corruptFrames > 0) {
    const n = loss.corruptFrames;
    const where = describeRanges(loss.ranges.filter((r) => r.kind === "corrupt"));
    parts.push(`${n} frame${n === 1 ? "" : "s"} decoded with errors${where ? `: ${where}` : ""}`);
  }
  return parts.join("; ");
}
