/** What the outbox keeps with a spooled clip, and what became of an alert's clip. */

import type { ClipOutboxEntry } from "@facetracker/clips";

/** What the outbox keeps with a spooled clip (JSON), to announce it once stored, in this process or the next. */
export interface ClipMeta {
  camera: string;
  /** Every alert the clip covers; the first named it. */
  alertIds: string[];
  startMs: number;
  endMs: number;
  frames: number;
  fps: number;
  jsonKey: string;
  /** "" when there is no annotated copy. */
  annotatedKey: string;
  /** What the clip lacks ("pre-roll lost: 3.2 s of 5.0 s"), "" when its pre-roll is whole. */
  missing: string;
  /**
   * The alerts as the recorder's ledger knows them (ID and time, see clipAlertKey), in the order of
   * alertIds; empty in spool entries of an earlier version.
   */
  alertKeys: string[];
}

/**
 * What identifies an alert in the recorder's ledger: its ID with its time (alert IDs start over when the
 * pipeline's state is wiped while the spool is kept; a redelivered alert carries the same time).
 */
export const clipAlertKey = (alert: { id: string; timeMs: number }) => `${alert.id}@${alert.timeMs}`;

/** The meta of a spooled entry, checked (a spool written by another version may lack fields). */
export function clipMetaOf(entry: ClipOutboxEntry): ClipMeta {
  const m = entry.meta as Partial<ClipMeta>;
  const alertIds = Array.isArray(m.alertIds) ? m.alertIds.filter((id) => typeof id === "string") : [];
  if (typeof m.camera !== "string" || alertIds.length === 0) {
    throw new Error(`clip ${entry.key}: its spool entry has no camera or alert IDs in its meta`);
  }
  const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  return {
    camera: m.camera,
    alertIds,
    startMs: num(m.startMs),
    endMs: num(m.endMs),
    frames: num(m.frames),
    fps: num(m.fps),
    jsonKey: typeof m.jsonKey === "string" ? m.jsonKey : "",
    annotatedKey: typeof m.annotatedKey === "string" ? m.annotatedKey : "",
    missing: typeof m.missing === "string" ? m.missing : "",
    alertKeys:
      Array.isArray(m.alertKeys) && m.alertKeys.length === alertIds.length
        ? m.alertKeys.filter((k) => typeof k === "string")
        : [],
  };
}

/**
 * What a clip lacks of its pre-roll, in seconds at `fps`: "" when nothing, else "pre-roll lost: 3.2 s of
 * 5.0 s" (and what is missing after the trigger too, when the first frame recorded came after it).
 */
export function preRollLoss(missingBefore: number, preRollFrames: number, fps: number): string {
  if (missingBefore <= 0) return "";
  const s = (frames: number) => `${(fps > 0 ? frames / fps : 0).toFixed(1)} s`;
  const lost = Math.min(missingBefore, preRollFrames);
  const after = missingBefore - lost;
  return `pre-roll lost: ${s(lost)} of ${s(preRollFrames)}${after > 0 ? `, and ${s(after)} from the trigger on` : ""}`;
}

/** The clip part of an alert's delivery record (one per alert). */
export type ClipStatus =
  | { status: "stored"; key: string; url: string }
  | { status: "partial"; key: string; url: string; missing: string }
  | { status: "failed"; error: string }
  | { status: "disabled" };
