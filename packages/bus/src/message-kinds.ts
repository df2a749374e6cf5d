/**
 * What travels on each per-camera subject kind: its protobuf message type and the stream that stores it.
 * The one table the typed bus reads, so a kind's subject, codec and stream are bound in one place.
 */

import {
  Alert,
  AlertDelivery,
  AlertUpdate,
  ClipEvent,
  Detections,
  Frame,
  type MessageType,
  TrackEvent,
  TrackSnapshot,
} from "@facetracker/proto";
import { STREAM_SPECS, type StreamSpec } from "./streams.ts";
import { CAMERA_SUBJECT_KINDS, type CameraSubjectKind, SUBJECT_PREFIX } from "./subjects.ts";

/** A per-camera message kind (`ft.<kind>.<camera>`). */
export type MessageKind = CameraSubjectKind;

/** The message value of each kind. */
export interface MessageKinds {
  frames: Frame;
  detections: Detections;
  tracks: TrackEvent;
  snapshots: TrackSnapshot;
  alerts: Alert;
  /** A later sighting of an alert's person ("seen again"), not a new alert. */
  alert_updates: AlertUpdate;
  deliveries: AlertDelivery;
  clips: ClipEvent;
}

/** The protobuf type of each kind. */
export const MESSAGE_TYPES: { readonly [K in MessageKind]: MessageType<MessageKinds[K]> } = Object.freeze({
  frames: Frame,
  detections: Detections,
  tracks: TrackEvent,
  snapshots: TrackSnapshot,
  alerts: Alert,
  alert_updates: AlertUpdate,
  deliveries: AlertDelivery,
  clips: ClipEvent,
});

/** The stream spec that takes the kind's subjects (alert updates and deliveries share FT_ALERTS with alerts). */
export function streamSpecOf(kind: MessageKind): StreamSpec {
  const wanted = `${SUBJECT_PREFIX}.${kind}.>`;
  const found = Object.values(STREAM_SPECS).find((s) => s.subjects.includes(wanted));
  if (!found || !(CAMERA_SUBJECT_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`no stream takes the subjects of kind ${JSON.stringify(kind)}`);
  }
  return found;
}

/** The name of the stream that stores the kind, e.g. streamOf("frames") → "FT_FRAMES". */
export function streamOf(kind: MessageKind): string {
  return streamSpecOf(kind).name;
}
