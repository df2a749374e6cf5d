/** Turns one alert, or a group of alerts of one camera, into a Notification through the templates. */

import type { Notification, NotificationAttachment, NotificationFormat } from "./notification.ts";
import {
  type CompiledTemplate,
  compileTemplate,
  DEFAULT_BODY_TEMPLATE,
  DEFAULT_GROUP_BODY_TEMPLATE,
  DEFAULT_GROUP_TITLE_TEMPLATE,
  DEFAULT_TITLE_TEMPLATE,
  type TemplateValues,
} from "./template.ts";

/** A face alert to notify about (what the alert service produces). */
export interface Alert {
  /** Unique alert id. */
  id: string;
  camera: string;
  trackId: number | string;
  /** Recognized person, or null for an unknown face. */
  identity: string | null;
  /** Similarity of the match (0..1). */
  similarity: number;
  /**
   * An unknown face: the identity it came closest to, below the threshold, and its similarity (shown as
   * "closest: obama 0.28").
   */
  closest?: { name: string; similarity: number } | null;
  /** When the face was seen, ms since the epoch. */
  timeMs: number;
  /** Link to the clip of the event, when one is recorded. */
  clipUrl?: string;
  /** Face thumbnail (JPEG), attached to the message. */
  thumbnailJpeg?: Uint8Array;
}

/** The four templates of the messages: single alerts and grouped alerts. */
export interface AlertTemplates {
  title: CompiledTemplate;
  body: CompiledTemplate;
  groupTitle: CompiledTemplate;
  groupBody: CompiledTemplate;
}

/** Template texts; the defaults are used for the ones left out. */
export interface AlertTemplateTexts {
  titleTemplate?: string;
  bodyTemplate?: string;
  groupTitleTemplate?: string;
  groupBodyTemplate?: string;
}

/** Compiles the templates (throws naming the template and the bad placeholder). */
export function compileAlertTemplates(texts: AlertTemplateTexts = {}): AlertTemplates {
  return {
    title: compileTemplate(texts.titleTemplate ?? DEFAULT_TITLE_TEMPLATE, "titleTemplate"),
    body: compileTemplate(texts.bodyTemplate ?? DEFAULT_BODY_TEMPLATE, "bodyTemplate"),
    groupTitle: compileTemplate(
      texts.groupTitleTemplate ?? DEFAULT_GROUP_TITLE_TEMPLATE,
      "groupTitleTemplate",
    ),
    groupBody: compileTemplate(texts.groupBodyTemplate ?? DEFAULT_GROUP_BODY_TEMPLATE, "groupBodyTemplate"),
  };
}

/** The name shown for an alert's identity ("unknown" for an unrecognized face). */
export function identityLabel(identity: string | null): string {
  return identity ?? "unknown";
}

/** `2026-01-31 12:00:05 UTC` (empty for an invalid time). */
export function formatAlertTime(timeMs: number): string {
  if (!Number.isFinite(timeMs)) return "";
  const iso = new Date(timeMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Identities in order of first appearance, repeated ones with their count: `alice (2), bob, unknown`. */
export function describeIdentities(alerts: readonly Alert[]): string {
  const counts = new Map<string, number>();
  for (const alert of alerts) {
    const label = identityLabel(alert.identity);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => (n > 1 ? `${label} (${n})` : label)).join(", ");
}

function formatSimilarity(similarity: number): string {
  return Number.isFinite(similarity) ? similarity.toFixed(2) : "";
}

/** `obama 0.28`: the identity an unknown face came closest to (empty for a known face, or without one). */
export function closestLabel(alert: Pick<Alert, "identity" | "closest">): string {
  const c = alert.closest;
  if (alert.identity !== null || !c) return "";
  const similarity = formatSimilarity(c.similarity);
  return similarity ? `${c.name} ${similarity}` : c.name;
}

/**
 * Placeholder values for one alert or a group: a group's time is the earliest, its similarity the
 * best, its tracks all listed, its url the first clip link, and `identity` equals `identities`.
 */
export function alertTemplateValues(alerts: readonly Alert[]): TemplateValues {
  const first = alerts[0];
  if (!first) throw new Error("alertTemplateValues needs at least one alert");
  if (alerts.length === 1) {
    const label = identityLabel(first.identity);
    return {
      time: formatAlertTime(first.timeMs),
      camera: first.camera,
      identity: label,
      identities: label,
      similarity: formatSimilarity(first.similarity),
      closest: closestLabel(first),
      track_id: String(first.trackId),
      url: first.clipUrl ?? "",
      count: "1",
    };
  }
  const identities = describeIdentities(alerts);
  const finite = alerts.map((a) => a.similarity).filter(Number.isFinite);
  const times = alerts.map((a) => a.timeMs).filter(Number.isFinite);
  return {
    time: times.length > 0 ? formatAlertTime(Math.min(...times)) : "",
    camera: first.camera,
    identity: identities,
    identities,
    similarity: finite.length > 0 ? formatSimilarity(Math.max(...finite)) : "",
    closest: alerts
      .map((a) => (closestLabel(a) ? `${closestLabel(a)} (track ${a.trackId})` : ""))
      .filter(Boolean)
      .join(", "),
    track_id: [...new Set(alerts.map((a) => String(a.trackId)))].join(", "),
    url: alerts.find((a) => a.clipUrl)?.clipUrl ?? "",
    count: String(alerts.length),
  };
}

/** Options of buildAlertNotification. */
export interface AlertMessageOptions {
  format?: NotificationFormat;
  /** At most this many thumbnails are attached (default 10). */
  maxAttachments?: number;
}

/** The message for `alerts` (one alert, or several of one camera): templates rendered, thumbnails attached. */
export function buildAlertNotification(
  alerts: readonly Alert[],
  templates: AlertTemplates,
  options: AlertMessageOptions = {},
): Notification {
  const values = alertTemplateValues(alerts);
  const grouped = alerts.length > 1;
  const attachments: NotificationAttachment[] = alerts
    .filter((alert) => alert.thumbnailJpeg && alert.thumbnailJpeg.length > 0)
    .slice(0, options.maxAttachments ?? 10)
    .map((alert) => ({
      name: `${identityLabel(alert.identity)}-${alert.camera}-track${alert.trackId}.jpg`,
      data: alert.thumbnailJpeg as Uint8Array,
      mimeType: "image/jpeg",
    }));
  return {
    title: (grouped ? templates.groupTitle : templates.title).render(values),
    body: (grouped ? templates.groupBody : templates.body).render(values),
    format: options.format ?? "markdown",
    attachments,
  };
}
