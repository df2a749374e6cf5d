/**
 * "Enroll…" on a track or an alert: type a name, and the face the pipeline saw (its aligned crop) is
 * added to the gallery under that name. A face that already matches someone else, or that looks like none
 * of the faces enrolled under that name, is refused unless "enroll anyway" is checked (the box appears
 * with the refusal, which names the closest face and the similarity).
 */

import { ApiError, api } from "./api.js";
import { el } from "./dom.js";
import { errorMessage } from "./errors.js";

/**
 * A person's name box (suggesting the gallery's names, so that a typo does not make a new person) and the
 * "enroll anyway" box, hidden until a refusal offers it (offerForce).
 */
export function nameBoxes() {
  const name = /** @type {HTMLInputElement} */ (
    el("input", {
      type: "text",
      name: "name",
      placeholder: "Name",
      autocomplete: "off",
      list: "gallery-names",
      required: true,
    })
  );
  const force = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", name: "force" }));
  const forceLabel = el("label", { hidden: true }, force, " enroll anyway");
  return { name, force, forceLabel };
}

/**
 * @param {{ alertId: string, seq?: number } | { camera: string, trackId: number }} face which face to enroll
 * @param {(result: { name: string, identityId: string, created: boolean }) => void} [onEnrolled]
 * @returns {HTMLElement}
 */
export function enrollForm(face, onEnrolled) {
  const { name, force, forceLabel } = nameBoxes();
  const button = /** @type {HTMLButtonElement} */ (el("button", { type: "submit", text: "Enroll" }));
  const message = el("p", { class: "form-error", role: "status" });
  const form = el("form", { class: "inline-form" }, name, forceLabel, button, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.className = "form-error";
    message.textContent = "";
    try {
      const result = await api("POST", "/api/enroll", { name: name.value, force: force.checked, ...face });
      message.className = "form-ok";
      message.textContent = result.created ? `Enrolled as ${result.name}.` : `Face added to ${result.name}.`;
      name.value = "";
      force.checked = false;
      forceLabel.hidden = true;
      onEnrolled?.(result);
    } catch (error) {
      message.textContent = errorMessage(error);
      // The refusals forcing overrides say so: a face of someone else (409), a face unlike the name's (422).
      if (error instanceof ApiError && /"enroll anyway"/.test(error.message)) {
        forceLabel.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  });
  return el("details", { class: "enroll" }, el("summary", { text: "Enroll…" }), form);
}
