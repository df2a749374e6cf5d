/**
 * The current tracks of the camera shown, next to the live view, updated in place with each frame (a
 * form being typed in is never redrawn). A track that left stays a while, faded, so its face can still
 * be enrolled.
 */

import { el } from "./dom.js";
import { enrollForm } from "./enroll.js";
import { trackWho } from "./live-view.js";
import { searchButton } from "./search-panel.js";

/** How long a track that left stays in the list, ms. */
const KEEP_GONE_MS = 20_000;

/** @typedef {import("./live-view.js").LiveTrack} LiveTrack */

/**
 * The state line of a track: "confirmed · 0.71" (known), "confirmed · closest: obama 0.28" (unknown),
 * "lost".
 * @param {LiveTrack} track
 */
export function trackStateText(track) {
  if (track.name && track.similarity !== null) return `${track.state} · ${track.similarity.toFixed(2)}`;
  if (track.closest && trackWho(track) === "unknown") {
    return `${track.state} · closest: ${track.closest.name} ${track.closest.similarity.toFixed(2)}`;
  }
  return track.state;
}

export class TrackList {
  /**
   * @param {HTMLElement} list the <ul>
   * @param {HTMLElement} empty shown when there is no track
   */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    this.camera = "";
    /** @type {Map<number, { item: HTMLElement, name: HTMLElement, state: HTMLElement, face: HTMLElement, seenAt: number, faceKey: string | null }>} */
    this.items = new Map();
  }

  /**
   * Shows the tracks of one frame of `camera` (confirmed and lost ones; tentative faces are counted).
   * @param {string} camera
   * @param {LiveTrack[]} tracks
   */
  update(camera, tracks) {
    if (camera !== this.camera) this.clear(camera);
    const now = performance.now();
    const seen = new Set();
    let tentative = 0;
    for (const track of tracks) {
      if (track.id === 0) {
        tentative++;
        continue;
      }
      seen.add(track.id);
      this.show(camera, track, now);
    }
    for (const [id, entry] of this.items) {
      if (seen.has(id)) continue;
      if (now - entry.seenAt > KEEP_GONE_MS) {
        entry.item.remove();
        this.items.delete(id);
      } else if (entry.item.dataset.gone !== "true") {
        entry.item.dataset.gone = "true";
        entry.state.textContent = "left the view";
      }
    }
    this.empty.hidden = this.items.size > 0;
    this.empty.textContent = tentative > 0 ? `${tentative} new face(s) being confirmed…` : "No face in view.";
  }

  /** @param {string} camera */
  clear(camera) {
    this.camera = camera;
    this.items.clear();
    this.list.replaceChildren();
    this.empty.hidden = false;
  }

  /**
   * @param {string} camera
   * @param {LiveTrack} track
   * @param {number} now
   */
  show(camera, track, now) {
    let entry = this.items.get(track.id);
    if (!entry) {
      const name = el("strong", { class: "track-name" });
      const state = el("span", { class: "muted track-state" });
      const face = el("div", { class: "face" });
      const item = el(
        "li",
        { class: "card", "data-track-id": track.id },
        face,
        el(
          "div",
          { class: "card-body" },
          el("div", { class: "card-title" }, name, state),
          enrollForm({ camera, trackId: track.id }),
          searchButton({ camera, trackId: track.id }, `track ${camera} #${track.id}`),
        ),
      );
      entry = { item, name, state, face, seenAt: now, faceKey: null };
      this.items.set(track.id, entry);
      this.list.prepend(item);
    }
    entry.seenAt = now;
    entry.item.dataset.gone = "false";
    entry.item.dataset.state = track.state;
    entry.item.dataset.known = String(track.name !== null);
    entry.item.dataset.undetermined = String(track.name === null && track.undetermined === true);
    entry.name.textContent = `#${track.id} ${trackWho(track)}`;
    entry.state.textContent = trackStateText(track);
    const faceKey = track.name ?? "unknown";
    if (track.face && entry.faceKey !== faceKey) {
      entry.faceKey = faceKey;
      const img = el("img", {
        class: "face",
        alt: `face of track ${track.id}`,
        src: `/api/tracks/${encodeURIComponent(camera)}/${track.id}/face.jpg?v=${encodeURIComponent(faceKey)}`,
      });
      entry.face.replaceWith(img);
      entry.face = img;
    }
  }
}
