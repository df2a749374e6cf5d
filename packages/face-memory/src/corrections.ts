/**
 * Corrections of remembered tracks (docs/memory.md, Corrections): "not this person" (the track becomes
 * unknown, its faces negative examples of the identity in the gallery) and "this is NAME" (its faces
 * enrolled as NAME, the track named). The memory keeps each correction in `corrections`: the track, what it
 * said before, what it says after, and the gallery items the correction added (negative examples,
 * embeddings, a new identity), so that an undo restores the record and removes exactly those. The gallery
 * part is done by the caller (pipeline's track-correction.ts) before the memory's, and undone when the
 * memory's fails.
 *
 * Table (added to an older memory when it is opened for writing):
 *   corrections(id, track → tracks ON DELETE SET NULL, source_kind, source, camera, track_id, kind not|is,
 *     before_identity_id, before_identity_name, before_identity_similarity, before_closest_id,
 *     before_closest_name, before_closest_similarity, before_undetermined, before_visitor_id,
 *     after_identity_id, after_identity_name, negative_identity_id, negative_identity_name,
 *     negative_ids JSON, embedding_ids JSON, identity_created, created_ms, undone_ms)
 * A correction outlives its track's record (analysed again, forgotten by retention): undoing it then
 * removes its gallery items only.
 */

import type { DatabaseSync } from "node:sqlite";
import type { StatementCache } from "./memory-database.ts";
import type { IdentityEvidence, TrackSource } from "./types.ts";

const CORRECTIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS corrections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  track INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
  source_kind TEXT NOT NULL,
  source TEXT NOT NULL,
  camera TEXT,
  track_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('not', 'is')),
  before_identity_id TEXT,
  before_identity_name TEXT,
  before_identity_similarity REAL,
  before_closest_id TEXT,
  before_closest_name TEXT,
  before_closest_similarity REAL,
  before_undetermined INTEGER NOT NULL DEFAULT 0,
  before_visitor_id INTEGER,
  after_identity_id TEXT,
  after_identity_name TEXT,
  negative_identity_id TEXT,
  negative_identity_name TEXT,
  negative_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(negative_ids)),
  embedding_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(embedding_ids)),
  identity_created INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  undone_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS corrections_by_track ON corrections(track);
`;

/** Whether the memory has the corrections table (a file written before corrections has not). */
export function hasCorrectionsTable(db: DatabaseSync): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'corrections'").get() !==
    undefined
  );
}

/** Adds the corrections table where missing (in a write transaction). */
export function ensureCorrectionsSchema(db: DatabaseSync): void {
  db.exec(CORRECTIONS_SCHEMA);
}

export type CorrectionKind = "not" | "is";

/** What a track said (its identity decision) before a correction. */
export interface TrackDecision {
  identity: IdentityEvidence | null;
  closest: IdentityEvidence | null;
  undetermined: boolean;
}

/** One correction of a remembered track. */
export interface Correction {
  /** #1, #2 … never reused. */
  id: number;
  /** The track's row in the memory; null once the record is gone (analysed again, forgotten). */
  track: number | null;
  /** Where the track was seen and its track ID (kept when the record goes). */
  source: TrackSource;
  trackId: number;
  kind: CorrectionKind;
  /** The decision before the correction. */
  before: TrackDecision;
  /** The identity the track has after it (`is`), null for `not` (unknown, closest = the wrong identity). */
  after: { id: string; name: string } | null;
  /** The identity whose negative examples it added (null: none added). */
  negativeIdentity: { id: string; name: string } | null;
  /** Gallery ids of the negative examples and the embeddings it added. */
  negativeIds: string[];
  embeddingIds: string[];
  /** It created the identity `after` in the gallery. */
  identityCreated: boolean;
  /** When it was made, and undone (null: in force). */
  createdMs: number;
  undoneMs: number | null;
}

/** NOT_FOUND: no such track or correction; FAILED_PRECONDITION: not possible in the current state. */
export class CorrectionError extends Error {
  override readonly name = "CorrectionError";
  readonly code: "NOT_FOUND" | "FAILED_PRECONDITION" | "CONFLICT";
  constructor(code: "NOT_FOUND" | "FAILED_PRECONDITION" | "CONFLICT", message: string) {
    super(message);
    this.code = code;
  }
}

interface CorrectionRow {
  id: number;
  track: number | null;
  source_kind: "camera" | "file" | "clip";
  source: string;
  camera: string | null;
  track_id: number;
  kind: CorrectionKind;
  before_identity_id: string | null;
  before_identity_name: string | null;
  before_identity_similarity: number | null;
  before_closest_id: string | null;
  before_closest_name: string | null;
  before_closest_similarity: number | null;
  before_undetermined: number;
  before_visitor_id: number | null;
  after_identity_id: string | null;
  after_identity_name: string | null;
  negative_identity_id: string | null;
  negative_identity_name: string | null;
  negative_ids: string;
  embedding_ids: string;
  identity_created: number;
  created_ms: number;
  undone_ms: number | null;
}

const evidence = (id: string | null, name: string | null, similarity: number | null) =>
  name === null ? null : { id: id ?? "", name, similarity: similarity ?? 0 };

function correctionFromRow(r: CorrectionRow): Correction {
  return {
    id: r.id,
    track: r.track,
    source: { kind: r.source_kind, name: r.source, ...(r.camera === null ? {} : { camera: r.camera }) },
    trackId: r.track_id,
    kind: r.kind,
    before: {
      identity: evidence(r.before_identity_id, r.before_identity_name, r.before_identity_similarity),
      closest: evidence(r.before_closest_id, r.before_closest_name, r.before_closest_similarity),
      undetermined: r.before_undetermined === 1,
    },
    after:
      r.after_identity_name === null ? null : { id: r.after_identity_id ?? "", name: r.after_identity_name },
    negativeIdentity:
      r.negative_identity_name === null
        ? null
        : { id: r.negative_identity_id ?? "", name: r.negative_identity_name },
    negativeIds: JSON.parse(r.negative_ids) as string[],
    embeddingIds: JSON.parse(r.embedding_ids) as string[],
    identityCreated: r.identity_created === 1,
    createdMs: r.created_ms,
    undoneMs: r.undone_ms,
  };
}

/** What recordCorrection writes (the gallery part is already done). */
export interface NewCorrection {
  /** The track's row ID. */
  track: number;
  kind: CorrectionKind;
  /**
   * The name the track had when the caller decided (null: none); the correction is refused (CONFLICT)
   * when the record changed since, and the caller undoes its gallery part.
   */
  expectedName: string | null;
  /** `is`: the identity the track now has. */
  after?: { id: string; name: string };
  negativeIdentity?: { id: string; name: string };
  negativeIds: readonly string[];
  embeddingIds: readonly string[];
  identityCreated: boolean;
  nowMs: number;
}

interface TrackDecisionRow {
  source_kind: "camera" | "file" | "clip";
  source: string;
  camera: string | null;
  track_id: number;
  identity_id: string | null;
  identity_name: string | null;
  identity_similarity: number | null;
  closest_id: string | null;
  closest_name: string | null;
  closest_similarity: number | null;
  undetermined: number;
  visitor_id: number | null;
  open: number;
}

/**
 * Records a correction and applies it to the track (in the caller's write transaction): `not` makes the
 * track unknown with the wrong identity as its closest (same similarity), out of any visitor; `is` names
 * it (similarity 1: a person said so), out of any visitor. Returns the correction and whether the track
 * is still open (a live camera track: its next events may decide again).
 */
export function insertCorrection(
  sql: StatementCache,
  c: NewCorrection,
  hasVisitors: boolean,
): { correction: Correction; open: boolean } {
  const t = sql
    .get(
      `SELECT source_kind, source, camera, track_id, identity_id, identity_name, identity_similarity,
         closest_id, closest_name, closest_similarity, undetermined,
         ${hasVisitors ? "visitor_id" : "NULL AS visitor_id"}, open FROM tracks WHERE id = ?`,
    )
    .get(c.track) as TrackDecisionRow | undefined;
  if (!t)
    throw new CorrectionError("NOT_FOUND", `no remembered track with ID ${c.track} (forgotten meanwhile?)`);
  if (t.identity_name !== c.expectedName) {
    throw new CorrectionError(
      "CONFLICT",
      `track ${c.track} changed meanwhile (it is now ${t.identity_name ?? "not named"}): look at it again`,
    );
  }
  const { id } = sql
    .get(
      `INSERT INTO corrections (track, source_kind, source, camera, track_id, kind, before_identity_id,
         before_identity_name, before_identity_similarity, before_closest_id, before_closest_name,
         before_closest_similarity, before_undetermined, before_visitor_id, after_identity_id,
         after_identity_name, negative_identity_id, negative_identity_name, negative_ids, embedding_ids,
         identity_created, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(
      c.track,
      t.source_kind,
      t.source,
      t.camera,
      t.track_id,
      c.kind,
      t.identity_id,
      t.identity_name,
      t.identity_similarity,
      t.closest_id,
      t.closest_name,
      t.closest_similarity,
      t.undetermined,
      t.visitor_id,
      c.after?.id ?? null,
      c.after?.name ?? null,
      c.negativeIdentity?.id ?? null,
      c.negativeIdentity?.name ?? null,
      JSON.stringify(c.negativeIds),
      JSON.stringify(c.embeddingIds),
      c.identityCreated ? 1 : 0,
      Math.round(c.nowMs),
    ) as { id: number };
  if (c.kind === "not") {
    sql
      .get(
        `UPDATE tracks SET identity_id = NULL, identity_name = NULL, identity_similarity = NULL,
           closest_id = identity_id, closest_name = identity_name, closest_similarity = identity_similarity,
           undetermined = 0 WHERE id = ?`,
      )
      .run(c.track);
  } else {
    sql
      .get(
        `UPDATE tracks SET identity_id = ?, identity_name = ?, identity_similarity = 1, closest_id = NULL,
           closest_name = NULL, closest_similarity = NULL, undetermined = 0 WHERE id = ?`,
      )
      .run(c.after?.id || null, c.after?.name ?? null, c.track);
  }
  if (hasVisitors) sql.get("UPDATE tracks SET visitor_id = NULL WHERE id = ?").run(c.track);
  return { correction: readCorrection(sql, id) as Correction, open: t.open === 1 };
}

export function readCorrection(sql: StatementCache, id: number): Correction | undefined {
  const row = sql.get("SELECT * FROM corrections WHERE id = ?").get(id) as CorrectionRow | undefined;
  return row ? correctionFromRow(row) : undefined;
}

/** Corrections, the latest first: of one track (row ID) when given; undone ones unless left out. */
export function listCorrections(
  sql: StatementCache,
  options: { track?: number; includeUndone?: boolean; limit?: number },
): Correction[] {
  const rows = sql
    .get(
      `SELECT * FROM corrections WHERE (? IS NULL OR track = ?) AND (? = 1 OR undone_ms IS NULL)
       ORDER BY id DESC LIMIT ?`,
    )
    .all(
      options.track ?? null,
      options.track ?? null,
      options.includeUndone === false ? 0 : 1,
      options.limit ?? -1,
    ) as unknown as CorrectionRow[];
  return rows.map(correctionFromRow);
}

/**
 * Checks that a correction can be undone: it exists, is in force, and is the latest in force of its track
 * (a later one is undone first). Returns it.
 */
export function undoableCorrection(sql: StatementCache, id: number): Correction {
  const c = readCorrection(sql, id);
  if (!c) throw new CorrectionError("NOT_FOUND", `no correction #${id}`);
  if (c.undoneMs !== null) {
    throw new CorrectionError(
      "FAILED_PRECONDITION",
      `correction #${id} was undone already (${new Date(c.undoneMs).toISOString()})`,
    );
  }
  if (c.track !== null) {
    const later = sql
      .get(
        "SELECT id FROM corrections WHERE track = ? AND undone_ms IS NULL AND id > ? ORDER BY id DESC LIMIT 1",
      )
      .get(c.track, id) as { id: number } | undefined;
    if (later) {
      throw new CorrectionError(
        "FAILED_PRECONDITION",
        `track ${c.track} was corrected again since (correction #${later.id}): undo #${later.id} first`,
      );
    }
  }
  return c;
}

/**
 * Marks a correction undone and gives its track (when still remembered) the decision it had before (in
 * the caller's write transaction; undoableCorrection checked it). Returns whether a track was restored.
 */
export function markUndone(sql: StatementCache, c: Correction, nowMs: number, hasVisitors: boolean): boolean {
  sql.get("UPDATE corrections SET undone_ms = ? WHERE id = ?").run(Math.round(nowMs), c.id);
  if (c.track === null) return false;
  const b = c.before;
  const restored = sql
    .get(
      `UPDATE tracks SET identity_id = ?, identity_name = ?, identity_similarity = ?, closest_id = ?,
         closest_name = ?, closest_similarity = ?, undetermined = ? WHERE id = ?`,
    )
    .run(
      b.identity ? b.identity.id || null : null,
      b.identity?.name ?? null,
      b.identity?.similarity ?? null,
      b.closest ? b.closest.id || null : null,
      b.closest?.name ?? null,
      b.closest?.similarity ?? null,
      b.undetermined ? 1 : 0,
      c.track,
    );
  if (hasVisitors) {
    const visitor = (
      sql.get("SELECT before_visitor_id AS v FROM corrections WHERE id = ?").get(c.id) as { v: number | null }
    ).v;
    // Back in its visitor when that one is still there (a visitor left without tracks is deleted).
    sql
      .get("UPDATE tracks SET visitor_id = (SELECT id FROM visitors WHERE id = ?) WHERE id = ?")
      .run(visitor, c.track);
  }
  return Number(restored.changes) > 0;
}

/** The latest correction in force of each of these tracks. */
export function correctionInForce(sql: StatementCache, track: number): Correction | undefined {
  const row = sql
    .get("SELECT * FROM corrections WHERE track = ? AND undone_ms IS NULL ORDER BY id DESC LIMIT 1")
    .get(track) as CorrectionRow | undefined;
  return row ? correctionFromRow(row) : undefined;
}

/** Forgetting a person: their corrections go too (they name them), in the caller's write transaction. */
export function forgetCorrectionsOf(sql: StatementCache, who: { name: string; id: string | null }): void {
  sql
    .get(
      `DELETE FROM corrections WHERE ? IN (before_identity_name, before_closest_name, after_identity_name,
         negative_identity_name)
         OR (? IS NOT NULL AND ? IN (before_identity_id, before_closest_id, after_identity_id, negative_identity_id))`,
    )
    .run(who.name, who.id, who.id);
}
