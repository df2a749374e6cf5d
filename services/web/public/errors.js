/** Error messages at the top of the page, each with a close button; the newest five are kept. */

import { byId, el } from "./dom.js";

const MAX_SHOWN = 5;

/**
 * Shows an error message until the operator closes it (the same message is shown once).
 * @param {string} message
 */
export function showError(message) {
  const box = byId("errors");
  for (const existing of box.querySelectorAll(".error-text")) {
    if (existing.textContent === message) return;
  }
  const item = el(
    "div",
    { class: "error" },
    el("span", { class: "error-text", text: message }),
    el("button", {
      type: "button",
      class: "quiet",
      "aria-label": "Close this message",
      text: "×",
      onclick: () => item.remove(),
    }),
  );
  box.append(item);
  while (box.children.length > MAX_SHOWN) box.firstElementChild?.remove();
}

/**
 * The message of an error thrown by a call (ApiError messages come from the server and say what to do).
 * @param {unknown} error
 */
export function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}
