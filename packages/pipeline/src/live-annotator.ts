/**
 * The annotated live view of a camera (the restream): each frame paired with the tracking snapshot of the
 * same frame, which comes a little after it (detection and tracking latency), then drawn. A frame never
 * waits long for its snapshot: past the wait it is drawn with the snapshot closest to it in time, or
 * without boxes when none is recent, so the live view stays live.
 */

import { drawLabelsRaw, type Label, type RgbImage } from "@facetracker/vision";
import type { ClipTrack } from "./clip-results.ts";
import { KNOWN_COLOR, UNKNOWN_COLOR } from "./clip-results.ts";
import { decodeJpeg } from "./jpeg.ts";

/** The live tracks of one frame, as the live view draws them (from the camera's TrackSnapshot). */
export interface LiveSnapshot {
  /** Sequence number of the frame. */
  seq: number;
  /** Capture time of the frame, ms since the epoch (pairs frames across ingest restarts, which reset seq). */
  timeMs: number;
  tracks: ClipTrack[];
}

/** A frame of the live view: what pairing needs of it, and whatever the caller carries along. */
export interface LiveFrameRef {
  seq: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
}

/** How a frame got its snapshot. */
export type LivePairing =
  /** Its own snapshot. */
  | "exact"
  /** Its own did not come in time: the snapshot closest to it in capture time. */
  | "nearest"
  /** No snapshot near enough in time: drawn without boxes. */
  | "none";

export interface PairedFrame<F extends LiveFrameRef> {
  frame: F;
  snapshot: LiveSnapshot | undefined;
  pairing: LivePairing;
}

export interface LiveFramePairerOptions {
  /** How long a frame waits for its snapshot, ms (default 300). */
  waitMs?: number;
  /** Frames waiting at most; beyond, the oldest goes without waiting more (default 16). */
  maxPending?: number;
  /** A snapshot further than this from the frame in capture time is not drawn on it, ms (default 1000). */
  staleMs?: number;
  /** Recent snapshots kept to pair frames with (default 64). */
  keepSnapshots?: number;
}

/** Box colour of a face still being identified (tentative track). */
export const IDENTIFYING_COLOR = "#f9a825";
/** Box colour of a lost track (predicted box: the face was not seen on this frame). */
export const LOST_COLOR = "#9e9e9e";

/**
 * Pairs a camera's frames with their snapshots, in frame order. Frames come in through addFrame; the
 * frames whose pairing is decided come out of addFrame, addSnapshot and expire, oldest first. A frame's
 * pairing is decided when its snapshot came, when a later frame's snapshot came (snapshots come in
 * order: its own will not come any more), or when it waited waitMs.
 */
export class LiveFramePairer<F extends LiveFrameRef> {
  readonly waitMs: number;
  readonly #maxPending: number;
  readonly #staleMs: number;
  readonly #keepSnapshots: number;
  readonly #pending: { frame: F; deadline: number }[] = [];
  readonly #snapshots: LiveSnapshot[] = [];

  constructor(options: LiveFramePairerOptions = {}) {
    this.waitMs = options.waitMs ?? 300;
    this.#maxPending = Math.max(1, options.maxPending ?? 16);
    this.#staleMs = options.staleMs ?? 1000;
    this.#keepSnapshots = Math.max(1, options.keepSnapshots ?? 64);
  }

  /** Frames waiting for their snapshot. */
  get pending(): number {
    return this.#pending.length;
  }

  /** When the oldest waiting frame stops waiting (ms, the clock of addFrame), or undefined when none waits. */
  get nextDeadline(): number | undefined {
    return this.#pending[0]?.deadline;
  }

  /** Takes a frame at time `nowMs`; returns the frames decided now (its own snapshot may already be here). */
  addFrame(frame: F, nowMs: number): PairedFrame<F>[] {
    this.#pending.push({ frame, deadline: nowMs + this.waitMs });
    const out = this.#releaseSettled();
    while (this.#pending.length > this.#maxPending) {
      out.push(this.#pair((this.#pending.shift() as { frame: F }).frame));
    }
    return out;
  }

  /** Takes a snapshot; returns the frames it decides. */
  addSnapshot(snapshot: LiveSnapshot): PairedFrame<F>[] {
    const last = this.#snapshots.at(-1);
    // A snapshot older than the last one (the camera's ingest restarted with another clock): start over.
    if (last && snapshot.timeMs < last.timeMs) this.#snapshots.length = 0;
    this.#snapshots.push(snapshot);
    if (this.#snapshots.length > this.#keepSnapshots) this.#snapshots.shift();
    return this.#releaseSettled();
  }

  /** Returns the frames that waited their time by `nowMs`. */
  expire(nowMs: number): PairedFrame<F>[] {
    const out: PairedFrame<F>[] = [];
    while (this.#pending.length > 0 && (this.#pending[0] as { deadline: number }).deadline <= nowMs) {
      out.push(this.#pair((this.#pending.shift() as { frame: F }).frame));
    }
    return out;
  }

  /** Every waiting frame, paired with what is here (at stop). */
  flush(): PairedFrame<F>[] {
    return this.#pending.splice(0).map(({ frame }) => this.#pair(frame));
  }

  #releaseSettled(): PairedFrame<F>[] {
    const out: PairedFrame<F>[] = [];
    const latest = this.#snapshots.at(-1);
    while (this.#pending.length > 0) {
      const { frame } = this.#pending[0] as { frame: F };
      const own = this.#own(frame);
      if (own === undefined && !(latest && latest.timeMs > frame.timeMs)) break;
      this.#pending.shift();
      out.push(own ? { frame, snapshot: own, pairing: "exact" } : this.#pair(frame));
    }
    return out;
  }

  #own(frame: F): LiveSnapshot | undefined {
    for (let i = this.#snapshots.length - 1; i >= 0; i--) {
      const s = this.#snapshots[i] as LiveSnapshot;
      if (s.seq === frame.seq && s.timeMs === frame.timeMs) return s;
    }
    return undefined;
  }

  #pair(frame: F): PairedFrame<F> {
    const own = this.#own(frame);
    if (own) return { frame, snapshot: own, pairing: "exact" };
    let best: LiveSnapshot | undefined;
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
      : { frame, snapshot: undefined, pairing: "none" };
  }
}

/**
 * Labels of one frame for the live view: every track with a box, coloured by state. Tentative: "identifying"
 * (no ID yet); confirmed with an identity: "#<id> <name>" (green); confirmed without: "#<id> unknown" (red);
 * lost (predicted box): "#<id> <name or unknown> (lost)" (grey).
 */
export function liveLabels(snapshot: LiveSnapshot | undefined): Label[] {
  if (!snapshot) return [];
  const labels: Label[] = [];
  for (const track of snapshot.tracks) {
    if (!track.box) continue;
    const box: Label["box"] = [...track.box];
    const who = track.identity?.name || "unknown";
    if (track.state === "tentative" || (track.state === "confirmed" && track.trackId === 0)) {
      labels.push({ box, text: "identifying", color: IDENTIFYING_COLOR });
    } else if (track.state === "confirmed") {
      const known = Boolean(track.identity?.name);
      labels.push({ box, text: `#${track.trackId} ${who}`, color: known ? KNOWN_COLOR : UNKNOWN_COLOR });
    } else if (track.state === "lost") {
      labels.push({ box, text: `#${track.trackId} ${who} (lost)`, color: LOST_COLOR });
    }
  }
  return labels;
}

/** Decodes a frame's JPEG and draws its snapshot's labels on it (RGB24, the frame's own size). */
export async function drawLiveFrame(jpeg: Uint8Array, snapshot: LiveSnapshot | undefined): Promise<RgbImage> {
  const image = await decodeJpeg(jpeg);
  return drawLabelsRaw(image, liveLabels(snapshot));
}
