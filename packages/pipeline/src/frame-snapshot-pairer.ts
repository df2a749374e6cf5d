/**
 * Pairs a camera's frames with the track snapshot of the same frame. The snapshot comes after its frame (the
 * detection and tracking latency) or, when frames and snapshots come through two feeds, sometimes before
 * it. The one pairer of the live restream, the web page's live view and the clips' annotated copies: each
 * gives its policy (how long a frame waits, what it gets when its own snapshot does not come, how much is
 * kept).
 */

/** What pairing needs of a frame or a snapshot: the frame's sequence number and capture time. */
export interface FrameRef {
  seq: number;
  /** Capture time, ms since the epoch (tells a frame of one ingest run from the same seq of another). */
  timeMs: number;
}

/** How a frame got its snapshot. */
export type Pairing =
  /** Its own snapshot. */
  | "exact"
  /** Its own did not come in time: the snapshot closest to it in capture time. */
  | "nearest"
  /** No snapshot for it. */
  | "none";

/** A frame whose pairing is decided, with its snapshot (null: none). */
export interface PairedFrame<F extends FrameRef = FrameRef, S extends FrameRef = FrameRef> {
  frame: F;
  snapshot: S | null;
  pairing: Pairing;
}

/** When a frame stops waiting for its snapshot, and what it gets then. */
export interface PairingPolicy {
  /** How long a frame waits for its snapshot, ms (default: no limit; until it came or a later one did). */
  waitMs?: number;
  /** What a frame whose own snapshot did not come gets: "none" (default) or "nearest" (within staleMs). */
  fallback?: "none" | "nearest";
  /** With "nearest": a snapshot further than this from the frame in capture time is not its, ms (default 1000). */
  staleMs?: number;
  /** Frames waiting at most; beyond, the oldest is decided at once (default: no limit). */
  maxPending?: number;
  /** Recent snapshots kept to pair frames with (default: no limit). */
  keepSnapshots?: number;
  /**
   * While no snapshot came for this long (tracking is not running), frames do not wait: each is decided as
   * it comes, ms (default: frames always wait).
   */
  idleAfterMs?: number;
}

/** Whether snapshot `s` is of a later frame than `f` (capture time first: seq starts again at an ingest restart). */
function isLater(s: FrameRef, f: FrameRef): boolean {
  return s.timeMs > f.timeMs || (s.timeMs === f.timeMs && s.seq > f.seq);
}

/**
 * Frames come in through addFrame, in their order; the frames whose pairing is decided come out of
 * addFrame, addSnapshot, expire and flush, oldest first. A frame's pairing is decided when its own snapshot
 * (same seq and capture time) came, when a later frame's snapshot came (snapshots come in order: its own
 * will not come any more), when it waited waitMs, when more than maxPending frames wait, or at once while
 * tracking is idle. The clock is the caller's (nowMs arguments).
 */
export class FrameSnapshotPairer<F extends FrameRef, S extends FrameRef> {
  readonly waitMs: number;
  readonly #fallback: "none" | "nearest";
  readonly #staleMs: number;
  readonly #maxPending: number;
  readonly #keepSnapshots: number;
  readonly #idleAfterMs: number | undefined;
  readonly #pending: { frame: F; deadline: number }[] = [];
  readonly #snapshots: S[] = [];
  #lastSnapshotAt = Number.NEGATIVE_INFINITY;

  constructor(policy: PairingPolicy = {}) {
    this.waitMs = policy.waitMs ?? Number.POSITIVE_INFINITY;
    this.#fallback = policy.fallback ?? "none";
    this.#staleMs = policy.staleMs ?? 1000;
    this.#maxPending = Math.max(1, policy.maxPending ?? Number.POSITIVE_INFINITY);
    this.#keepSnapshots = Math.max(1, policy.keepSnapshots ?? Number.POSITIVE_INFINITY);
    this.#idleAfterMs = policy.idleAfterMs;
  }

  /** Frames waiting for their snapshot. */
  get pending(): number {
    return this.#pending.length;
  }

  /** When the oldest waiting frame stops waiting (ms, the clock of addFrame), or undefined when none waits. */
  get nextDeadline(): number | undefined {
    const deadline = this.#pending[0]?.deadline;
    return deadline === Number.POSITIVE_INFINITY ? undefined : deadline;
  }

  /** Whether snapshots are coming (always, without idleAfterMs): a snapshot came in the last idleAfterMs. */
  tracking(nowMs: number): boolean {
    return this.#idleAfterMs === undefined || nowMs - this.#lastSnapshotAt < this.#idleAfterMs;
  }

  /** Whether frame `frame`'s snapshot came or was passed (a later frame's came). */
  settled(frame: FrameRef): boolean {
    const latest = this.#snapshots.at(-1);
    return this.#own(frame) !== undefined || (latest !== undefined && isLater(latest, frame));
  }

  /** Takes a frame at time `nowMs`; returns the frames decided now (its own snapshot may already be here). */
  addFrame(frame: F, nowMs: number): PairedFrame<F, S>[] {
    this.#pending.push({ frame, deadline: nowMs + this.waitMs });
    if (!this.tracking(nowMs)) return this.flush();
    const out = this.#releaseSettled();
    while (this.#pending.length > this.#maxPending) {
      out.push(this.#pair((this.#pending.shift() as { frame: F }).frame));
    }
    return out;
  }

  /** Takes a snapshot (at `nowMs`, for idleAfterMs); returns the frames it decides. */
  addSnapshot(snapshot: S, nowMs = 0): PairedFrame<F, S>[] {
    const last = this.#snapshots.at(-1);
    // A snapshot older than the last one (the camera's ingest restarted with another clock): start over.
    if (last && snapshot.timeMs < last.timeMs) this.#snapshots.length = 0;
    this.#snapshots.push(snapshot);
    if (this.#snapshots.length > this.#keepSnapshots) this.#snapshots.shift();
    this.#lastSnapshotAt = nowMs;
    return this.#releaseSettled();
  }

  /** Returns the frames that waited their time by `nowMs`. */
  expire(nowMs: number): PairedFrame<F, S>[] {
    const out: PairedFrame<F, S>[] = [];
    while (this.#pending.length > 0 && (this.#pending[0] as { deadline: number }).deadline <= nowMs) {
      out.push(this.#pair((this.#pending.shift() as { frame: F }).frame));
    }
    return out;
  }

  /** Every waiting frame, paired with what is here (at the end, or while tracking is idle). */
  flush(): PairedFrame<F, S>[] {
    return this.#pending.splice(0).map(({ frame }) => this.#pair(frame));
  }

  /** Forgets the waiting frames and the snapshots (the caller saw the camera's stream start again). */
  reset(): void {
    this.#pending.length = 0;
    this.#snapshots.length = 0;
  }

  #releaseSettled(): PairedFrame<F, S>[] {
    const out: PairedFrame<F, S>[] = [];
    const latest = this.#snapshots.at(-1);
    while (this.#pending.length > 0) {
      const { frame } = this.#pending[0] as { frame: F };
      const own = this.#own(frame);
      if (own === undefined && !(latest && isLater(latest, frame))) break;
      this.#pending.shift();
      out.push(own ? { frame, snapshot: own, pairing: "exact" } : this.#pair(frame));
    }
    return out;
  }

  #own(frame: FrameRef): S | undefined {
    for (let i = this.#snapshots.length - 1; i >= 0; i--) {
      const s = this.#snapshots[i] as S;
      if (s.seq === frame.seq && s.timeMs === frame.timeMs) return s;
    }
    return undefined;
  }

  #pair(frame: F): PairedFrame<F, S> {
    const own = this.#own(frame);
    if (own) return { frame, snapshot: own, pairing: "exact" };
    if (this.#fallback === "none") return { frame, snapshot: null, pairing: "none" };
    let best: S | undefined;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const s of this.#snapshots) {
      const gap = Math.abs(s.timeMs - frame.timeMs);
      if (gap < bestGap) {
        best = s;
        bestGap = gap;
      }
    }
    return best && bestGap <= this.#staleMs
      ? { frame, snapshot: best, pairing: "nearest" }
      : { frame, snapshot: null, pairing: "none" };
  }
}
