/**
 * Visitors: the unknown tracks of the face memory grouped online into people. Each unknown track (not
 * named, not undetermined, with embeddings) joins, as it is remembered, the visitor it is most like, or
 * starts a new one (#1, #2 …: SQLite AUTOINCREMENT, never reused, the same in every process):
 *
 * - single link: the track's best similarity to one of the visitor's member tracks (best pair of kept
 *   embeddings) must reach the threshold (`memory.visitor_threshold`);
 * - guard against chaining: a strict majority of the visitor's member tracks (its latest MEMBERS_COMPARED)
 *   must be at least GUARD_MARGIN below the threshold alike, so that A–B–C chains of two people that look
 *   a little alike do not merge them through one member;
 * - of the visitors that pass both, the one with the highest mean similarity over its members.
 *
 * Named visitors (see FaceMemory.nameVisitor) take no more tracks: the gallery names that person from then.
 */

import type { StatementCache } from "./memory-database.ts";
import { vectorFromBytes } from "./memory-database.ts";

/** Default `memory.visitor_threshold` (docs/memory.md: from the shared photos' same/other-person similarities). */
export const DEFAULT_VISITOR_THRESHOLD = 0.4;
/** The guard's similarity: this much below the threshold, for a majority of a visitor's members. */
export const GUARD_MARGIN = 0.1;
/** A visitor's latest member tracks compared with a new track. */
export const MEMBERS_COMPARED = 24;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** The best pairwise similarity of two sets of unit embeddings. */
function linkage(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const x of a) for (const y of b) best = Math.max(best, dot(x, y));
  return best;
}

export interface VisitorChoice {
  /** The visitor joined, or undefined: a new one is to be created. */
  visitor: number | undefined;
  /** The best single-link similarity to the visitor joined (or to the closest visitor, when none). */
  similarity: number;
}

/**
 * Chooses the visitor of a track (its kept embeddings, unit length) among the unnamed visitors'
 * latest members, in the current transaction. `exceptTrack` is the track itself (not its own member).
 */
export function chooseVisitor(
  sql: StatementCache,
  dimension: number,
  embeddings: readonly Float32Array[],
  threshold: number,
  exceptTrack: number,
): VisitorChoice {
  const rows = sql
    .get(
      `SELECT m.visitor_id AS visitor, m.id AS track, e.vector AS vector FROM (
         SELECT t.id, t.visitor_id, ROW_NUMBER() OVER (PARTITION BY t.visitor_id ORDER BY t.last_ms DESC, t.id DESC) AS k
         FROM tracks t JOIN visitors v ON v.id = t.visitor_id
         WHERE v.identity_name IS NULL AND t.id != ?
       ) m JOIN track_embeddings e ON e.track = m.id WHERE m.k <= ? ORDER BY m.visitor_id, m.id`,
    )
    .all(exceptTrack, MEMBERS_COMPARED) as { visitor: number; track: number; vector: Uint8Array }[];
  const visitors = new Map<number, Map<number, Float32Array[]>>();
  for (const r of rows) {
    const members = visitors.get(r.visitor) ?? new Map<number, Float32Array[]>();
    visitors.set(r.visitor, members);
    const list = members.get(r.track) ?? [];
    members.set(r.track, list);
    list.push(vectorFromBytes(r.vector, dimension));
  }
  const guard = threshold - GUARD_MARGIN;
  let chosen: number | undefined;
  let chosenMean = Number.NEGATIVE_INFINITY;
  let chosenBest = Number.NEGATIVE_INFINITY;
  let closest = Number.NEGATIVE_INFINITY;
  for (const [visitor, members] of visitors) {
    const sims = [...members.values()].map((m) => linkage(embeddings, m));
    const best = Math.max(...sims);
    closest = Math.max(closest, best);
    if (best < threshold) continue;
    const agreeing = sims.filter((s) => s >= guard).length;
    if (agreeing * 2 <= sims.length) continue;
    const mean = sims.reduce((a, b) => a + b, 0) / sims.length;
    if (mean > chosenMean) {
      chosen = visitor;
      chosenMean = mean;
      chosenBest = best;
    }
  }
  return chosen === undefined
    ? { visitor: undefined, similarity: Number.isFinite(closest) ? closest : 0 }
    : { visitor: chosen, similarity: chosenBest };
}

/**
 * Assigns a track to a visitor (chooseVisitor, else a new visitor created at `nowMs`), in the current
 * transaction. Returns the visitor's ID.
 */
export function assignVisitor(
  sql: StatementCache,
  dimension: number,
  track: number,
  embeddings: readonly Float32Array[],
  threshold: number,
  nowMs: number,
): number {
  const { visitor } = chooseVisitor(sql, dimension, embeddings, threshold, track);
  const id =
    visitor ??
    (
      sql.get("INSERT INTO visitors (created_ms) VALUES (?) RETURNING id").get(Math.round(nowMs)) as {
        id: number;
      }
    ).id;
  sql.get("UPDATE tracks SET visitor_id = ? WHERE id = ?").run(id, track);
  return id;
}
