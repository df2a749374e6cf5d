/** Format version of the identity snapshots (ReidScheduler, TrackIdentity). */
export const IDENTITY_SNAPSHOT_VERSION = 1;

/** Throws unless `value` is an object whose `v` is the identity snapshot version. */
export function expectIdentityVersion(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} snapshot: expected an object`);
  }
  const v = (value as { v?: unknown }).v;
  if (v !== IDENTITY_SNAPSHOT_VERSION) {
    throw new Error(
      `${what} snapshot: unsupported format version ${JSON.stringify(v)} (this build reads version ${IDENTITY_SNAPSHOT_VERSION})`,
    );
  }
  return value as Record<string, unknown>;
}

/** Throws unless `value` is a finite number. */
export function finite(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${what}: expected a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}
