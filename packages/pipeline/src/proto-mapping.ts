/**
 * The one mapping between the stages' types and the bus messages (@facetracker/proto) about a frame:
 * detections (detect → track), track events (track → alert, web, CLI), alerts and their "seen again"
 * updates (alert → notifications, clips, web, API) and track snapshots (track → restream, clips, web). Services publish what the *ToProto functions make and hand the stages what the
 * *FromProto functions make; none maps a message by hand. Also what track events, alerts and clips tell the
 * face memory (api), and the memory's search hits as the API answers them.
 */

import type {
  AlertDecision,
  SeenAgainDecision,
  TrackEvent as StageEvent,
  TrackEventType as StageEventType,
} from "@facetracker/alerts";
import type { LiveTrackUpdate, MemoryHit } from "@facetracker/face-memory";
import {
  type Alert,
  type AlertUpdate,
  type Box as BoxMessage,
  type ClipEvent,
  type Detections,
  type EnrollPhotoResult,
  type Identity,
  type RememberedFace,
  type TrackEvent,
  TrackEventType,
  type TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import type { Box, FaceChoice } from "@facetracker/vision";
import type { DetectOutput } from "./detect-stage.ts";
import type { ClipTrackState, FrameTracks } from "./frame-tracks.ts";
import type { EnrollOutcome } from "./photo-enrollment.ts";
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
    predicted: out.predicted ?? false,
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
    predicted: d.predicted,
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
    undetermined: e.undetermined ?? false,
    embedding: e.embedding ? Array.from(e.embedding) : [],
    ...(e.closest ? { closest: closestToProto(e.closest) } : {}),
    memoryEmbeddings: (e.memoryEmbeddings ?? []).map((m) => ({
      vector: Array.from(m.vector),
      quality: m.quality,
    })),
  };
}

/** An unknown face's closest identity as the messages carry it (no attributes). */
function closestToProto(c: { id: string; name: string; similarity: number }): Identity {
  return { id: c.id, name: c.name, attributes: {}, similarity: c.similarity };
}

/** A message's closest identity as the stages take it (undefined when unset). */
function closestFromProto(
  c: Identity | undefined,
): { id: string; name: string; similarity: number } | undefined {
  return c ? { id: c.id, name: c.name, similarity: c.similarity } : undefined;
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
    ...(event.undetermined ? { undetermined: true } : {}),
    ...(event.closest ? { closest: closestFromProto(event.closest) } : {}),
    ...(event.embedding.length > 0 ? { embedding: Float32Array.from(event.embedding) } : {}),
    ...(event.memoryEmbeddings.length > 0
      ? {
          memoryEmbeddings: event.memoryEmbeddings.map((m) => ({
            vector: Float32Array.from(m.vector),
            quality: m.quality,
          })),
        }
      : {}),
  };
}

/**
 * The Alert message of an alert decision on a track event: the event's face (thumbnail, box, identity
 * with its attributes, or the closest identity of an unknown face), frame and time, and the camera's mode.
 */
export function alertToProto(
  event: TrackEvent,
  decision: AlertDecision,
  mode: string,
  visitor?: { visitor: number; visits: number; visitsToday: number },
): Alert {
  return {
    id: decision.id,
    camera: event.camera,
    trackId: event.trackId,
    ...(event.identity ? { identity: event.identity } : {}),
    similarity: event.identity?.similarity ?? 0,
    timeMs: event.timeMs,
    seq: event.seq,
    thumbnailJpeg: event.thumbnailJpeg,
    mode,
    pts: event.pts,
    ...(event.box ? { box: event.box } : {}),
    ...(decision.closest ? { closest: closestToProto(decision.closest) } : {}),
    visitorId: visitor && !event.identity ? visitor.visitor : 0,
    visitorVisits: visitor && !event.identity ? visitor.visits : 0,
    visitorVisitsToday: visitor && !event.identity ? visitor.visitsToday : 0,
  };
}

/** The AlertUpdate message ("seen again") of a track event that is the person of an earlier alert. */
export function alertUpdateToProto(
  event: TrackEvent,
  seen: SeenAgainDecision,
  visitor?: number,
): AlertUpdate {
  return {
    alertId: seen.alert.id,
    alertCamera: seen.alert.camera,
    alertTimeMs: seen.alert.timeMs,
    camera: event.camera,
    trackId: event.trackId,
    timeMs: event.timeMs,
    seq: event.seq,
    pts: event.pts,
    ...(event.identity ? { identity: event.identity } : {}),
    similarity: seen.similarity,
    reason: seen.reason,
    ...(seen.closest ? { closest: closestToProto(seen.closest) } : {}),
    visitorId: visitor !== undefined && !event.identity ? visitor : 0,
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
      undetermined: t.undetermined,
      ...(!t.identity && t.closest ? { closest: closestToProto(t.closest) } : {}),
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
      ...(track.undetermined ? { undetermined: true } : {}),
      ...(track.closest ? { closest: closestFromProto(track.closest) } : {}),
    })),
  };
}

/** The face an Enroll request picks from each photo (face_index, else face_box), or undefined: the subject. */
export function faceChoiceFromProto(
  faceIndex: number | undefined,
  faceBox: BoxMessage | undefined,
): FaceChoice | undefined {
  if (faceIndex !== undefined && faceIndex > 0) return { index: faceIndex };
  const box = boxFromProto(faceBox);
  return box ? { box } : undefined;
}

/** One photo's enrollment outcome as the EnrollResponse reports it. */
export function enrollOutcomeToProto(o: EnrollOutcome): EnrollPhotoResult {
  const face = "face" in o ? o.face : undefined;
  return {
    image: o.image,
    status: o.status,
    reason: "reason" in o ? o.reason : o.status === "no_face" ? "no face found" : "",
    faceIndex: face?.index ?? 0,
    faceCount: face?.count ?? 0,
    chosenBy: face?.chosenBy ?? "",
    box: face ? boxToProto(face.box) : undefined,
    closest: o.status === "mismatch" ? o.closest : o.status === "conflict" ? o.otherIdentity : "",
    similarity: o.status === "mismatch" || o.status === "conflict" ? o.similarity : 0,
    embeddingId: o.status === "enrolled" ? o.embeddingId : "",
  };
}

/**
 * What a track event tells the face memory of its camera track (undefined for an event that names no
 * public track): when it was seen, lost or ended; the identity decision of an identified or
 * identity_changed event (with the nearest identity of an unknown face); whether it is undetermined while
 * not identified; its face thumbnail (an identified or identity_changed event's preferred to a confirmed
 * one's) and embedding.
 */
export function trackEventToMemoryUpdate(event: TrackEvent): LiveTrackUpdate | undefined {
  const type = STAGE_EVENT_TYPES[event.type];
  if (!type || event.trackId === 0) return undefined;
  const decides = type === "identified" || type === "identity_changed";
  const identity = event.identity
    ? { id: event.identity.id, name: event.identity.name, similarity: event.identity.similarity }
    : null;
  return {
    camera: event.camera,
    trackId: event.trackId,
    timeMs: event.timeMs,
    sighting: type === "ended" ? "ended" : type === "lost" ? "lost" : "seen",
    ...(type === "confirmed" ? { starts: true } : {}),
    ...(decides
      ? {
          decision: {
            identity,
            closest: identity ? null : (closestFromProto(event.closest) ?? null),
            undetermined: false,
          },
        }
      : event.identifying
        ? { undetermined: event.undetermined }
        : {}),
    ...(event.thumbnailJpeg.length > 0
      ? { thumbnail: { jpeg: new Uint8Array(event.thumbnailJpeg), quality: decides ? 1 : 0 } }
      : {}),
    ...(event.embedding.length > 0
      ? { embedding: { vector: Float32Array.from(event.embedding), quality: 0 } }
      : {}),
    ...(event.memoryEmbeddings.length > 0
      ? {
          embeddings: event.memoryEmbeddings.map((m) => ({
            vector: Float32Array.from(m.vector),
            quality: m.quality,
          })),
        }
      : {}),
  };
}

/** The alert of a camera track, for the face memory. */
export function alertToMemoryLink(alert: Alert): {
  camera: string;
  trackId: number;
  alertId: string;
  timeMs: number;
} {
  return { camera: alert.camera, trackId: alert.trackId, alertId: alert.id, timeMs: alert.timeMs };
}

/** The clip of alerts, for the face memory (its video key and URL). */
export function clipToMemoryLink(clip: ClipEvent): {
  alertIds: string[];
  key: string;
  url?: string;
  timeMs: number;
} {
  return {
    alertIds: clip.alertIds.length > 0 ? clip.alertIds : [clip.alertId],
    key: clip.key,
    ...(clip.url ? { url: clip.url } : {}),
    timeMs: clip.endMs || clip.startMs,
  };
}

/** A face memory search hit as SearchFaces answers it. */
export function memoryHitToProto(hit: MemoryHit): RememberedFace {
  const identity = (e: { id: string; name: string; similarity: number }): Identity => ({
    id: e.id,
    name: e.name,
    attributes: {},
    similarity: e.similarity,
  });
  return {
    sourceKind: hit.source.kind,
    source: hit.source.name,
    camera: hit.source.camera ?? "",
    trackId: hit.trackId,
    firstTimeMs: hit.firstMs,
    lastTimeMs: hit.lastMs,
    firstTimeS: hit.firstS ?? 0,
    lastTimeS: hit.lastS ?? 0,
    similarity: hit.similarity,
    ...(hit.identity ? { identity: identity(hit.identity) } : {}),
    ...(hit.closest ? { closest: identity(hit.closest) } : {}),
    undetermined: hit.undetermined,
    thumbnailJpeg: Buffer.from(hit.thumbnail ?? new Uint8Array()),
    alertId: hit.alertId ?? "",
    clipKey: hit.clip?.key ?? "",
    clipUrl: hit.clip?.url ?? "",
    memoryId: hit.id,
  };
}
