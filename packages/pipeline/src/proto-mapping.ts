/**
 * The one mapping between the stages' types and the bus messages (@facetracker/proto) about a frame:
 * detections (detect → track), track events (track → alert, web, CLI) and track snapshots (track →
 * restream, clips, web). Services publish what the *ToProto functions make and hand the stages what the
 * *FromProto functions make; none maps a message by hand.
 */

import type { TrackEvent as StageEvent, TrackEventType as StageEventType } from "@facetracker/alerts";
import {
  type Box as BoxMessage,
  type Detections,
  type Identity,
  type TrackEvent,
  TrackEventType,
  type TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import type { Box } from "@facetracker/vision";
import type { DetectOutput } from "./detect-stage.ts";
import type { ClipTrackState, FrameTracks } from "./frame-tracks.ts";
import type { CameraDetections } from "./track-stage.ts";
import type { TrackResult } from "./tracking-types.ts";

/** Where a frame stands in its camera's stream: what every message about it repeats. */
export interface FrameStamp {
  camera: string;
  seq: number;
  /** Presentation time in the source, seconds. */
  pts: number;
  /** Capture time, ms since the epoch. */
  capturedAtMs: number;
}

const EVENT_TYPES: Record<StageEventType, TrackEventType> = {
  confirmed: TrackEventType.CONFIRMED,
  identified: TrackEventType.IDENTIFIED,
  identity_changed: TrackEventType.IDENTITY_CHANGED,
  lost: TrackEventType.LOST,
  found: TrackEventType.FOUND,
  ended: TrackEventType.ENDED,
};

const STAGE_EVENT_TYPES: Partial<Record<number, StageEventType>> = Object.fromEntries(
  Object.entries(EVENT_TYPES).map(([name, type]) => [type, name as StageEventType]),
);

const STATE_KINDS: Record<TrackResult["state"], TrackStateKind> = {
  tentative: TrackStateKind.TENTATIVE,
  confirmed: TrackStateKind.CONFIRMED,
  lost: TrackStateKind.LOST,
};

const STAGE_STATES: Partial<Record<number, ClipTrackState>> = {
  [TrackStateKind.TENTATIVE]: "tentative",
  [TrackStateKind.CONFIRMED]: "confirmed",
  [TrackStateKind.LOST]: "lost",
};

/** A box as the messages carry it. */
export function boxToProto(b: Box): BoxMessage {
  return { x1: b[0], y1: b[1], x2: b[2], y2: b[3] };
}

/** A message's box as [x1, y1, x2, y2] (null when it has none). */
export function boxFromProto(b: BoxMessage | undefined): Box | null {
  return b ? [b.x1, b.y1, b.x2, b.y2] : null;
}

/** The Detections message of a frame: its faces (landmarks, aligned crops) and whether a shot starts. */
export function detectionsToProto(
  frame: FrameStamp,
  size: { width: number; height: number },
  out: DetectOutput,
  detectMs: number,
): Detections {
  return {
    camera: frame.camera,
    seq: frame.seq,
    pts: frame.pts,
    capturedAtMs: frame.capturedAtMs,
    width: size.width,
    height: size.height,
    sceneCut: out.sceneCut,
    detectMs,
    faces: out.faces.map((f) => ({
      box: boxToProto(f.box),
      score: f.score,
      landmarks: f.landmarks.map(([x, y]) => ({ x, y })),
      alignedRgb: Buffer.from(f.alignedRgb.buffer, f.alignedRgb.byteOffset, f.alignedRgb.length),
    })),
  };
}

/** A Detections message as the track stage takes it (a face without a box gets [0, 0, 0, 0]). */
export function detectionsFromProto(d: Detections): CameraDetections {
  return {
    seq: d.seq,
    pts: d.pts,
    width: d.width,
    height: d.height,
    sceneCut: d.sceneCut,
    faces: d.faces.map((f) => ({
      box: boxFromProto(f.box) ?? [0, 0, 0, 0],
      score: f.score,
      landmarks: f.landmarks.map((p) => [p.x, p.y]),
      alignedRgb: f.alignedRgb,
    })),
  };
}

/** The TrackEvent message of a stage event on frame `frame` (score 0; the face's JPEG, or empty). */
export function trackEventToProto(frame: FrameStamp, e: StageEvent, thumbnailJpeg: Uint8Array): TrackEvent {
  return {
    camera: frame.camera,
    trackId: e.trackId,
    type: EVENT_TYPES[e.type],
    ...(e.box ? { box: boxToProto(e.box) } : {}),
    score: 0,
    ...(e.identity
      ? {
          identity: {
            id: e.identity.id,
            name: e.identity.name,
            attributes: {},
            similarity: e.identity.similarity,
          },
        }
      : {}),
    seq: frame.seq,
    pts: frame.pts,
    timeMs: frame.capturedAtMs,
    thumbnailJpeg: Buffer.from(thumbnailJpeg),
    identifying: e.identifying ?? false,
  };
}

/** A TrackEvent message as the alert stage takes it; undefined for a type it does not know. */
export function trackEventFromProto(event: TrackEvent): StageEvent | undefined {
  const type = STAGE_EVENT_TYPES[event.type];
  if (!type) return undefined;
  return {
    type,
    trackId: event.trackId,
    frame: event.seq,
    pts: event.pts,
    box: boxFromProto(event.box),
    identity: event.identity
      ? { id: event.identity.id, name: event.identity.name, similarity: event.identity.similarity }
      : null,
    ...(event.identifying ? { identifying: true } : {}),
  };
}

/** The TrackSnapshot message of a frame: its live tracks (tentative, confirmed, lost) in creation order. */
export function trackSnapshotToProto(
  frame: FrameStamp,
  size: { width: number; height: number },
  tracks: readonly TrackResult[],
): TrackSnapshot {
  return {
    camera: frame.camera,
    seq: frame.seq,
    pts: frame.pts,
    timeMs: frame.capturedAtMs,
    width: size.width,
    height: size.height,
    tracks: tracks.map((t) => ({
      trackId: t.trackId,
      state: STATE_KINDS[t.state],
      box: boxToProto(t.box),
      ...(t.identity ? { identity: identityToProto(t.identity) } : {}),
      embedded: t.embedded,
      identifying: t.identifying,
    })),
  };
}

function identityToProto(identity: NonNullable<TrackResult["identity"]>): Identity {
  return {
    id: identity.id,
    name: identity.name,
    attributes: identity.attributes,
    similarity: identity.similarity,
  };
}

/**
 * A TrackSnapshot message as the stages take it (the restream, the clips, the web page): a track of an
 * unknown state is "unspecified", one without a box has none, one without an identity is unknown
 * (similarity 0) unless it is still identifying.
 */
export function trackSnapshotFromProto(snapshot: TrackSnapshot): FrameTracks {
  return {
    seq: snapshot.seq,
    timeMs: snapshot.timeMs,
    tracks: snapshot.tracks.map((track) => ({
      trackId: track.trackId,
      state: STAGE_STATES[track.state] ?? "unspecified",
      box: boxFromProto(track.box),
      identity: track.identity ? { id: track.identity.id, name: track.identity.name } : null,
      similarity: track.identity?.similarity ?? 0,
      ...(track.identifying ? { identifying: true } : {}),
    })),
  };
}
