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
}

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
  };
}

/** The clip part of an alert's delivery record. */
export type ClipStatus =
  | { status: "stored"; key: string; url: string }
  | { status: "failed"; error: string }
  | { status: "disabled" };
