/**
 * The person view: a gallery person's faces (delete one, add a photo), or a visitor's (name it), and where
 * they were seen — the face memory's timeline across cameras, clips and files, with their alerts and
 * clips, and "Not NAME" on a sighting that was someone else. Opened by "Open" on a gallery person, a
 * visitor or an alert.
 */

import { ApiError, api } from "./api.js";
import { correctionControls } from "./corrections.js";
import { byId, el, formatTime } from "./dom.js";
import { nameBoxes } from "./enroll.js";
import { errorMessage } from "./errors.js";
import { seen as when, where } from "./search-panel.js";

const OPEN_EVENT = "ft-person";

/**
 * @typedef {{ identity: string } | { visitor: number }} PersonRef
 * @typedef {import("./search-panel.js").Hit} Sighting
 */

/**
 * An "Open" button: shows the person view for this person.
 * @param {PersonRef} person
 * @param {string} label
 */
export function openPersonButton(person, label) {
  return el("button", {
    type: "button",
    class: "quiet open-person",
    text: "Open",
    title: `${label}: faces, where seen, alerts`,
    onclick: () => document.dispatchEvent(new CustomEvent(OPEN_EVENT, { detail: person })),
  });
}

export class PersonView {
  constructor() {
    this.panel = byId("person-panel");
    this.title = byId("person-title");
    this.body = byId("person-body");
    /** What the last correction did, with its Undo (kept while the view redraws). */
    this.notice = byId("person-notice");
    /** @type {PersonRef | null} */
    this.person = null;
    byId("person-close").addEventListener("click", () => {
      this.panel.hidden = true;
      this.person = null;
    });
    document.addEventListener(OPEN_EVENT, (event) => {
      void this.open(/** @type {CustomEvent<PersonRef>} */ (event).detail);
    });
  }

  /** Shows the view again if its person changed (a gallery change). */
  refresh() {
    if (this.person && !this.panel.hidden) void this.open(this.person, false);
  }

  /**
   * @param {PersonRef} person
   * @param {boolean} [scroll]
   */
  async open(person, scroll = true) {
    if (this.person !== person && scroll) this.notice.replaceChildren();
    this.person = person;
    this.panel.hidden = false;
    if (scroll) this.panel.scrollIntoView({ block: "start" });
    const query =
      "identity" in person ? `identity=${encodeURIComponent(person.identity)}` : `visitor=${person.visitor}`;
    try {
      const [profile, timeline] = await Promise.all([
        "identity" in person ? api("GET", `/api/people/${encodeURIComponent(person.identity)}`) : null,
        api("GET", `/api/timeline?${query}`).catch((error) => ({ error })),
      ]);
      if (this.person !== person) return;
      this.title.textContent = profile
        ? profile.name
        : `Unknown visitor #${/** @type {any} */ (person).visitor}`;
      this.body.replaceChildren(
        profile
          ? this.#faces(profile)
          : this.#nameVisitor(/** @type {{ visitor: number }} */ (person).visitor),
        this.#timeline(timeline),
      );
    } catch (error) {
      this.title.textContent = "Person";
      this.body.replaceChildren(el("p", { class: "form-error", text: errorMessage(error) }));
    }
  }

  /**
   * A gallery person's faces: each with Delete, and a photo to add.
   * @param {{ id: string, name: string, negatives: number,
   *   faces: { id: string, source: string | null, createdAt: string, picture: string | null }[] }} profile
   */
  #faces(profile) {
    const message = el("p", { class: "form-error", role: "status" });
    const faces = profile.faces.map((face) =>
      el(
        "li",
        { class: "person-face", "data-embedding-id": face.id },
        face.picture
          ? el("img", { class: "face", alt: `a face of ${profile.name}`, src: face.picture, loading: "lazy" })
          : el("div", { class: "face" }),
        el("span", { class: "muted", text: face.source ?? "" }),
        el("button", {
          type: "button",
          class: "quiet danger-text",
          text: "Delete",
          title: "Delete this face (the person stays)",
          onclick: async () => {
            try {
              await api(
                "DELETE",
                `/api/gallery/${encodeURIComponent(profile.id)}/faces/${encodeURIComponent(face.id)}`,
              );
              await this.open({ identity: profile.id }, false);
            } catch (error) {
              message.textContent = errorMessage(error);
            }
          },
        }),
      ),
    );
    const file = /** @type {HTMLInputElement} */ (
      el("input", { type: "file", name: "photo", accept: "image/jpeg,image/png,image/webp", required: true })
    );
    const force = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", name: "force" }));
    const forceLabel = el("label", { hidden: true }, force, " enroll anyway");
    const add = el(
      "form",
      { class: "inline-form add-photo" },
      file,
      forceLabel,
      el("button", { type: "submit", text: "Add photo" }),
    );
    add.addEventListener("submit", async (event) => {
      event.preventDefault();
      const photo = file.files?.[0];
      if (!photo) return;
      message.className = "form-error";
      message.textContent = "";
      const response = await fetch(
        `/api/gallery/${encodeURIComponent(profile.id)}/photos${force.checked ? "?force=1" : ""}`,
        {
          method: "POST",
          headers: { "content-type": photo.type || "image/jpeg" },
          body: photo,
          credentials: "same-origin",
        },
      ).catch(() => null);
      const value = response ? await response.json().catch(() => ({})) : {};
      if (!response?.ok) {
        message.textContent = errorMessage(
          new ApiError(response?.status ?? 0, value?.error ?? "cannot reach the FaceTracker server"),
        );
        if (/anyway|force/i.test(message.textContent)) forceLabel.hidden = false;
        return;
      }
      await this.open({ identity: profile.id }, false);
    });
    const negatives = profile.negatives > 0 ? ` · ${profile.negatives} marked as not ${profile.name}` : "";
    return el(
      "section",
      { class: "person-faces" },
      el("h3", { text: `Faces (${profile.faces.length})${negatives}` }),
      el("ul", { class: "face-grid" }, ...faces),
      add,
      message,
    );
  }

  /** @param {number} visitor */
  #nameVisitor(visitor) {
    const { name: input, force, forceLabel } = nameBoxes();
    const message = el("p", { class: "form-error", role: "status" });
    const form = el(
      "form",
      { class: "inline-form name-visitor" },
      input,
      forceLabel,
      el("button", { type: "submit", text: "Name" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const r = await api("POST", `/api/visitors/${visitor}/name`, {
          name: input.value,
          force: force.checked,
        });
        await this.open({ identity: r.identityId });
      } catch (error) {
        message.textContent = errorMessage(error);
        if (/anyway|force/i.test(message.textContent)) forceLabel.hidden = false;
      }
    });
    return el(
      "section",
      { class: "person-faces" },
      el("h3", { text: "Name this visitor" }),
      el("p", {
        class: "muted",
        text: "Their best faces are enrolled under the name; the gallery names them from then on.",
      }),
      form,
      message,
    );
  }

  /**
   * Where seen: per camera, then each sighting (newest first), with its alert and clip.
   * @param {any} timeline
   */
  #timeline(timeline) {
    if (timeline.error) {
      return el("p", { class: "form-error", text: `Where seen: ${errorMessage(timeline.error)}` });
    }
    /** @type {Sighting[]} */
    const sightings = [...timeline.sightings].reverse();
    const alerts = sightings.filter((s) => s.alertId);
    const shown =
      timeline.total > sightings.length ? ` (the latest ${sightings.length} of ${timeline.total})` : "";
    return el(
      "section",
      { class: "person-timeline" },
      el("h3", { text: `Where seen: ${timeline.total} sighting${timeline.total === 1 ? "" : "s"}${shown}` }),
      el(
        "ul",
        { class: "camera-presence" },
        .../** @type {{ camera: string, sightings: number, first: string, last: string }[]} */ (
          timeline.cameras
        ).map((c) =>
          el("li", {
            "data-camera": c.camera,
            text: `${c.camera}: ${c.sightings}× · ${formatTime(Date.parse(c.first))} – ${formatTime(Date.parse(c.last))}`,
          }),
        ),
      ),
      alerts.length > 0
        ? el("p", {
            class: "muted person-alerts",
            text: `Alerts: ${alerts.map((s) => s.alertId).join(", ")}`,
          })
        : null,
      el(
        "ol",
        { class: "cards sightings" },
        ...sightings.map((s) =>
          el(
            "li",
            { class: "card sighting", "data-memory-id": s.memoryId, "data-kind": s.kind },
            s.thumbnail
              ? el("img", { class: "face", alt: `face of ${where(s)} #${s.trackId}`, src: s.thumbnail })
              : el("div", { class: "face" }),
            el(
              "div",
              { class: "card-body" },
              el(
                "div",
                { class: "card-title" },
                el("strong", { text: `${where(s)} #${s.trackId}` }),
                el("span", { class: "muted", text: when(s) }),
              ),
              el("span", {
                class: "muted",
                text: [
                  s.name ?? (s.undetermined ? "undetermined" : "unknown"),
                  s.alertId ? `alert ${s.alertId}` : "",
                ]
                  .filter(Boolean)
                  .join(" · "),
              }),
              s.clip
                ? el("a", {
                    class: "clip-link",
                    href: s.clip,
                    target: "_blank",
                    rel: "noopener",
                    text: "clip",
                  })
                : null,
              s.memoryId
                ? correctionControls({ memoryId: s.memoryId }, s.name, (message) => {
                    this.notice.replaceChildren(message);
                    this.refresh();
                  })
                : null,
            ),
          ),
        ),
      ),
    );
  }
}
