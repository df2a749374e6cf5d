/**
 * The annotated live view of a camera (the restream): each frame paired with the tracking snapshot of the
 * same frame, which comes a little after it (detection and tracking latency), then drawn. A frame never
 * waits long for its snapshot: past the wait it is drawn with the snapshot closest to it in time, or
 * without boxes when none is recent, so the live view stays live.
 */

import { drawLabelsRaw, faceLabel, type Label, type RgbImage, trackFaceKind } from "@facetracker/vision";
import type { PairingPolicy } from "./frame-snapshot-pairer.ts";
import type { FrameTracks } from "./frame-tracks.ts";
import { decodeJpeg } from "./jpeg.ts";

/**
 * The restream's pairing policy (FrameSnapshotPairer): a frame waits at most 300 ms for its own snapshot
 * (snapshotWaitMs overrides it), then takes the snapshot closest to it in capture time when one is within
 * 1 s, else none (drawn without boxes); at most 16 frames wait; the last 64 snapshots are kept.
 */
export const LIVE_PAIRING = {
  waitMs: 300,
  fallback: "nearest",
  staleMs: 1000,
  maxPending: 16,
  keepSnapshots: 64,
} as const satisfies PairingPolicy;

/**
 * Labels of one frame for the live view: every track with a box, by its kind (face-labels of vision).
 * Tentative: "identifying" (no ID yet); confirmed with no identity settled yet (e.g. waiting for an embed
 * worker): "#<id> identifying"; confirmed with no face good enough yet: "#<id> undetermined"; confirmed
 * with an identity: "#<id> <name>" (known); confirmed without: "#<id> unknown"; lost (predicted box):
 * "#<id> <name or unknown> (lost)".
 */
export function liveLabels(snapshot: FrameTracks | null | undefined): Label[] {
  if (!snapshot) return [];
  const labels: Label[] = [];
  for (const track of snapshot.tracks) {
    if (!track.box) continue;
    const name = track.identity?.name;
    const kind = trackFaceKind(track.state, track.trackId, name, track.identifying, track.undetermined);
    if (kind) labels.push(faceLabel(kind, [...track.box], { trackId: track.trackId, name }));
  }
  return labels;
}

/** Decodes a frame's JPEG and draws its snapshot's labels on it (RGB24, the frame's own size). */
export async function drawLiveFrame(
  jpeg: Uint8Array,
  snapshot: FrameTracks | null | undefined,
): Promise<RgbImage> {
  const image = await decodeJpeg(jpeg);
  return drawLabelsRaw(image, liveLabels(snapshot));
}
