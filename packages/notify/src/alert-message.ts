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
  /**
   * An unknown face: the face memory's visitor it is (the same unknown person across tracks, cameras and
   * days), with its visits (this one included) and today's ("unknown visitor #17, third visit today").
   */
  visitor?: { id: number; visits: number; visitsToday: number } | null;
  /** When the face was seen, ms since the epoch. */
  timeMs: number;
  /**
   * The alert's link (`${url}`): the page's alert view (web.public_url), else the clip's link. Default:
   * clipUrl. Only http(s) links go out (a file:// link opens nowhere but here).
   */
  link?: string;
  /** Link to the clip of the event, when one is recorded (`${clip_url}`; http(s) only, as `link`). */
  clipUrl?: string;
  /**
   * The stored clip's key (`${clip_key}`), shown when the message carries no link to the clip (local
   * clips without web.public_url: "Clip: door/….mp4 (open it on the FaceTracker page)").
   */
  clipKey?: string;
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

const ORDINALS = [
  "first",
  "second",
  "third",
  "fourth",
  "fifth",
  "sixth",
  "seventh",
  "eighth",
  "ninth",
  "tenth",
];

/** `third`, `11th`, `22nd`: the English ordinal of n ≥ 1. */
export function ordinal(n: number): string {
  const word = ORDINALS[n - 1];
  if (word) return word;
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

/**
 * The name shown for an alert's identity: the name, or for an unrecognized face "unknown", "unknown
 * visitor #17, third visit today" when the face memory knows the visitor ("…, first visit" for a new one,
 * "…, first visit today (4th in all)" for a visitor of other days).
 */
export function identityLabel(identity: string | null, visitor?: Alert["visitor"]): string {
  if (identity !== null) return identity;
  if (!visitor || !(visitor.id > 0)) return "unknown";
  const today = Math.max(1, visitor.visitsToday);
  const all = Math.max(today, visitor.visits);
  if (all === 1) return `unknown visitor #${visitor.id}, first visit`;
  if (today === 1) return `unknown visitor #${visitor.id}, first visit today (${ordinal(all)} in all)`;
  return `unknown visitor #${visitor.id}, ${ordinal(today)} visit today`;
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
    const label = identityLabel(alert.identity, alert.visitor);
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

/** `url` when it is an http(s) link a recipient can open; undefined otherwise (file://, empty). */
export function remoteLink(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\/[^/]/i.test(url) ? url : undefined;
}

/** The link placeholders of one alert: url, clip_url, and clip_key when no link reaches the clip. */
function alertLinks(alert: Alert): { url: string; clip_url: string; clip_key: string } {
  const clipUrl = remoteLink(alert.clipUrl);
  const url = remoteLink(alert.link) ?? clipUrl;
  return { url: url ?? "", clip_url: clipUrl ?? "", clip_key: url || clipUrl ? "" : (alert.clipKey ?? "") };
}

/**
 * Placeholder values for one alert or a group: a group's time is the earliest, its similarity the
 * best, its tracks all listed, its url the first link, and `identity` equals `identities`.
 */
export function alertTemplateValues(alerts: readonly Alert[]): TemplateValues {
  const first = alerts[0];
  if (!first) throw new Error("alertTemplateValues needs at least one alert");
  if (alerts.length === 1) {
    const label = identityLabel(first.identity, first.visitor);
    return {
      time: formatAlertTime(first.timeMs),
      camera: first.camera,
      identity: label,
      identities: label,
      similarity: formatSimilarity(first.similarity),
      closest: closestLabel(first),
      track_id: String(first.trackId),
      ...alertLinks(first),
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
    ...groupLinks(alerts),
    count: String(alerts.length),
  };
}

/** A group's links: the first alert's that has each; a clip key only when the group has no link at all. */
function groupLinks(alerts: readonly Alert[]): { url: string; clip_url: string; clip_key: string } {
  const each = alerts.map(alertLinks);
  const url = each.find((l) => l.url)?.url ?? "";
  const clipUrl = each.find((l) => l.clip_url)?.clip_url ?? "";
  return {
    url,
    clip_url: clipUrl,
    clip_key: url || clipUrl ? "" : (each.find((l) => l.clip_key)?.clip_key ?? ""),
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
      name: `${alert.identity ?? (alert.visitor?.id ? `visitor${alert.visitor.id}` : "unknown")}-${alert.camera}-track${alert.trackId}.jpg`,
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
