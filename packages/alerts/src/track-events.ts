/**
 * Track events from per-frame track results: what a subscriber (the alert stage, a UI) needs to know,
 * without the per-frame noise. For each public track ID:
 *
 * - `confirmed`: the track got its ID (the face persisted `credence_count` frames);
 * - `identified`: its identity, a name or unknown, is settled for the first time;
 * - `identity_changed`: a settled identity changed (consistent evidence for someone else);
 * - `lost`: not seen on this frame (may be re-found);
 * - `found`: seen again after being lost;
 * - `ended`: the track is over.
 */
export type TrackEventType = "confirmed" | "identified" | "identity_changed" | "lost" | "found" | "ended";

export interface TrackIdentityLike {
  id: string;
  name: string;
  similarity: number;
}

export interface TrackLike {
  trackId: number;
  state: "tentative" | "confirmed" | "lost";
  box: [number, number, number, number];
  identity: TrackIdentityLike | null;
  /** While identity is null: the identity the face came closest to, below the threshold. */
  closest?: TrackIdentityLike;
  identitySettled: boolean;
  /** No face good enough to tell who it is yet (face_quality): neither named nor unknown. Absent: false. */
  undetermined?: boolean;
}

export interface FrameLike {
  index: number;
  pts: number;
  tracks: TrackLike[];
  ended: number[];
}

export interface TrackEvent {
  type: TrackEventType;
  trackId: number;
  frame: number;
  pts: number;
  box: [number, number, number, number] | null;
  identity: TrackIdentityLike | null;
  /**
   * No identity settled yet (neither a name nor unknown): `identity` null then means "not known yet",
   * not unknown (e.g. a track confirmed while no embed worker answered). Absent: false.
   */
  identifying?: boolean;
  /** An unknown face: the identity it came closest to, below the threshold (absent when none). */
  closest?: TrackIdentityLike;
  /**
   * The track's face (mean of its recent embeddings, L2-normalised), on identified and identity_changed
   * events when the producer has it: how the alert stage tells a new track's face from recent ones.
   */
  embedding?: Float32Array;
  /**
   * Undetermined (with `identifying`): the track's faces so far were all below the quality bar, so nothing
   * can be told of who it is; never to be taken for unknown. Absent: false.
   */
  undetermined?: boolean;
  /**
   * Ended events, when the producer has them: a few of the track's embeddings chosen for quality and
   * diversity, with their face quality (0..1), for the face memory.
   */
  memoryEmbeddings?: { vector: Float32Array; quality: number }[];
}

interface Known {
  state: TrackLike["state"];
  settled: boolean;
  identityId: string | null;
  box: TrackLike["box"];
  identity: TrackIdentityLike | null;
  undetermined: boolean;
}

/** Format version of {@link TrackEventDeriverSnapshot}. */
export const TRACK_EVENTS_SNAPSHOT_VERSION = 1;

/** What a deriver knows of each live track, as plain JSON. */
export interface TrackEventDeriverSnapshot {
  v: typeof TRACK_EVENTS_SNAPSHOT_VERSION;
  known: {
    trackId: number;
    state: TrackLike["state"];
    /** The identity has been settled once. */
    settled: boolean;
    /** The last settled identity (null: unknown or none yet). */
    identityId: string | null;
    box: TrackLike["box"];
    identity: TrackIdentityLike | null;
    /** Absent in snapshots taken before it existed: false. */
    undetermined?: boolean;
  }[];
}

const STATES: readonly TrackLike["state"][] = ["tentative", "confirmed", "lost"];

export class TrackEventDeriver {
  readonly #known = new Map<number, Known>();

  /** The deriver's state, JSON-able: per live track, what the last frame said of it. */
  snapshot(): TrackEventDeriverSnapshot {
    return {
      v: TRACK_EVENTS_SNAPSHOT_VERSION,
      known: [...this.#known].map(([trackId, k]) => ({
        trackId,
        state: k.state,
        settled: k.settled,
        identityId: k.identityId,
        box: [...k.box],
        identity: k.identity ? { ...k.identity } : null,
        undetermined: k.undetermined,
      })),
    };
  }

  /** Replaces the state with a snapshot's; throws (changing nothing) for another version or a malformed one. */
  restore(snapshot: TrackEventDeriverSnapshot): void {
    const s = snapshot as Partial<TrackEventDeriverSnapshot> | null;
    if (typeof s !== "object" || s === null || s.v !== TRACK_EVENTS_SNAPSHOT_VERSION) {
      throw new Error(
        `TrackEventDeriver snapshot: unsupported format version ${JSON.stringify(s?.v)} (this build reads version ${TRACK_EVENTS_SNAPSHOT_VERSION})`,
      );
    }
    if (!Array.isArray(s.known)) throw new Error("TrackEventDeriver.known: expected an array");
    const known = new Map<number, Known>();
    for (const [i, k] of s.known.entries()) {
      const valid =
        Number.isInteger(k?.trackId) &&
        STATES.includes(k.state) &&
        typeof k.settled === "boolean" &&
        (k.identityId === null || typeof k.identityId === "string") &&
        Array.isArray(k.box) &&
        k.box.length === 4 &&
        k.box.every(Number.isFinite) &&
        (k.identity === null || typeof k.identity?.id === "string");
      if (!valid) throw new Error(`TrackEventDeriver.known[${i}]: not a track's state`);
      known.set(k.trackId, {
        state: k.state,
        settled: k.settled,
        identityId: k.identityId,
        box: [...k.box],
        identity: k.identity ? { ...k.identity } : null,
        undetermined: k.undetermined === true,
      });
    }
    this.#known.clear();
    for (const [id, k] of known) this.#known.set(id, k);
  }

  /** The events this frame brings, in a stable order (by track ID, then type). */
  next(frame: FrameLike): TrackEvent[] {
    const events: TrackEvent[] = [];
    const emit = (
      type: TrackEventType,
      t: Pick<TrackLike, "trackId" | "box" | "identity" | "closest" | "undetermined">,
      settled: boolean,
    ) =>
      events.push({
        type,
        trackId: t.trackId,
        frame: frame.index,
        pts: frame.pts,
        box: t.box,
        identity: t.identity,
        identifying: !settled,
        ...(!settled && t.undetermined ? { undetermined: true } : {}),
        ...(t.identity === null && t.closest ? { closest: { ...t.closest } } : {}),
      });
    for (const t of [...frame.tracks].sort((a, b) => a.trackId - b.trackId)) {
      if (t.trackId === 0) continue;
      const before = this.#known.get(t.trackId);
      const identityId = t.identity?.id ?? null;
      const settled = (before?.settled ?? false) || t.identitySettled;
      if (!before) emit("confirmed", t, settled);
      if (t.identitySettled && !before?.settled) emit("identified", t, settled);
      else if (before?.settled && t.identitySettled && identityId !== before.identityId)
        emit("identity_changed", t, settled);
      if (before && before.state !== "lost" && t.state === "lost") emit("lost", t, settled);
      if (before?.state === "lost" && t.state !== "lost") emit("found", t, settled);
      this.#known.set(t.trackId, {
        state: t.state,
        settled,
        identityId: t.identitySettled ? identityId : (before?.identityId ?? null),
        box: t.box,
        identity: t.identity,
        undetermined: !settled && t.undetermined === true,
      });
    }
    for (const id of [...frame.ended].sort((a, b) => a - b)) {
      const last = this.#known.get(id);
      this.#known.delete(id);
      events.push({
        type: "ended",
        trackId: id,
        frame: frame.index,
        pts: frame.pts,
        box: last?.box ?? null,
        identity: last?.identity ?? null,
        identifying: !(last?.settled ?? false),
        ...(last?.undetermined ? { undetermined: true } : {}),
      });
    }
    return events;
  }
}
