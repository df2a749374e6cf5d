import type { ClipSnapshot, ClipTrackState } from "@facetracker/pipeline";
import { type TrackSnapshot, TrackStateKind } from "@facetracker/proto";

const STATES: Record<number, ClipTrackState> = {
  [TrackStateKind.TENTATIVE]: "tentative",
  [TrackStateKind.CONFIRMED]: "confirmed",
  [TrackStateKind.LOST]: "lost",
};

/** A TrackSnapshot reduced to what a clip keeps. */
export function clipSnapshot(snapshot: TrackSnapshot): ClipSnapshot {
  return {
    seq: snapshot.seq,
    tracks: snapshot.tracks.map((track) => ({
      trackId: track.trackId,
      state: STATES[track.state] ?? "unspecified",
      box: track.box ? [track.box.x1, track.box.y1, track.box.x2, track.box.y2] : null,
      identity: track.identity ? { id: track.identity.id, name: track.identity.name } : null,
      similarity: track.identity?.similarity ?? 0,
    })),
  };
}

/**
 * The tracking results (snapshots) of one clip's frames as they come from FT_SNAPSHOTS, which lag the
 * frames by the pipeline's latency: whether a frame's snapshot came or can no longer come (a later one
 * did), and a bounded wait for one.
 */
export class SnapshotBook {
  readonly #firstSeq: number;
  readonly #maxSeq: () => number;
  readonly #bySeq = new Map<number, ClipSnapshot>();
  #latest = 0;
  #waiters: { seq: number; resolve: () => void }[] = [];
  #onChange: () => void;

  /**
   * Keeps the snapshots of frames firstSeq…maxSeq() (maxSeq is read at each arrival: the clip's window may
   * grow); `onChange` is called after each one kept or passed.
   */
  constructor(firstSeq: number, maxSeq: () => number, onChange: () => void = () => {}) {
    this.#firstSeq = firstSeq;
    this.#maxSeq = maxSeq;
    this.#onChange = onChange;
  }

  /** Records a snapshot of the camera (those before the window are ignored). */
  add(snapshot: TrackSnapshot): void {
    if (snapshot.seq < this.#firstSeq) return;
    if (snapshot.seq <= this.#maxSeq()) this.#bySeq.set(snapshot.seq, clipSnapshot(snapshot));
    if (snapshot.seq > this.#latest) this.#latest = snapshot.seq;
    this.#waiters = this.#waiters.filter((w) => {
      if (w.seq > this.#latest) return true;
      w.resolve();
      return false;
    });
    this.#onChange();
  }

  /** The snapshot of frame `seq`, if it came. */
  get(seq: number): ClipSnapshot | undefined {
    return this.#bySeq.get(seq);
  }

  /** Whether frame `seq`'s snapshot came or was passed (a later frame's came: it will not come any more). */
  settled(seq: number): boolean {
    return this.#latest >= seq;
  }

  /** The kept snapshots by frame. */
  get all(): ReadonlyMap<number, ClipSnapshot> {
    return this.#bySeq;
  }

  /** Resolves once frame `seq` is settled, or after `timeoutMs` (true when settled). */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.settled(seq)) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
