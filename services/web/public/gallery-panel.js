/**
 * The face gallery: every enrolled person with a face picture, rename and delete (asked twice). Reloaded
 * whenever the gallery changes (from this page, another one, or the gRPC API).
 */

import { api } from "./api.js";
import { el } from "./dom.js";
import { errorMessage, showError } from "./errors.js";
import { openPersonButton } from "./person-view.js";
import { searchButton } from "./search-panel.js";

/**
 * @typedef {{ id: string, name: string, attributes: Record<string, string>, embeddingCount: number,
 *   createdAt: string }} Identity
 */

export class GalleryPanel {
  /**
   * @param {HTMLElement} list the <ul>
   * @param {HTMLElement} empty shown when nobody is enrolled
   * @param {HTMLElement} count "N people"
   */
  constructor(list, empty, count) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.loading = Promise.resolve();
    this.busy = false;
    this.again = false;
  }

  /** Loads the list (a reload asked for while one runs is done after it). */
  reload() {
    if (this.busy) {
      this.again = true;
      return this.loading;
    }
    this.busy = true;
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          const { identities } = await api("GET", "/api/gallery");
          this.render(identities);
        } while (this.again);
      } catch (error) {
        showError(`The gallery cannot be loaded: ${errorMessage(error)}`);
      } finally {
        this.busy = false;
      }
    })();
    return this.loading;
  }

  /** @param {Identity[]} identities */
  render(identities) {
    this.list.replaceChildren(...identities.map((identity) => this.item(identity)));
    this.empty.hidden = identities.length > 0;
    this.count.textContent = `${identities.length} ${identities.length === 1 ? "person" : "people"}`;
    // The names the enroll, correction and naming boxes suggest, so that a typo does not make a new person.
    document
      .getElementById("gallery-names")
      ?.replaceChildren(...identities.map((identity) => el("option", { value: identity.name })));
  }

  /**
   * @param {Identity} identity
   * @returns {HTMLElement}
   */
  item(identity) {
    const message = el("p", { class: "form-error", role: "status" });
    const input = /** @type {HTMLInputElement} */ (
      el("input", {
        type: "text",
        name: "name",
        value: identity.name,
        required: true,
        "aria-label": "New name",
      })
    );
    const rename = el(
      "form",
      { class: "inline-form", hidden: true },
      input,
      el("button", { type: "submit", text: "Save" }),
      el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => (rename.hidden = true) }),
    );
    rename.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      try {
        await api("PATCH", `/api/gallery/${encodeURIComponent(identity.id)}`, { name: input.value });
        await this.reload();
      } catch (error) {
        message.textContent = errorMessage(error);
      }
    });
    const confirm = el(
      "span",
      { class: "card-actions", hidden: true },
      `Delete ${identity.name} and all their faces?`,
      el("button", {
        type: "button",
        class: "danger",
        text: "Delete",
        onclick: async () => {
          message.textContent = "";
          try {
            await api("DELETE", `/api/gallery/${encodeURIComponent(identity.id)}`);
            await this.reload();
          } catch (error) {
            message.textContent = errorMessage(error);
          }
        },
      }),
      el("button", { type: "button", class: "quiet", text: "Keep", onclick: () => (confirm.hidden = true) }),
    );
    const faces = identity.embeddingCount === 1 ? "1 face" : `${identity.embeddingCount} faces`;
    return el(
      "li",
      { class: "card", "data-identity-id": identity.id, "data-known": "true" },
      el("img", {
        class: "face",
        alt: `face of ${identity.name}`,
        src: `/api/gallery/${encodeURIComponent(identity.id)}/face.jpg`,
        loading: "lazy",
        onerror: (/** @type {Event} */ event) =>
          /** @type {HTMLElement} */ (event.target).replaceWith(el("div", { class: "face" })),
      }),
      el(
        "div",
        { class: "card-body" },
        el(
          "div",
          { class: "card-title" },
          el("strong", { class: "identity-name", text: identity.name }),
          el("span", { class: "muted", text: faces }),
        ),
        el(
          "div",
          { class: "card-actions" },
          el("button", {
            type: "button",
            class: "quiet",
            text: "Rename",
            onclick: () => {
              rename.hidden = false;
              input.focus();
            },
          }),
          el("button", {
            type: "button",
            class: "quiet",
            text: "Delete…",
            onclick: () => (confirm.hidden = false),
          }),
          openPersonButton({ identity: identity.id }, identity.name),
          searchButton({ identity: identity.id }, identity.name),
        ),
        rename,
        confirm,
        message,
      ),
    );
  }
}
