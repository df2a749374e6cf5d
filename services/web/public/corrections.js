/**
 * Corrections of a remembered track on the page (docs/memory.md, Corrections): "Not NAME" (the track was
 * someone else: it becomes unknown and its face a negative example of NAME, so that the same face is not
 * given that name again) and "This is…" (its faces enrolled as the name typed, the record fixed). Each says
 * what it did with an Undo button.
 */

import { api } from "./api.js";
import { el } from "./dom.js";
import { nameBoxes } from "./enroll.js";
import { errorMessage } from "./errors.js";

/**
 * The correction buttons of a track: by the alert it raised, or by its row in the face memory.
 * @param {{ alertId: string } | { memoryId: number }} track
 * @param {string | null} name who the track was said to be (null: unknown; no "Not …" button)
 * @param {(message: HTMLElement) => void} [onChange] after a correction or its undo, with the message
 *   saying what was done (and its Undo button): a view that redraws itself keeps it elsewhere
 * @returns {HTMLElement}
 */
export function correctionControls(track, name, onChange) {
  const message = el("p", { class: "form-error correction-message", role: "status" });
  /**
   * @param {string} text
   * @param {number} id the correction, to undo
   */
  const done = (text, id) => {
    message.className = "form-ok correction-message";
    message.replaceChildren(
      text,
      " ",
      el("button", {
        type: "button",
        class: "quiet",
        text: "Undo",
        onclick: async () => {
          try {
            await api("POST", `/api/corrections/${id}/undo`);
            message.replaceChildren("Undone.");
            onChange?.(message);
          } catch (error) {
            message.className = "form-error correction-message";
            message.textContent = errorMessage(error);
          }
        },
      }),
    );
    onChange?.(message);
  };
  /** @param {Record<string, unknown>} body */
  const correct = async (body) => {
    message.className = "form-error correction-message";
    message.textContent = "";
    const result = await api("POST", "/api/corrections", { ...track, ...body });
    return result;
  };
  const notButton = name
    ? el("button", {
        type: "button",
        class: "quiet not-person",
        text: `Not ${name}`,
        title: `This face is not ${name}: the track becomes unknown, and this face is not named ${name} again`,
        onclick: async () => {
          try {
            const { correction } = await correct({ kind: "not" });
            done(`Marked as not ${name} (correction #${correction.id}).`, correction.id);
          } catch (error) {
            message.textContent = errorMessage(error);
          }
        },
      })
    : null;
  const { name: input, force, forceLabel } = nameBoxes();
  const form = el(
    "form",
    { class: "inline-form" },
    input,
    forceLabel,
    el("button", { type: "submit", text: "Save" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { correction, enrolled } = await correct({ kind: "is", name: input.value, force: force.checked });
      const faces = enrolled === 1 ? "1 face" : `${enrolled} faces`;
      done(`Named ${correction.after} (${faces} enrolled; correction #${correction.id}).`, correction.id);
      input.value = "";
      forceLabel.hidden = true;
    } catch (error) {
      message.textContent = errorMessage(error);
      if (/anyway|force/i.test(errorMessage(error))) forceLabel.hidden = false;
    }
  });
  return el(
    "div",
    { class: "corrections" },
    notButton,
    el("details", { class: "this-is" }, el("summary", { text: "This is…" }), form),
    message,
  );
}
