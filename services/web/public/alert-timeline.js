/**
 * The alert timeline, newest first: face picture, who (or "unknown — closest: obama 0.28"), camera, track,
 * time, similarity, the person's later sightings ("seen again": not new alerts), what became of the
 * notification, the clip (played in a <video> once stored), and "Enroll…" for the alert's face.
 */

import { el, formatTime } from "./dom.js";
import { enrollForm } from "./enroll.js";
import { searchButton } from "./search-panel.js";

/** Alerts kept on the page. */
const MAX_SHOWN = 200;

/**
 * @typedef {{ camera: string, trackId: number, timeMs: number, name: string | null, reason: string,
 *   similarity: number }} SeenAgainView
 * @typedef {{ id: string, camera: string, trackId: number, name: string | null, identityId: string | null,
 *   similarity: number, closest: { name: string, similarity: number } | null, timeMs: number, mode: string,
 *   face: boolean, seenAgain: SeenAgainView[], seenAgainCount: number,
 *   clip: { status: string, key: string, error: string, missing: string },
 *   notification: { status: string, error: string, attempts: number } }} AlertView
 */

/**
 * The URL the page plays a stored clip from.
 * @param {string} key
 */
export function clipUrl(key) {
  return `/api/clips/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Who an alert's face is: the name, "unknown — closest: obama 0.28", or "unknown".
 * @param {Pick<AlertView, "name" | "closest">} alert
 */
export function alertWho(alert) {
  if (alert.name !== null) return alert.name;
  return alert.closest
    ? `unknown — closest: ${alert.closest.name} ${alert.closest.similarity.toFixed(2)}`
    : "unknown";
}

/**
 * The alert's person's later sightings in words: "seen again 3× · last: hall · track 12 · 10:04:05", or "".
 * @param {Pick<AlertView, "seenAgain" | "seenAgainCount">} alert
 */
export function seenAgainText(alert) {
  const last = alert.seenAgain?.at(-1);
  if (!last) return "";
  const count = Math.max(alert.seenAgainCount ?? 0, alert.seenAgain.length);
  const as = last.name ? ` (${last.name})` : "";
  return `seen again ${count}× · last: ${last.camera} · track ${last.trackId}${as} · ${formatTime(last.timeMs)}`;
}

/** @param {AlertView["notification"]} n */
function notificationText(n) {
  if (n.status === "sent") return "notification sent";
  if (n.status === "failed") return `notification failed after ${n.attempts} attempt(s): ${n.error}`;
  if (n.status === "disabled") return "";
  return "notification pending";
}

export class AlertTimeline {
  /**
   * @param {HTMLElement} list the <ol>
   * @param {HTMLElement} empty shown while there is no alert
   */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    /** @type {Map<string, { item: HTMLElement, view: AlertView }>} */
    this.items = new Map();
  }

  /**
   * Replaces the timeline (the recent alerts the server sends on connecting).
   * @param {AlertView[]} alerts
   */
  setAll(alerts) {
    this.items.clear();
    this.list.replaceChildren();
    for (const alert of alerts) this.upsert(alert);
  }

  /**
   * Adds an alert, or updates it (its clip or notification settled).
   * @param {AlertView} alert
   */
  upsert(alert) {
    const existing = this.items.get(alert.id);
    if (existing) {
      this.updateStatus(existing.item, alert, existing.view);
      existing.view = alert;
      return;
    }
    const item = this.render(alert);
    this.items.set(alert.id, { item, view: alert });
    // Newest first: before the first (newest) shown alert that is not newer than this one.
    const next = [...this.list.children].find(
      (child) => Number(/** @type {HTMLElement} */ (child).dataset.time) <= alert.timeMs,
    );
    if (next) this.list.insertBefore(item, next);
    else this.list.append(item);
    this.updateStatus(item, alert, undefined);
    while (this.items.size > MAX_SHOWN) {
      const oldest = [...this.items.values()].reduce((a, b) => (a.view.timeMs <= b.view.timeMs ? a : b));
      oldest.item.remove();
      this.items.delete(oldest.view.id);
    }
    this.empty.hidden = this.items.size > 0;
  }

  /**
   * @param {AlertView} alert
   * @returns {HTMLElement}
   */
  render(alert) {
    const who = alertWho(alert);
    const similarity = alert.similarity ? ` · similarity ${alert.similarity.toFixed(2)}` : "";
    return el(
      "li",
      {
        class: "card",
        "data-alert-id": alert.id,
        "data-known": String(alert.name !== null),
        "data-time": alert.timeMs,
      },
      alert.face
        ? el("img", {
            class: "face",
            alt: `face of ${who}`,
            src: `/api/alerts/${encodeURIComponent(alert.id)}/face.jpg`,
            loading: "lazy",
          })
        : el("div", { class: "face" }),
      el(
        "div",
        { class: "card-body" },
        el(
          "div",
          { class: "card-title" },
          el("strong", { class: "alert-name", text: who }),
          el("span", {
            class: "muted",
            text: `${alert.camera} · track ${alert.trackId} · ${formatTime(alert.timeMs)}`,
          }),
        ),
        el("span", { class: "muted alert-meta", text: `${alert.mode}${similarity}` }),
        el("span", { class: "alert-seen-again" }),
        el("span", { class: "muted alert-delivery" }),
        alert.face ? enrollForm({ alertId: alert.id }) : null,
        alert.face
          ? searchButton({ alertId: alert.id }, `the face of alert ${alert.camera} #${alert.trackId}`)
          : null,
      ),
    );
  }

  /**
   * Shows the clip and notification status (and the player once the clip is stored).
   * @param {HTMLElement} item
   * @param {AlertView} alert
   * @param {AlertView | undefined} before
   */
  updateStatus(item, alert, before) {
    const delivery = /** @type {HTMLElement} */ (item.querySelector(".alert-delivery"));
    const stored = alert.clip.status === "stored" || alert.clip.status === "partial";
    const clip =
      alert.clip.status === "stored"
        ? ""
        : alert.clip.status === "partial"
          ? `clip partial: ${alert.clip.missing}`
          : alert.clip.status === "failed"
            ? `clip failed: ${alert.clip.error}`
            : alert.clip.status === "disabled"
              ? ""
              : "clip: recording…";
    delivery.textContent = [clip, notificationText(alert.notification)].filter(Boolean).join(" · ");
    const seen = /** @type {HTMLElement} */ (item.querySelector(".alert-seen-again"));
    seen.textContent = seenAgainText(alert);
    seen.hidden = seen.textContent === "";
    if (stored && alert.clip.key && before?.clip.key !== alert.clip.key) {
      item.querySelector(".clip-player")?.remove();
      const video = /** @type {HTMLVideoElement} */ (
        el("video", {
          class: "clip",
          controls: true,
          preload: "none",
          playsinline: true,
          src: clipUrl(alert.clip.key),
          "aria-label": `clip of the alert on ${alert.camera}`,
        })
      );
      video.addEventListener("error", () => {
        player.append(
          el("p", {
            class: "form-error",
            text: "This clip cannot be played (removed, or the storage is unreachable).",
          }),
        );
      });
      const player = el("details", { class: "clip-player" }, el("summary", { text: "Play clip" }), video);
      player.addEventListener("toggle", () => {
        if (/** @type {HTMLDetailsElement} */ (player).open) void video.play().catch(() => {});
        else video.pause();
      });
      item.querySelector(".card-body")?.append(player);
    }
  }
}
