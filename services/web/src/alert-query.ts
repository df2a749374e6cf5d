/** The alert list's query string as an AlertQuery; HttpError 400 naming what is wrong. */

import type { AlertQuery } from "./alert-pages.ts";
import { cameraIdOf, HttpError } from "./http-helpers.ts";

/** Alerts per page by default, and at most. */
export const DEFAULT_ALERT_PAGE = 50;
export const MAX_ALERT_PAGE = 200;

export function alertQuery(url: URL): AlertQuery {
  const p = url.searchParams;
  const text = (name: string) => p.get(name)?.trim() || undefined;
  const whole = (name: string, min: number, max: number): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new HttpError(
        400,
        `"${name}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    return n;
  };
  const time = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (!Number.isFinite(ms))
      throw new HttpError(400, `"${name}" is not a date or time: give it as 2026-11-24 or 2026-11-24T10:15`);
    return ms;
  };
  const known = text("known");
  if (known !== undefined && known !== "known" && known !== "unknown")
    throw new HttpError(400, '"known" must be "known" or "unknown"');
  const q: AlertQuery = { limit: whole("limit", 1, MAX_ALERT_PAGE) ?? DEFAULT_ALERT_PAGE };
  const before = whole("before", 1, Number.MAX_SAFE_INTEGER);
  if (before !== undefined) q.before = before;
  const camera = text("camera");
  if (camera !== undefined) q.camera = cameraIdOf(camera);
  const person = text("person");
  if (person !== undefined) q.person = person.slice(0, 200);
  if (known !== undefined) q.known = known;
  const since = time("since");
  if (since !== undefined) q.sinceMs = since;
  const until = time("until");
  if (until !== undefined) q.untilMs = until;
  if (q.sinceMs !== undefined && q.untilMs !== undefined && q.untilMs < q.sinceMs)
    throw new HttpError(400, '"until" is before "since"');
  if (p.get("unacknowledged") === "1" || p.get("unacknowledged") === "true") q.unacknowledged = true;
  return q;
}
