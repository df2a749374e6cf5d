/**
 * Checks for versioned state snapshots: plain JSON-able objects with a format version `v`, taken by
 * `snapshot()` and given back to `restore()` (e.g. after JSON.stringify → JSON.parse, to resume a stream
 * after a restart). A snapshot of an unknown version, or one that is not what it claims to be, is refused
 * with a SnapshotError (the caller then starts fresh).
 */

/** Format version of the tracker's snapshots. */
export const TRACKER_SNAPSHOT_VERSION = 1;

export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** Throws unless `value` is an object whose `v` is `version`. */
export function expectVersion(what: string, value: unknown, version: number): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SnapshotError(`${what} snapshot: expected an object, got ${describe(value)}`);
  }
  const v = (value as { v?: unknown }).v;
  if (v !== version) {
    throw new SnapshotError(
      `${what} snapshot: unsupported format version ${JSON.stringify(v)} (this build reads version ${version})`,
    );
  }
  return value as Record<string, unknown>;
}

/** Throws unless `value` is a finite number (or an integer, with `integer`). */
export function expectNumber(what: string, value: unknown, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new SnapshotError(
      `${what}: expected ${integer ? "an integer" : "a finite number"}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is an array of `length` finite numbers (any length when omitted). */
export function expectNumbers(what: string, value: unknown, length?: number): number[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new SnapshotError(`${what}: expected ${length ?? "an array of"} numbers, got ${describe(value)}`);
  }
  value.forEach((x, i) => {
    expectNumber(`${what}[${i}]`, x);
  });
  return value as number[];
}

/** Throws unless `value` is an array. */
export function expectArray(what: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new SnapshotError(`${what}: expected an array, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value).slice(0, 40)}`;
}
