/**
 * FaceTracker's one JSON style (the CLI's --json, the web page's API, kept records): snake_case keys.
 * Code keeps camelCase objects; keys are turned at the edge. What a user named is data, not a key: the
 * values under `attributes` are kept as given. Dates become ISO strings, byte arrays are left as they are.
 */

/** Objects whose keys are the user's data, kept as they are. */
const DATA_KEYS = new Set(["attributes"]);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function turnKeys(value: unknown, turn: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => turnKeys(v, turn));
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[turn(key)] = DATA_KEYS.has(key) ? v : turnKeys(v, turn);
  return out;
}

/** `value` with snake_case keys (deep; `attributes` kept as given). */
export function snakeCaseKeys(value: unknown): unknown {
  return turnKeys(value, snake);
}

/** `value` with camelCase keys (deep; `attributes` kept as given): snake_case or camelCase input alike. */
export function camelCaseKeys(value: unknown): unknown {
  return turnKeys(value, camel);
}
