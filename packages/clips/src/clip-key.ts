/**
 * Object keys for clips: validation (the same rules for every storage, so a key that works on a local
 * directory works on S3) and the naming scheme `<camera>/<YYYY-MM-DD>/<HHMMSS>-<alertId><ext>`.
 */

/** One path segment of a key: letters, digits, '.', '_' and '-', not starting with '.'. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** A file suffix such as ".mp4" or ".annotated.mp4" (or "" for none). */
const SUFFIX = /^(?:\.[A-Za-z0-9_-]+)*$/;
/** The longest key accepted (S3's limit is 1024 bytes; keys are ASCII here). */
export const MAX_KEY_LENGTH = 1024;

/** The files of one clip: `<base>.mp4` (the video), `<base>.json` (per-frame results), `<base>.annotated.mp4`. */
export const CLIP_SUFFIXES = {
  video: ".mp4",
  results: ".json",
  annotated: ".annotated.mp4",
} as const;

/** Thrown for a key, prefix or key part that breaks the naming rules. */
export class InvalidClipKeyError extends Error {
  override readonly name = "InvalidClipKeyError";
}

function describeValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Throws InvalidClipKeyError unless `key` is a safe relative object key: segments separated by single '/',
 * each of letters, digits, '.', '_' or '-' and not starting with '.' (so no '..', no hidden files), no leading
 * or trailing '/', at most 1024 characters.
 */
export function validateKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new InvalidClipKeyError(`invalid clip key ${describeValue(key)}: must be a non-empty string`);
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidClipKeyError(
      `invalid clip key "${key.slice(0, 40)}…": longer than ${MAX_KEY_LENGTH} characters`,
    );
  }
  if (key.startsWith("/")) {
    throw new InvalidClipKeyError(`invalid clip key "${key}": must be relative (no leading '/')`);
  }
  for (const segment of key.split("/")) {
    if (segment === "") {
      throw new InvalidClipKeyError(`invalid clip key "${key}": empty path segment ('//' or trailing '/')`);
    }
    if (segment === "." || segment === "..") {
      throw new InvalidClipKeyError(`invalid clip key "${key}": '${segment}' segments are not allowed`);
    }
    if (!SEGMENT.test(segment)) {
      throw new InvalidClipKeyError(
        `invalid clip key "${key}": segment "${segment}" must use only letters, digits, '.', '_' or '-' ` +
          "and not start with '.'",
      );
    }
  }
}

/**
 * Throws InvalidClipKeyError unless `prefix` is "" or the beginning of a valid key ("cam1/", "cam1/2024-05").
 */
export function validatePrefix(prefix: string): void {
  if (typeof prefix !== "string") {
    throw new InvalidClipKeyError(`invalid clip key prefix ${describeValue(prefix)}: must be a string`);
  }
  if (prefix === "") return;
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  try {
    validateKey(trimmed);
  } catch (error) {
    throw new InvalidClipKeyError(
      `invalid clip key prefix "${prefix}": ${(error as Error).message.replace(/^invalid clip key "[^"]*": /, "")}`,
    );
  }
}

/** Throws InvalidClipKeyError unless `suffix` is "" or like ".mp4", ".annotated.mp4". */
export function validateSuffix(suffix: string): void {
  if (typeof suffix !== "string" || !SUFFIX.test(suffix)) {
    throw new InvalidClipKeyError(
      `invalid clip file suffix ${describeValue(suffix)}: expected "" or '.'-separated letters, digits, '_' or '-' (e.g. ".annotated.mp4")`,
    );
  }
}

/** Whether `value` is one safe key segment (a camera id, an alert id): letters, digits, '.', '_', '-', no leading '.'. */
export function isKeySegment(value: string): boolean {
  return typeof value === "string" && SEGMENT.test(value);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/**
 * The key of an alert clip: `<camera>/<YYYY-MM-DD>/<HHMMSS>-<alertId><ext>`, date and time in UTC (so keys
 * do not depend on the recorder's time zone and sort by time within a day). `ext` is the file suffix,
 * e.g. ".mp4", ".json", ".annotated.mp4", or "" for the clip's base key (as ClipOutbox.enqueue takes it).
 * Example: clipKey("cam1", Date.UTC(2024, 4, 17, 8, 3, 9), "a1b2", ".mp4") → "cam1/2024-05-17/080309-a1b2.mp4".
 * Throws InvalidClipKeyError when camera or alertId is not a single safe segment (the config's camera ids,
 * `[A-Za-z0-9_-]{1,64}`, always are).
 */
export function clipKey(camera: string, timeMs: number, alertId: string, ext: string): string {
  if (typeof camera !== "string" || !SEGMENT.test(camera)) {
    throw new InvalidClipKeyError(
      `invalid camera id ${describeValue(camera)} for a clip key: use letters, digits, '.', '_' or '-'`,
    );
  }
  if (typeof alertId !== "string" || !SEGMENT.test(alertId)) {
    throw new InvalidClipKeyError(
      `invalid alert id ${describeValue(alertId)} for a clip key: use letters, digits, '.', '_' or '-'`,
    );
  }
  if (!Number.isFinite(timeMs)) {
    throw new InvalidClipKeyError(
      `invalid clip time ${describeValue(timeMs)}: expected milliseconds since the epoch`,
    );
  }
  validateSuffix(ext);
  const t = new Date(timeMs);
  const year = t.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new InvalidClipKeyError(`invalid clip time ${timeMs}: year ${year} is outside 0000–9999`);
  }
  const day = `${pad(year, 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}`;
  const time = `${pad(t.getUTCHours(), 2)}${pad(t.getUTCMinutes(), 2)}${pad(t.getUTCSeconds(), 2)}`;
  const key = `${camera}/${day}/${time}-${alertId}${ext}`;
  validateKey(key);
  return key;
}

/**
 * The clip a key belongs to: the key without its clip file suffix (".annotated.mp4", ".mp4" or ".json");
 * other keys are their own clip. Used to keep or remove a clip's files together.
 */
export function clipBaseKey(key: string): string {
  for (const suffix of [CLIP_SUFFIXES.annotated, CLIP_SUFFIXES.video, CLIP_SUFFIXES.results]) {
    if (key.endsWith(suffix) && key.length > suffix.length && !key.endsWith(`/${suffix}`)) {
      return key.slice(0, -suffix.length);
    }
  }
  return key;
}

/** The parts of a key written by {@link clipKey}. */
export interface ClipKeyParts {
  camera: string;
  /** The alert time (UTC, whole seconds). */
  time: Date;
  alertId: string;
  /** The clip file suffix (".mp4", ".json", ".annotated.mp4"), or "" for a base key. */
  ext: string;
}

/** A base key as clipKey writes it: `<camera>/<YYYY-MM-DD>/<HHMMSS>-<alertId>`. */
const TIMED_KEY = /^([^/]+)\/(\d{4})-(\d{2})-(\d{2})\/(\d{2})(\d{2})(\d{2})-([^/]+)$/;

/**
 * The inverse of {@link clipKey}: the camera, time, alert id and file suffix of a key that follows the
 * `<camera>/<YYYY-MM-DD>/<HHMMSS>-<alertId><ext>` scheme; undefined for another key or an impossible date.
 */
export function parseClipKey(key: string): ClipKeyParts | undefined {
  const base = clipBaseKey(key);
  const m = TIMED_KEY.exec(base);
  if (!m) return undefined;
  const [year, month, day, h, min, s] = m.slice(2, 8).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = new Date(Date.UTC(year, month - 1, day, h, min, s));
  if (Number.isNaN(time.getTime()) || time.getUTCDate() !== day) return undefined;
  return { camera: m[1] as string, time, alertId: m[8] as string, ext: key.slice(base.length) };
}
