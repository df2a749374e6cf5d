import { timelineOrigin } from "./frame-loss.ts";

/**
 * Maps the timestamps of decoded frames (each ffmpeg run has its own timeline) to one timeline in seconds
 * that starts at 0 with the first frame and never goes back:
 * - the first segment (ffmpeg run) starts at 0: a file with a start offset still gives 0 first, unless
 *   frames are missing at the head of a file whose stream start is given (its first frame keeps its place
 *   in the file, as the lost frames' times in frame-loss.ts do);
 * - a later segment (after a reconnect) starts after the last frame plus the time the source was away
 *   (wall clock), at least one frame interval;
 * - a timestamp going backwards inside a segment (a camera resetting its clock) starts a new offset one
 *   frame interval after the last frame; a frame without timestamp gets last + one interval.
 */
export class Timeline {
  readonly #frameIntervalS: number;
  readonly #fps: number;
  readonly #startS: number | undefined;
  #offset: number | undefined;
  #lastPts: number | undefined;
  #lastWallMs = 0;

  /** `startS`: the start of a file's video stream in its own timeline (ffprobe's start_time), if known. */
  constructor(fps: number, startS?: number) {
    this.#frameIntervalS = 1 / fps;
    this.#fps = fps;
    this.#startS = startS;
  }

  /** The next frame starts a new segment (a new ffmpeg run over the same source). */
  startSegment(): void {
    this.#offset = undefined;
  }

  /** The timeline time of a frame whose stream timestamp is `streamS`, received at `nowMs` (wall clock). */
  map(streamS: number | undefined, nowMs: number): number {
    const last = this.#lastPts;
    let pts: number;
    if (last === undefined) {
      pts = 0;
      if (streamS !== undefined) {
        this.#offset = -timelineOrigin(streamS, this.#fps, this.#startS);
        pts = streamS + this.#offset;
      }
    } else if (streamS === undefined) {
      pts = last + this.#frameIntervalS;
    } else if (this.#offset === undefined) {
      const awayS = Math.max(0, nowMs - this.#lastWallMs) / 1000;
      pts = last + Math.max(this.#frameIntervalS, awayS);
      this.#offset = pts - streamS;
    } else {
      pts = streamS + this.#offset;
      if (pts < last) {
        pts = last + this.#frameIntervalS;
        this.#offset = pts - streamS;
      }
    }
    this.#lastPts = pts;
    this.#lastWallMs = nowMs;
    return pts;
  }
}
