/**
 * The alert timeline, newest first: face picture, who (or "unknown — closest: obama 0.28"), camera, track,
 * time, similarity, the person's later sightings ("seen again": not new alerts), what became of the
 * notification, the clip (played in a <video> once stored), and "Enroll…" for the alert's face.
 */

import { api } from "./api.js";
import { correctionControls } from "./corrections.js";
import { el, formatTime } from "./dom.js";
import { enrollForm } from "./enroll.js";
import { errorMessage } from "./errors.js";
import { openPersonButton } from "./person-view.js";
import { searchButton } from "./search-panel.js";

/** Alerts kept on the page (pages loaded with "Load more" included). */
const MAX_SHOWN = 2000;
/** Alerts per page. */
const PAGE = 50;

/**
 * @typedef {{ camera: string, trackId: number, timeMs: number, name: string | null, reason: string,
 *   similarity: number }} SeenAgainView
 * @typedef {{ id: string, camera: string, trackId: number, name: string | null, identityId: string | null,
 *   similarity: number, closest: { name: string, similarity: number } | null,
 *   visitor?: { id: number, visits: number, visitsToday: number } | null, unknownAs?: string,
 *   timeMs: number, mode: string,
 *   face: boolean, seenAgain: SeenAgainView[], seenAgainCount: number,
 *   clip: { status: string, key: string, error: string, missing: string },
 *   notification: { status: string, error: string, attempts: number }, seq: number,
 *   acknowledged: number | null }} AlertView
 * @typedef {{ camera?: string, person?: string, known?: string, since?: string, until?: string,
 *   unacknowledged?: boolean }} AlertFilters
 */

/**
 * The URL the page plays a stored clip from.
 * @param {string} key
 */
export function clipUrl(key) {
  return `/api/clips/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Who an alert's face is: the name, or for an unknown face the server's words for it ("unknown visitor
 * #17, third visit today", as the notification says it; else "unknown"), with the closest identity
 * ("— closest: obama 0.28").
 * @param {Pick<AlertView, "name" | "closest"> & { unknownAs?: string }} alert
 */
export function alertWho(alert) {
  if (alert.name !== null) return alert.name;
  const who = alert.unknownAs || "unknown";
  return alert.closest
    ? `${who} — closest: ${alert.closest.name} ${alert.closest.similarity.toFixed(2)}`
    : who;
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

/** An alert's date and time, always with the date ("07/12/2026, 10:15:02"). */
/** @param {number} ms */
export function alertTime(ms) {
  return new Date(ms).toLocaleString();
}

/**
 * Whether an alert passes the page's filters (as the server's alert-pages.ts judges them).
 * @param {AlertView} a
 * @param {AlertFilters} f
 */
export function matchesFilters(a, f) {
  if (f.camera && a.camera !== f.camera) return false;
  if (f.known === "known" && a.name === null) return false;
  if (f.known === "unknown" && a.name !== null) return false;
  if (f.since && a.timeMs < Date.parse(f.since)) return false;
  if (f.until && a.timeMs > Date.parse(f.until)) return false;
  if (f.unacknowledged && a.acknowledged !== null) return false;
  const person = f.person?.trim().toLowerCase();
  if (person) {
    const visitor = /^(?:#|visitor\s*#?)(\d+)$/.exec(person);
    if (visitor) return a.visitor?.id === Number(visitor[1]);
    if (person === "unknown") return a.name === null;
    if (!a.name?.toLowerCase().includes(person)) return false;
  }
  return true;
}

export class AlertTimeline {
  /**
   * @param {HTMLElement} list the <ol>
   * @param {HTMLElement} empty shown while there is no alert
   * @param {{ form?: HTMLFormElement, more?: HTMLButtonElement, status?: HTMLElement }} [controls]
   *   the filter form, the "Load more" button and where to say what is shown
   */
  constructor(list, empty, controls = {}) {
    this.list = list;
    this.empty = empty;
    /** @type {Map<string, { item: HTMLElement, view: AlertView }>} */
    this.items = new Map();
    /** @type {AlertFilters} */
    this.filters = {};
    /** @type {number | null} the next page's cursor (null: no older alert) */
    this.next = null;
    /** @type {number} how many first pages were asked for (the latest one's answer is shown) */
    this.loading = 0;
    this.controls = controls;
    controls.form?.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.load();
    });
    controls.form?.addEventListener("change", () => void this.load());
    controls.more?.addEventListener("click", () => void this.load(true));
  }

  /** The filters of the form. */
  #readFilters() {
    const form = this.controls.form;
    if (!form) return {};
    const data = new FormData(form);
    /** @type {AlertFilters} */
    const f = {};
    for (const name of ["camera", "person", "known"]) {
      const v = String(data.get(name) ?? "").trim();
      if (v) /** @type {any} */ (f)[name] = v;
    }
    for (const name of ["since", "until"]) {
      const v = String(data.get(name) ?? "");
      // datetime-local is the browser's local time: sent as an ISO instant.
      if (v) /** @type {any} */ (f)[name] = new Date(v).toISOString();
    }
    if (data.get("unacknowledged")) f.unacknowledged = true;
    return f;
  }

  /**
   * Loads the first page with the form's filters (or, with `more`, the next older page).
   * @param {boolean} [more]
   */
  async load(more = false) {
    // A newer load (other filters) makes the answers of the ones before it stale: they are dropped.
    if (!more) this.loading = (this.loading ?? 0) + 1;
    const token = this.loading;
    if (!more) this.filters = this.#readFilters();
    const query = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of Object.entries(this.filters)) query.set(k, v === true ? "1" : String(v));
    if (more && this.next !== null) query.set("before", String(this.next));
    const status = this.controls.status;
    try {
      const page = await api("GET", `/api/alerts?${query}`);
      if (token !== this.loading) return;
      if (!more) this.setAll([]);
      for (const alert of page.alerts) this.upsert(alert);
      this.next = page.next;
      if (this.controls.more) this.controls.more.hidden = page.next === null;
      if (status) {
        const filtered = Object.keys(this.filters).length > 0;
        status.textContent = `${this.items.size} alert${this.items.size === 1 ? "" : "s"}${filtered ? " matching the filters" : ""}${page.next === null ? "" : " (more older ones: Load more)"}`;
      }
    } catch (error) {
      if (status) status.textContent = `The alerts cannot be loaded: ${errorMessage(error)}`;
    }
  }

  /**
   * A live alert or an update of one: shown when it passes the filters (an update of a shown one always).
   * @param {AlertView} alert
   */
  live(alert) {
    if (this.items.has(alert.id) || matchesFilters(alert, this.filters)) this.upsert(alert);
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
            src: `/api/alerts/${encodeURIComponent(alert.id)}/face.jpg?seq=${alert.seq}`,
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
            text: `${alert.camera} · track ${alert.trackId} · ${alertTime(alert.timeMs)}`,
          }),
        ),
        el("span", { class: "muted alert-meta", text: `${alert.mode}${similarity}` }),
        el("span", { class: "alert-seen-again" }),
        el("span", { class: "muted alert-delivery" }),
        alert.face ? enrollForm({ alertId: alert.id, seq: alert.seq }) : null,
        alert.face
          ? searchButton({ alertId: alert.id }, `the face of alert ${alert.camera} #${alert.trackId}`)
          : null,
        alert.identityId
          ? openPersonButton({ identity: alert.identityId }, alert.name ?? "")
          : alert.visitor
            ? openPersonButton({ visitor: alert.visitor.id }, `visitor #${alert.visitor.id}`)
            : null,
        correctionControls({ alertId: alert.id }, alert.name),
        el("button", {
          type: "button",
          class: "quiet ack",
          onclick: async (/** @type {Event} */ event) => {
            const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
            const item = /** @type {HTMLElement} */ (button.closest("li"));
            const acknowledged = item.dataset.acknowledged !== "true";
            try {
              await api("POST", `/api/alerts/${encodeURIComponent(alert.id)}/ack`, { acknowledged });
            } catch (error) {
              button.title = errorMessage(error);
            }
          },
        }),
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
    item.dataset.acknowledged = String(alert.acknowledged !== null);
    const ack = /** @type {HTMLElement} */ (item.querySelector(".ack"));
    ack.textContent = alert.acknowledged !== null ? "Acknowledged ✓ (undo)" : "Acknowledge";
    ack.title =
      alert.acknowledged !== null ? `acknowledged ${alertTime(alert.acknowledged)}` : "Mark as dealt with";
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
