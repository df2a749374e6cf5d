/**
 * How a face is labelled wherever one is drawn (the CLI's annotated photos, videos and report, the clips'
 * annotated copies, the restream and the operators' page): its kind, the kind's colour and the label's
 * text. One table: a change of colour here changes every picture (the page gets it as CSS variables).
 */

import type { Label } from "./annotate.ts";
import type { Box } from "./geometry.ts";

/**
 * What is known of a face: known (identified), unknown (good faces that match nobody), undetermined (no face
 * good enough to tell yet: too small, blurred, profile…), still being identified, or lost (predicted box).
 */
export type FaceKind = "known" | "unknown" | "undetermined" | "identifying" | "lost";

/**
 * Box and label colour of each kind. Green #1a9850 and red #d73027 (the ColorBrewer RdYlGn ends, readable on
 * photos and on the page's dark background), amber while identifying, blue-grey when undetermined (nothing
 * to tell, not an alarm), grey when lost.
 */
export const FACE_COLORS: Readonly<Record<FaceKind, string>> = {
  known: "#1a9850",
  unknown: "#d73027",
  undetermined: "#90a4ae",
  identifying: "#f9a825",
  lost: "#9e9e9e",
};

/** What a label says of a face; each part is left out when absent. */
export interface LabeledFace {
  /** Public track ID (faces of a photo have none). */
  trackId?: number;
  /** The identity's name; empty or null when unknown. */
  name?: string | null;
  /** Similarity of the identity, written with 2 decimals after the name. */
  similarity?: number;
}

/**
 * The text of a face's label: known "#3 alice" ("alice" without a track ID, "#3 alice 0.93" with a
 * similarity), unknown "#3 unknown", undetermined "#3 undetermined", identifying "identifying" ("#3
 * identifying" once the track has its ID), lost "#3 alice (lost)" or "#3 unknown (lost)".
 */
export function faceLabelText(kind: FaceKind, face: LabeledFace = {}): string {
  const id = face.trackId === undefined ? "" : `#${face.trackId} `;
  const who = face.name || "unknown";
  switch (kind) {
    case "identifying":
      return face.trackId ? `${id}identifying` : "identifying";
    case "known":
      return `${id}${who}${face.similarity === undefined ? "" : ` ${face.similarity.toFixed(2)}`}`;
    case "unknown":
      return `${id}unknown`;
    case "undetermined":
      return `${id}undetermined`;
    case "lost":
      return `${id}${who} (lost)`;
  }
}

/**
 * The kind of a live track by its state (TrackStateKind by name), public ID, identity name, whether its
 * identity is still to be settled and whether its faces so far were all below the quality bar: tentative
 * or confirmed without an ID yet is identifying; confirmed and `undetermined` is undetermined; confirmed
 * and `identifying` (e.g. waiting for an embed worker) is identifying; confirmed is known or unknown; lost
 * is lost; any other state has no label (undefined).
 */
export function trackFaceKind(
  state: string,
  trackId: number,
  name: string | null | undefined,
  identifying = false,
  undetermined = false,
): FaceKind | undefined {
  if (state === "tentative" || (state === "confirmed" && trackId === 0)) return "identifying";
  if (state === "confirmed" && undetermined && !name) return "undetermined";
  if (state === "confirmed" && identifying) return "identifying";
  if (state === "confirmed") return name ? "known" : "unknown";
  if (state === "lost") return "lost";
  return undefined;
}

/** A label of the kind's colour with the given text (default: the kind's text for `face`). */
export function faceLabel(
  kind: FaceKind,
  box: Box,
  face: LabeledFace = {},
  text = faceLabelText(kind, face),
): Label {
  return { box, text, color: FACE_COLORS[kind] };
}

/** The colours as CSS custom properties (--known, --unknown, --identifying, --lost) on :root. */
export function faceColorsCss(): string {
  const lines = Object.entries(FACE_COLORS).map(([kind, color]) => `  --${kind}: ${color};`);
  return `/* Generated from FACE_COLORS (@facetracker/vision face-labels.ts): the face colours of every picture. */\n:root {\n${lines.join("\n")}\n}\n`;
}
