/**
 * Search by face: where and when a face was seen (the face memory, searched by the api service). Start
 * from an uploaded photo (its subject face), or from "Where seen?" on a gallery person, a track or an
 * alert (their face picture). Results: the remembered tracks, most similar first, with time, camera or
 * file, similarity, face and clip.
 */

import { ApiError } from "./api.js";
import { byId, el, formatTime } from "./dom.js";
import { errorMessage } from "./errors.js";
import { fromWire, toWire } from "./wire.js";

/**
 * @typedef {{ identity: string } | { alertId: string } | { camera: string, trackId: number }} FaceRef
 * @typedef {{ kind: string, source: string, camera: string | null, trackId: number,
 *   firstTime: string | number, lastTime: string | number, similarity: number, name: string | null,
 *   undetermined: boolean, thumbnail: string | null, clip: string | null, alertId?: string,
 *   memoryId?: number }} Hit a remembered track (a search hit, a timeline's sighting)
 */

const SEARCH_EVENT = "ft-search";

/**
 * A "Where seen?" button: searches the memory for this face (the search panel shows the results).
 * @param {FaceRef} face
 * @param {string} label what the face is, shown above the results ("Ada", "track door #3")
 */
export function searchButton(face, label) {
  return el("button", {
    type: "button",
    class: "quiet",
    text: "Where seen?",
    title: "Search the remembered tracks for this face",
    onclick: () => document.dispatchEvent(new CustomEvent(SEARCH_EVENT, { detail: { face, label } })),
  });
}

/**
 * When a remembered track was seen: "0.40–7.20 s" into a file or clip, else its times.
 * @param {Hit} hit
 */
export function seen(hit) {
  if (typeof hit.firstTime === "number" && typeof hit.lastTime === "number") {
    return `${hit.firstTime.toFixed(2)}–${hit.lastTime.toFixed(2)} s`;
  }
  const first = Date.parse(String(hit.firstTime));
  const last = Date.parse(String(hit.lastTime));
  return first === last ? formatTime(first) : `${formatTime(first)} – ${formatTime(last)}`;
}

/**
 * Where a remembered track was seen: "camera door", "clip KEY", "file NAME".
 * @param {Hit} hit
 */
export function where(hit) {
  if (hit.kind === "camera") return `camera ${hit.source}`;
  if (hit.kind === "clip") return `clip ${hit.source}`;
  return `file ${hit.source}`;
}

/** @param {Hit} hit */
function who(hit) {
  if (hit.name) return hit.name;
  return hit.undetermined ? "undetermined" : "unknown";
}

export class SearchPanel {
  constructor() {
    this.form = /** @type {HTMLFormElement} */ (byId("search-form"));
    this.photo = /** @type {HTMLInputElement} */ (byId("search-photo"));
    this.status = byId("search-status");
    this.results = byId("search-results");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = this.photo.files?.[0];
      if (!file) {
        this.#show(
          "error",
          "Choose a photo to search with, or use “Where seen?” on a person, track or alert.",
        );
        return;
      }
      void this.#search(file, `the photo ${file.name}`);
    });
    document.addEventListener(SEARCH_EVENT, (event) => {
      const { face, label } = /** @type {CustomEvent<{ face: FaceRef, label: string }>} */ (event).detail;
      byId("search-title").scrollIntoView({ block: "start" });
      void this.#search(face, label);
    });
  }

  /** The filters of the form as the query string. */
  #query() {
    const data = new FormData(this.form);
    const query = new URLSearchParams();
    const camera = String(data.get("camera") ?? "").trim();
    if (camera) query.set("camera", camera);
    for (const name of ["since", "until"]) {
      const value = String(data.get(name) ?? "");
      // datetime-local is the browser's local time: sent as an ISO instant.
      if (value) query.set(name, new Date(value).toISOString());
    }
    const limit = String(data.get("limit") ?? "").trim();
    if (limit) query.set("limit", limit);
    const text = query.toString();
    return text ? `?${text}` : "";
  }

  /**
   * @param {File | FaceRef} what an uploaded photo, or a face the page keeps
   * @param {string} label
   */
  async #search(what, label) {
    this.#show("busy", `Searching for ${label}…`);
    this.results.replaceChildren();
    /** @type {Response} */
    let response;
    try {
      response = await fetch(`/api/search${this.#query()}`, {
        method: "POST",
        headers: { "content-type": what instanceof File ? what.type || "image/jpeg" : "application/json" },
        body: what instanceof File ? what : JSON.stringify(toWire(what)),
        credentials: "same-origin",
      });
    } catch {
      this.#show("error", "Cannot reach the FaceTracker server: is the web service running?");
      return;
    }
    if (response.status === 401) {
      location.assign("/login");
      return;
    }
    /** @type {any} */
    let value;
    try {
      value = fromWire(await response.json());
    } catch {
      value = {};
    }
    if (!response.ok) {
      this.#show(
        "error",
        errorMessage(new ApiError(response.status, value?.error ?? `HTTP ${response.status}`)),
      );
      return;
    }
    /** @type {Hit[]} */
    const hits = value.hits;
    if (hits.length === 0) {
      this.#show(
        "empty",
        `No remembered track matches ${label} (nothing remembered yet, or nothing within the filters).`,
      );
      return;
    }
    const face = value.faceCount > 1 ? ` (face ${value.faceIndex} of ${value.faceCount})` : "";
    this.#show(
      "done",
      `${hits.length} track${hits.length === 1 ? "" : "s"} for ${label}${face}, most similar first.`,
    );
    this.results.replaceChildren(...hits.map((hit) => this.#card(hit)));
  }

  /**
   * @param {string} state busy, error, empty or done
   * @param {string} text
   */
  #show(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  /** @param {Hit} hit */
  #card(hit) {
    return el(
      "li",
      { class: "card search-hit", "data-kind": hit.kind, "data-track-id": hit.trackId },
      hit.thumbnail
        ? el("img", { class: "face", alt: `face of track #${hit.trackId}`, src: hit.thumbnail })
        : el("div", { class: "face" }),
      el(
        "div",
        { class: "card-body" },
        el(
          "div",
          { class: "card-title" },
          el("strong", { class: "similarity", text: hit.similarity.toFixed(3) }),
          el("span", { class: "where", text: `${where(hit)} #${hit.trackId}` }),
        ),
        el("div", { class: "muted when", text: `${seen(hit)} · ${who(hit)}` }),
        hit.clip
          ? el("a", { class: "clip-link", href: hit.clip, target: "_blank", rel: "noopener", text: "clip" })
          : null,
      ),
    );
  }
}
