import type { TrackEvent } from "./track-events.ts";

/** DeGirum's alert modes: which faces raise an alert. */
export const alertModes = ["NONE", "ON_UNKNOWNS", "ON_KNOWNS", "ON_ALL"] as const;
export type AlertMode = (typeof alertModes)[number];

export interface AlertRuleOptions {
  mode: AlertMode;
  /** At most one alert per track (default true); otherwise each identity change of a track alerts again. */
  once?: boolean;
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
 * is unknown on consistent evidence. With `once`, a track alerts at most once.
 */
export class AlertRules {
  readonly #mode: AlertMode;
  readonly #once: boolean;
  readonly #alerted = new Set<number>();

  constructor(options: AlertRuleOptions) {
    this.#mode = options.mode;
    this.#once = options.once ?? true;
  }

  /** Whether a face with this identity (null = unknown) is alerted in the current mode. */
  matches(identity: TrackEvent["identity"]): boolean {
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

  decide(event: TrackEvent): AlertDecision | null {
    if (event.type === "ended") {
      this.#alerted.delete(event.trackId);
      return null;
    }
    if (event.type !== "identified" && event.type !== "identity_changed") return null;
    if (this.#once && this.#alerted.has(event.trackId)) return null;
    if (!this.matches(event.identity)) return null;
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
