/**
 * Sanity checks of messages at the consumer, cheap enough to run on each one: a well-formed message that
 * no stage of this pipeline would ever produce (a capture time far in the future, a track ID beyond any
 * camera's counter, a name with control characters, a camera that is not its subject's) is refused
 * before its handler runs and dead-lettered with the reason (stage "check"). A forged message that got
 * onto the bus never becomes an alert, a notification or a clip.
 */

import type { Alert, AlertUpdate, Identity, TrackEvent } from "@facetracker/proto";
import type { MessageKind, MessageKinds } from "./message-kinds.ts";
import { parseCameraSubject } from "./subjects.ts";

/** How far ahead of this machine's clock a capture time may be (clocks of cameras and hosts drift). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Track IDs count from 1 per camera; one beyond 2^31 − 1 no camera reaches in practice. */
export const MAX_TRACK_ID = 2 ** 31 - 1;
/** Longest identity name accepted. */
const MAX_NAME_LENGTH = 256;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A message refused by its kind's sanity check: the reason is dead-lettered with it. */
export class InsaneMessageError extends Error {
  override name = "InsaneMessageError";
}

/** A check returns why the message is refused, or undefined when it is sane. */
export type MessageCheck<T> = (value: T, subject: string, nowMs: number) => string | undefined;

function capturedInFuture(timeMs: number, nowMs: number): string | undefined {
  if (timeMs > nowMs + MAX_FUTURE_SKEW_MS) {
    return `capture time ${new Date(timeMs).toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes ahead of this host's clock (${new Date(nowMs).toISOString()})`;
  }
  return undefined;
}

function absurdTrackId(trackId: number): string | undefined {
  return trackId > MAX_TRACK_ID ? `track ID ${trackId} is beyond ${MAX_TRACK_ID}` : undefined;
}

function badIdentity(identity: Identity | undefined): string | undefined {
  if (!identity) return undefined;
  if (CONTROL_CHARACTERS.test(identity.name))
    return `identity name ${JSON.stringify(identity.name)} has control characters`;
  if (identity.name.length > MAX_NAME_LENGTH)
    return `identity name is longer than ${MAX_NAME_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(identity.id))
    return `identity ID ${JSON.stringify(identity.id)} has control characters`;
  return undefined;
}

function wrongCamera(camera: string, subject: string): string | undefined {
  const parsed = parseCameraSubject(subject);
  return parsed && parsed.camera !== camera
    ? `camera ${JSON.stringify(camera)} published on ${subject} (another camera's subject)`
    : undefined;
}

const checkTrackEvent: MessageCheck<TrackEvent> = (e, subject, now) =>
  wrongCamera(e.camera, subject) ??
  absurdTrackId(e.trackId) ??
  capturedInFuture(e.timeMs, now) ??
  badIdentity(e.identity);

const checkAlert: MessageCheck<Alert> = (a, subject, now) =>
  wrongCamera(a.camera, subject) ??
  absurdTrackId(a.trackId) ??
  capturedInFuture(a.timeMs, now) ??
  badIdentity(a.identity) ??
  (CONTROL_CHARACTERS.test(a.id) ? `alert ID ${JSON.stringify(a.id)} has control characters` : undefined);

const checkAlertUpdate: MessageCheck<AlertUpdate> = (u, subject, now) =>
  wrongCamera(u.camera, subject) ??
  absurdTrackId(u.trackId) ??
  capturedInFuture(u.timeMs, now) ??
  badIdentity(u.identity) ??
  (CONTROL_CHARACTERS.test(u.alertId)
    ? `alert ID ${JSON.stringify(u.alertId)} has control characters`
    : undefined);

/**
 * The check of each kind that has one (the kinds that lead to what people see: track events, alerts and
 * their updates).
 */
export const MESSAGE_CHECKS: { readonly [K in MessageKind]?: MessageCheck<MessageKinds[K]> } = Object.freeze({
  tracks: checkTrackEvent,
  alerts: checkAlert,
  alert_updates: checkAlertUpdate,
});
