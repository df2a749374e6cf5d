/** One tracked face (ByteTrack's STrack): Kalman state plus bookkeeping. Internal to the package. */

import { type Box, boxToXyah, xyahToBox } from "./box.ts";
import { type KalmanFilter, type KalmanState, STATE_SIZE } from "./kalman-filter.ts";
import { expectArray, expectNumber, expectNumbers, SnapshotError } from "./snapshot.ts";
import type { Detection, TrackState, TrackView } from "./types.ts";

/** A track's whole state as plain JSON (numbers survive JSON.stringify → JSON.parse exactly). */
export interface TrackSnapshot {
  trackletId: number;
  startFrame: number;
  id: number;
  state: TrackState;
  score: number;
  hits: number;
  lastFrame: number;
  confirmedAt: number | null;
  detectionIndex: number | null;
  matchedBox: Box | null;
  /** Kalman mean (8) and covariance (8×8, row-major). */
  mean: number[];
  covariance: number[];
  /**
   * The last two matched detections (box, frame), newest last: the motion Track.carry goes on with.
   * Absent in snapshots of earlier versions: the last matched box then stands alone (no velocity).
   */
  matches?: { box: Box; frame: number }[];
}

const STATES: readonly TrackState[] = ["tentative", "confirmed", "lost"];

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
  /** The last two matched detections (box, frame), newest last: the observed motion, for carry. */
  #matches: { box: Box; frame: number }[] = [];
  /** Carried (predicted without detection) since the last match. */
  #carried = false;

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
    this.#matches = [{ box: [...detection.box], frame }];
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

  /**
   * Advances the track over a frame the detector did not look at. On the first such frame after a match,
   * the filter is set back on the last detection and the velocity observed between the last two
   * (ByteTrack's filter forgets a velocity slowly: a face that stopped a few frames ago would be carried
   * on), then predicted one frame as by {@link predict}.
   */
  carry(): void {
    const [previous, last] = this.#matches.length === 2 ? this.#matches : [undefined, this.#matches[0]];
    if (!this.#carried && last) {
      const mean = this.#kalman.mean;
      mean.set(boxToXyah(last.box), 0);
      const at = previous ? boxToXyah(previous.box) : undefined;
      const span = previous ? last.frame - previous.frame : 1;
      mean[4] = at ? ((mean[0] as number) - (at[0] as number)) / span : 0;
      mean[5] = at ? ((mean[1] as number) - (at[1] as number)) / span : 0;
      mean[6] = 0;
      mean[7] = 0;
    }
    this.#carried = true;
    this.predict();
  }

  /** Corrects with this frame's detection; a lost track becomes confirmed again (re-found). */
  update(detection: Detection, detectionIndex: number, frame: number): void {
    this.#matches = [...this.#matches.slice(-1), { box: [...detection.box], frame }];
    this.#carried = false;
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

  snapshot(): TrackSnapshot {
    return {
      trackletId: this.trackletId,
      startFrame: this.startFrame,
      id: this.id,
      state: this.state,
      score: this.score,
      hits: this.hits,
      lastFrame: this.lastFrame,
      confirmedAt: this.confirmedAt ?? null,
      detectionIndex: this.detectionIndex,
      matchedBox: this.matchedBox ? [...this.matchedBox] : null,
      mean: [...this.#kalman.mean],
      covariance: [...this.#kalman.covariance],
      matches: this.#matches.map((m) => ({ box: [...m.box], frame: m.frame })),
    };
  }

  /** The track a {@link snapshot} was taken of (throws a SnapshotError when it is malformed). */
  static fromSnapshot(filter: KalmanFilter, s: TrackSnapshot, what = "track"): Track {
    if (!STATES.includes(s.state)) throw new SnapshotError(`${what}.state: unknown state ${String(s.state)}`);
    const mean = expectNumbers(`${what}.mean`, s.mean, STATE_SIZE);
    const covariance = expectNumbers(`${what}.covariance`, s.covariance, STATE_SIZE * STATE_SIZE);
    const matchedBox =
      s.matchedBox === null ? null : (expectNumbers(`${what}.matchedBox`, s.matchedBox, 4) as Box);
    const track = new Track(
      filter,
      expectNumber(`${what}.trackletId`, s.trackletId, true),
      { box: matchedBox ?? [0, 0, 1, 1], score: expectNumber(`${what}.score`, s.score) },
      -1,
      expectNumber(`${what}.startFrame`, s.startFrame, true),
    );
    track.id = expectNumber(`${what}.id`, s.id, true);
    track.state = s.state;
    track.hits = expectNumber(`${what}.hits`, s.hits, true);
    track.lastFrame = expectNumber(`${what}.lastFrame`, s.lastFrame, true);
    track.confirmedAt =
      s.confirmedAt === null ? undefined : expectNumber(`${what}.confirmedAt`, s.confirmedAt, true);
    track.detectionIndex =
      s.detectionIndex === null ? null : expectNumber(`${what}.detectionIndex`, s.detectionIndex, true);
    track.matchedBox = matchedBox ? [...matchedBox] : null;
    track.#kalman = { mean: Float64Array.from(mean), covariance: Float64Array.from(covariance) };
    // The constructor took a placeholder box for its first match: never a motion to carry on.
    track.#matches =
      s.matches === undefined
        ? matchedBox
          ? [{ box: [...matchedBox], frame: track.lastFrame }]
          : []
        : expectArray(`${what}.matches`, s.matches)
            .slice(-2)
            .map((m, i) => ({
              box: expectNumbers(`${what}.matches[${i}].box`, (m as { box?: unknown }).box, 4) as Box,
              frame: expectNumber(`${what}.matches[${i}].frame`, (m as { frame?: unknown }).frame, true),
            }));
    return track;
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
