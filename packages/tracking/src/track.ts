/** One tracked face (ByteTrack's STrack): Kalman state plus bookkeeping. Internal to the package. */

import { type Box, boxToXyah, xyahToBox } from "./box.ts";
import type { KalmanFilter, KalmanState } from "./kalman-filter.ts";
import type { Detection, TrackState, TrackView } from "./types.ts";

export class Track {
  readonly trackletId: number;
  readonly startFrame: number;
  /** Public ID, 0 until confirmed. */
  id = 0;
  state: TrackState = "tentative";
  score: number;
  hits = 1;
  lastFrame: number;
  confirmedAt: number | undefined;
  /** This frame's match, reset by {@link predict}. */
  detectionIndex: number | null;
  matchedBox: Box | null;
  readonly #filter: KalmanFilter;
  #kalman: KalmanState;

  constructor(
    filter: KalmanFilter,
    trackletId: number,
    detection: Detection,
    detectionIndex: number,
    frame: number,
  ) {
    this.#filter = filter;
    this.trackletId = trackletId;
    this.#kalman = filter.initiate(boxToXyah(detection.box));
    this.score = detection.score;
    this.startFrame = frame;
    this.lastFrame = frame;
    this.detectionIndex = detectionIndex;
    this.matchedBox = [...detection.box];
  }

  /** Kalman box (cx, cy, a, h → x1, y1, x2, y2). */
  get smoothedBox(): Box {
    return xyahToBox(this.#kalman.mean);
  }

  /** Advances the Kalman state by one frame; a lost track does not keep growing or shrinking. */
  predict(): void {
    this.detectionIndex = null;
    this.matchedBox = null;
    const mean = this.#kalman.mean;
    if (this.state === "lost") mean[7] = 0;
    this.#kalman = this.#filter.predict(this.#kalman);
  }

  /** Corrects with this frame's detection; a lost track becomes confirmed again (re-found). */
  update(detection: Detection, detectionIndex: number, frame: number): void {
    this.#kalman = this.#filter.update(this.#kalman, boxToXyah(detection.box));
    this.score = detection.score;
    this.hits++;
    this.lastFrame = frame;
    this.detectionIndex = detectionIndex;
    this.matchedBox = [...detection.box];
    if (this.state === "lost") this.state = "confirmed";
  }

  confirm(id: number, frame: number): void {
    this.id = id;
    this.state = "confirmed";
    this.confirmedAt = frame;
  }

  view(frame: number): TrackView {
    const smoothedBox = this.smoothedBox;
    const view: TrackView = {
      id: this.id,
      trackletId: this.trackletId,
      state: this.state,
      box: this.matchedBox ? [...this.matchedBox] : [...smoothedBox],
      smoothedBox,
      score: this.score,
      detectionIndex: this.detectionIndex,
      hits: this.hits,
      age: frame - this.startFrame,
      framesSinceUpdate: frame - this.lastFrame,
      startFrame: this.startFrame,
      lastFrame: this.lastFrame,
    };
    if (this.confirmedAt !== undefined) view.confirmedAt = this.confirmedAt;
    return view;
  }
}
