/**
 * The web API's JSON style, as the CLI's `--json`: snake_case keys (`track_id`, `first_time`). The page's
 * code and this service's code use camelCase objects; keys are turned at the edge (replies, server-sent
 * events, request bodies). What a user named is data, not a key: the values under `attributes` are kept as
 * given.
 */

/** Objects whose keys are the user's data, kept as they are. */
const DATA_KEYS = new Set(["attributes"]);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function turnKeys(value: unknown, turn: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => turnKeys(v, turn));
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[turn(key)] = DATA_KEYS.has(key) ? v : turnKeys(v, turn);
  }
  return out;
}

/** `value` with snake_case keys, as the web API sends it. */
export function toWireJson(value: unknown): unknown {
  return turnKeys(value, snake);
}

/** A request body (snake_case, or camelCase: both are taken) with camelCase keys. */
export function fromWireJson(value: unknown): unknown {
  return turnKeys(value, camel);
}
