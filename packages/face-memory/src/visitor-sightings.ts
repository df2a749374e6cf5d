/**
 * An unknown live track as its alert tells of it: the visitor it is (the one its record is already in,
 * else the one its face joins, else a new one) and how often that visitor came: "unknown visitor #17,
 * third visit today". A visit is a run of sightings (tracks, on any camera) without a gap of VISIT_GAP_MS:
 * a person lingering at a door whose track breaks up into several is one visit, not several.
 */

import type { StatementCache } from "./memory-database.ts";

/** Sightings of a visitor closer than this belong to one visit. */
export const VISIT_GAP_MS = 30 * 60_000;

/** The visitor of an unknown live track, as its alert names it. */
export interface VisitorSighting {
  /** The visitor's ID (#17). */
  visitor: number;
  /** The visitor was created for this track: its first visit ever. */
  created: boolean;
  /** The visitor's visits, this one included. */
  visits: number;
  /** Its visits since `dayStartMs` (the start of the day, local time of the caller), this one included. */
  visitsToday: number;
}

/** Counts visits: spans (first, last ms) grouped into runs without a gap longer than `gapMs`. */
export function countVisits(spans: readonly { first: number; last: number }[], gapMs = VISIT_GAP_MS): number {
  const sorted = [...spans].sort((a, b) => a.first - b.first);
  let visits = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of sorted) {
    if (s.first > end + gapMs) visits++;
    end = Math.max(end, s.last);
  }
  return visits;
}

/** The latest record of a camera's track (its row ID and visitor), in the current transaction. */
export function liveTrackRow(
  sql: StatementCache,
  camera: string,
  trackId: number,
): { id: number; visitor: number | null } | undefined {
  const row = sql
    .get(
      `SELECT id, visitor_id FROM tracks WHERE source_kind = 'camera' AND source = ? AND track_id = ?
       ORDER BY open DESC, id DESC LIMIT 1`,
    )
    .get(camera, trackId) as { id: number; visitor_id: number | null } | undefined;
  return row ? { id: row.id, visitor: row.visitor_id } : undefined;
}

/** Whether a visitor exists and is unnamed (named visitors take no more tracks). */
export function isOpenVisitor(sql: StatementCache, visitor: number): boolean {
  const row = sql.get("SELECT identity_name FROM visitors WHERE id = ?").get(visitor) as
    | { identity_name: string | null }
    | undefined;
  return row !== undefined && row.identity_name === null;
}

/** The visit counts of `visitor` seen now (`timeMs`) on the camera's track `trackId`. */
export function visitCounts(
  sql: StatementCache,
  visitor: number,
  track: number,
  timeMs: number,
  dayStartMs: number,
): { visits: number; visitsToday: number } {
  const spans = (
    sql.get("SELECT first_ms, last_ms FROM tracks WHERE visitor_id = ? AND id != ?").all(visitor, track) as {
      first_ms: number;
      last_ms: number;
    }[]
  ).map((r) => ({ first: r.first_ms, last: r.last_ms }));
  const now = { first: timeMs, last: timeMs };
  return {
    visits: countVisits([...spans, now]),
    visitsToday: countVisits([...spans.filter((s) => s.last >= dayStartMs), now]),
  };
}
