import type { TrackEvent } from "./track-events.ts";

/** DeGirum's alert modes: which faces raise an alert. */
export const alertModes = ["NONE", "ON_UNKNOWNS", "ON_KNOWNS", "ON_ALL"] as const;
export type AlertMode = (typeof alertModes)[number];

export interface AlertRuleOptions {
  mode: AlertMode;
  /** At most one alert per track (default true); otherwise each identity change of a track alerts again. */
  once?: boolean;
  /**
   * After an alert for a known identity, no other alert for that identity (any of its tracks) for this
   * long, ms (default 0: off). Unknown faces have no identity to cool down: alert_once bounds them.
   */
  cooldownMs?: number;
  /** Identity names never alerted on, whatever the mode. */
  mute?: readonly string[];
  /** Identity names always alerted on, whatever the mode except NONE (mute wins). */
  always?: readonly string[];
}

export interface AlertDecision {
  trackId: number;
  frame: number;
  pts: number;
  /** null: an unknown face. */
  identity: TrackEvent["identity"];
  reason: "identified" | "identity_changed";
}

/**
 * Decides alerts from track events. A face is judged only once its identity has settled (the `identified`
 * event): a known person is never alerted as unknown in the frames before recognition, and an unknown face
 * is unknown on consistent evidence. With `once`, a track alerts at most once; a cooldown keeps one known
 * person from alerting again on every new track (they walk out and back in); mute and always lists
 * override the mode per identity.
 */
export class AlertRules {
  readonly #mode: AlertMode;
  readonly #once: boolean;
  readonly #cooldownMs: number;
  readonly #mute: ReadonlySet<string>;
  readonly #always: ReadonlySet<string>;
  readonly #alerted = new Set<number>();
  /** Identity id → time of its last alert (ms), for the cooldown. */
  readonly #lastAlert = new Map<string, number>();

  constructor(options: AlertRuleOptions) {
    this.#mode = options.mode;
    this.#once = options.once ?? true;
    this.#cooldownMs = options.cooldownMs ?? 0;
    this.#mute = new Set(options.mute ?? []);
    this.#always = new Set(options.always ?? []);
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

  /** The alert for this event, or null; `timeMs` is the event's capture time (for the cooldown). */
  decide(event: TrackEvent, timeMs = 0): AlertDecision | null {
    if (event.type === "ended") {
      this.#alerted.delete(event.trackId);
      return null;
    }
    if (event.type !== "identified" && event.type !== "identity_changed") return null;
    if (this.#once && this.#alerted.has(event.trackId)) return null;
    if (!this.matches(event.identity)) return null;
    if (event.identity && this.#cooldownMs > 0) {
      const last = this.#lastAlert.get(event.identity.id);
      if (last !== undefined && timeMs - last < this.#cooldownMs) return null;
      this.#lastAlert.set(event.identity.id, timeMs);
    }
    this.#alerted.add(event.trackId);
    return {
      trackId: event.trackId,
      frame: event.frame,
      pts: event.pts,
      identity: event.identity,
      reason: event.type,
    };
  }
}
