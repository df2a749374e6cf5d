/**
 * The web API's JSON style: snake_case keys (`track_id`), as the CLI's --json. The page's code uses
 * camelCase: keys are turned when a reply or event comes in and when a body goes out. The values under
 * `attributes` (what a user named) are kept as given.
 */

const DATA_KEYS = new Set(["attributes"]);

/**
 * @param {unknown} value
 * @param {(key: string) => string} turn
 * @returns {any}
 */
function turnKeys(value, turn) {
  if (Array.isArray(value)) return value.map((v) => turnKeys(v, turn));
  if (value === null || typeof value !== "object") return value;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, v] of Object.entries(value)) out[turn(key)] = DATA_KEYS.has(key) ? v : turnKeys(v, turn);
  return out;
}

/** @param {unknown} value a reply or an event of the web API */
export function fromWire(value) {
  return turnKeys(value, (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()));
}

/** @param {unknown} value a request body */
export function toWire(value) {
  return turnKeys(value, (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}
