/**
 * Visitors: the unknown people the face memory groups across tracks, cameras and days (#1, #2 …), with
 * their best faces, visits, cameras and last sighting; "Open" shows where they were seen and names them.
 */

import { api } from "./api.js";
import { el, formatTime } from "./dom.js";
import { errorMessage } from "./errors.js";
import { openPersonButton } from "./person-view.js";

/**
 * @typedef {{ id: number, name: string | null, firstSeen: string, lastSeen: string, visits: number,
 *   cameras: string[], faces: string[] }} Visitor
 */

export class VisitorsPanel {
  /**
   * @param {HTMLElement} list
   * @param {HTMLElement} empty
   */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
  }

  async reload() {
    try {
      const { visitors } = await api("GET", "/api/visitors");
      this.render(/** @type {Visitor[]} */ (visitors).filter((v) => v.name === null));
    } catch (error) {
      this.empty.hidden = false;
      this.empty.textContent = `The visitors cannot be loaded: ${errorMessage(error)}`;
    }
  }

  /** @param {Visitor[]} visitors */
  render(visitors) {
    this.list.replaceChildren(
      ...visitors.map((v) =>
        el(
          "li",
          { class: "card visitor", "data-visitor-id": v.id },
          v.faces[0]
            ? el("img", { class: "face", alt: `face of visitor #${v.id}`, src: v.faces[0] })
            : el("div", { class: "face" }),
          el(
            "div",
            { class: "card-body" },
            el(
              "div",
              { class: "card-title" },
              el("strong", { text: `Visitor #${v.id}` }),
              el("span", { class: "muted", text: `${v.visits} visit${v.visits === 1 ? "" : "s"}` }),
            ),
            el("span", {
              class: "muted",
              text: `${v.cameras.join(", ") || "files"} · last ${formatTime(Date.parse(v.lastSeen))}`,
            }),
            el("div", { class: "card-actions" }, openPersonButton({ visitor: v.id }, `visitor #${v.id}`)),
          ),
        ),
      ),
    );
    this.empty.hidden = visitors.length > 0;
    this.empty.textContent = "No unknown visitor remembered yet.";
  }
}
