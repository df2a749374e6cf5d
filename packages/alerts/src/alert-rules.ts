import { type AlertRef, type RecentFace, RecentFaces } from "./recent-faces.ts";
import type { TrackEvent, TrackIdentityLike } from "./track-events.ts";

/** DeGirum's alert modes: which faces raise an alert. */
export const alertModes = ["NONE", "ON_UNKNOWNS", "ON_KNOWNS", "ON_ALL"] as const;
export type AlertMode = (typeof alertModes)[number];

/** Default of {@link AlertRuleOptions.sameFaceThreshold}. */
export const SAME_FACE_THRESHOLD = 0.5;

export interface AlertRuleOptions {
  mode: AlertMode;
  /** The camera these rules judge (alert IDs, the memory's keys); default "camera". */
  camera?: string;
  /** At most one alert per track (default true); otherwise each identity change of a track alerts again. */
  once?: boolean;
  /**
   * After an alert for a known identity, no other alert for that identity (any of its tracks, any camera
   * sharing the memory) for this long, ms (default 0: off): its new tracks are that alert's person seen
   * again.
   */
  cooldownMs?: number;
  /**
   * A new unknown track whose face matches (sameFaceThreshold) a face that belongs to an alert and was
   * seen within this long, ms, is that alert's person seen again, not a new alert (default 0: off).
   */
  unknownCooldownMs?: number;
  /** Cosine similarity of two tracks' faces from which they are the same person (default 0.5). */
  sameFaceThreshold?: number;
  /** Identity names never alerted on, whatever the mode. */
  mute?: readonly string[];
  /** Identity names always alerted on, whatever the mode except NONE (mute wins). */
  always?: readonly string[];
  /**
   * The site's memory of recent faces, shared by the rules of every camera so that one person alerts once
   * across cameras (default: a memory of these rules alone).
   */
  memory?: RecentFaces;
}

/** A new alert. */
export interface AlertDecision {
  /** `<camera>-<trackId>-<frame>`: unique, and the alert's de-duplication ID. */
  id: string;
  camera: string;
  trackId: number;
  frame: number;
  pts: number;
  /** null: an unknown face. */
  identity: TrackEvent["identity"];
  /** An unknown face: the identity it came closest to, below the threshold. */
  closest?: TrackIdentityLike;
  reason: "identified" | "identity_changed";
}

/** A track that is the person of an earlier alert seen again: an update of that alert, not a new one. */
export interface SeenAgainDecision {
  /** The alert whose person this is. */
  alert: AlertRef;
  camera: string;
  trackId: number;
  frame: number;
  pts: number;
  identity: TrackEvent["identity"];
  closest?: TrackIdentityLike;
  /**
   * "same_face": the face matched a recent face of the alert; "cooldown": a known identity within its
   * cooldown; "visitor": an unknown face of the face memory's visitor the alert named, within the unknown
   * cooldown.
   */
  reason: "same_face" | "cooldown" | "visitor";
  /** Cosine similarity to the recent face matched ("same_face"); 0 for "cooldown". */
  similarity: number;
}

export type AlertOutcome =
  | { kind: "alert"; alert: AlertDecision }
  | { kind: "seen_again"; seenAgain: SeenAgainDecision };

/** What a track event brings: its outcome, and what the memory learns from it. */
export interface AlertJudgement {
  /** A new alert, a later sighting of an alert's person, or null: nothing to publish. */
  outcome: AlertOutcome | null;
  /**
   * The track's face as the memory is to keep it once the outcome is published (RecentFaces.remember);
   * null: the memory has nothing to learn (not a decision, or the same event delivered again).
   */
  face: RecentFace | null;
}

/** What the caller knows of a track event beyond the event itself. */
export interface JudgeContext {
  /**
   * An unknown face: the face memory's visitor it is (the alert service asks the memory); an unknown face
   * of a visitor that an alert named within the unknown cooldown is that alert's person seen again.
   */
  visitor?: number;
}

const eventKey = (event: TrackEvent, timeMs: number) => `${event.type}:${event.frame}:${timeMs}`;

/**
 * Decides alerts from track events. A face is judged only once its identity has settled (the `identified`
 * event): a known person is never alerted as unknown in the frames before recognition, and an unknown face
 * is unknown on consistent evidence. One alert per person: with `once`, a track alerts at most once; a
 * known identity alerted on within `cooldownMs` and an unknown face matching a face of an alert seen within
 * `unknownCooldownMs` are that alert's person seen again (an update of the alert, not a new one), across
 * the tracks and cameras that share the memory; mute and always lists override the mode per identity.
 *
 * `judge` is pure: the caller publishes the outcome, then has the memory remember the judgement's face, so
 * that an event whose outcome could not be published is judged the same when delivered again.
 */
export class AlertRules {
  readonly #mode: AlertMode;
  readonly #camera: string;
  readonly #once: boolean;
  readonly #cooldownMs: number;
  readonly #unknownCooldownMs: number;
  readonly #sameFace: number;
  readonly #mute: ReadonlySet<string>;
  readonly #always: ReadonlySet<string>;
  readonly #memory: RecentFaces;

  constructor(options: AlertRuleOptions) {
    this.#mode = options.mode;
    this.#camera = options.camera ?? "camera";
    this.#once = options.once ?? true;
    this.#cooldownMs = options.cooldownMs ?? 0;
    this.#unknownCooldownMs = options.unknownCooldownMs ?? 0;
    this.#sameFace = options.sameFaceThreshold ?? SAME_FACE_THRESHOLD;
    this.#mute = new Set(options.mute ?? []);
    this.#always = new Set(options.always ?? []);
    this.#memory =
      options.memory ?? new RecentFaces({ keepMs: Math.max(this.#cooldownMs, this.#unknownCooldownMs) });
  }

  /** Whether a face with this identity (null = unknown) is alerted in the current mode and lists. */
  matches(identity: TrackEvent["identity"]): boolean {
    if (identity && this.#mute.has(identity.name)) return false;
    if (identity && this.#always.has(identity.name) && this.#mode !== "NONE") return true;
    switch (this.#mode) {
      case "NONE":
        return false;
      case "ON_UNKNOWNS":
        return identity === null;
      case "ON_KNOWNS":
        return identity !== null;
      case "ON_ALL":
        return true;
    }
  }

  /**
   * The outcome of a track event captured at `timeMs` (ms since the epoch), and what the memory learns
   * from it; changes nothing (see the class comment).
   */
  judge(event: TrackEvent, timeMs = 0, context: JudgeContext = {}): AlertJudgement {
    const before = this.#memory.get(this.#camera, event.trackId);
    if (event.type === "ended") {
      // The track was seen until now: its face stays recent for the cooldown after it left.
      const later = before && timeMs > before.lastSeenMs;
      return { outcome: null, face: later ? { ...before, lastSeenMs: timeMs } : null };
    }
    if (event.type !== "identified" && event.type !== "identity_changed")
      return { outcome: null, face: null };
    // An undetermined face (none good enough to tell who it is) is no evidence of anyone, unknown included.
    if (event.undetermined) return { outcome: null, face: null };
    const key = eventKey(event, timeMs);
    if (before?.decided === key) return { outcome: null, face: null };
    // `identified` starts a track: a face kept under its ID is an earlier track's (IDs start over when
    // the pipeline's state is wiped), not this one's.
    const earlier = event.type === "identified" ? undefined : before;
    const identity = event.identity ? { id: event.identity.id, name: event.identity.name } : null;
    const face: RecentFace = {
      camera: this.#camera,
      trackId: event.trackId,
      identity,
      embedding: event.embedding ?? earlier?.embedding ?? null,
      lastSeenMs: Math.max(timeMs, earlier?.lastSeenMs ?? timeMs),
      decided: key,
      alert: earlier?.alert ?? null,
    };
    const visitor = identity === null ? (context.visitor ?? earlier?.visitor) : undefined;
    if (visitor !== undefined) face.visitor = visitor;
    if (this.#once && face.alert) return { outcome: null, face };
    if (!this.matches(event.identity)) return { outcome: null, face };
    const common = {
      camera: this.#camera,
      trackId: event.trackId,
      frame: event.frame,
      pts: event.pts,
      identity: event.identity,
      ...(event.identity === null && event.closest ? { closest: event.closest } : {}),
    };
    const again = this.#seenAgain(face, timeMs);
    if (again) {
      face.alert = again.alert;
      return { outcome: { kind: "seen_again", seenAgain: { ...common, ...again } }, face };
    }
    const alert: AlertDecision = {
      id: `${this.#camera}-${event.trackId}-${event.frame}`,
      ...common,
      reason: event.type,
    };
    face.alert = {
      id: alert.id,
      camera: this.#camera,
      trackId: event.trackId,
      timeMs,
      identity,
      ...(visitor !== undefined ? { visitor } : {}),
    };
    return { outcome: { kind: "alert", alert }, face };
  }

  /**
   * judge() and remember at once, for callers with nothing to publish first: the new alert for this
   * event, or null (nothing, or the person of an earlier alert seen again).
   */
  decide(event: TrackEvent, timeMs = 0, context: JudgeContext = {}): AlertDecision | null {
    const { outcome, face } = this.judge(event, timeMs, context);
    if (face) this.#memory.remember(face);
    return outcome?.kind === "alert" ? outcome.alert : null;
  }

  /** The earlier alert whose person `face` is, if any: by identity within the cooldown, else by face. */
  #seenAgain(
    face: RecentFace,
    timeMs: number,
  ): Pick<SeenAgainDecision, "alert" | "reason" | "similarity"> | undefined {
    if (face.identity) {
      if (this.#cooldownMs <= 0) return undefined;
      const last = this.#memory.lastAlertOf(face.identity.id);
      return last && timeMs - last.timeMs < this.#cooldownMs
        ? { alert: last, reason: "cooldown", similarity: 0 }
        : undefined;
    }
    if (this.#unknownCooldownMs <= 0) return undefined;
    const match = face.embedding
      ? this.#memory.matchAlerted(face.embedding, timeMs, this.#unknownCooldownMs, this.#sameFace, face)
      : undefined;
    if (match?.face.alert)
      return { alert: match.face.alert, reason: "same_face", similarity: match.similarity };
    // The face memory's visitor: the same unknown person on a face the recent faces do not match (a
    // profile, another camera's light), when an alert named that visitor within the cooldown.
    if (face.visitor !== undefined) {
      const last = this.#memory.lastAlertOfVisitor(face.visitor);
      if (last && Math.abs(timeMs - last.timeMs) <= this.#unknownCooldownMs)
        return { alert: last, reason: "visitor", similarity: 0 };
    }
    return undefined;
  }
}
