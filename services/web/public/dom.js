/**
 * Building DOM nodes without innerHTML: text from the server (names, messages) is always set as text, so
 * it can never inject markup.
 */

/**
 * Creates an element. `props`: attributes (strings, numbers, booleans), `on<event>` listeners, `text`
 * (textContent). Children: nodes or strings (as text); null/undefined/false are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/**
 * The element with this ID (throws when the page lacks it: a broken page should fail loudly).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * A time as the page shows it: hours:minutes:seconds today, with the date otherwise.
 * @param {number} ms
 */
export function formatTime(ms) {
  const date = new Date(ms);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}
