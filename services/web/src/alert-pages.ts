/**
 * The page's alerts beyond what the feed keeps in memory: read from the alerts stream (FT_ALERTS, 30 days)
 * page by page, newest first, with filters. A page is found by scanning the stream backwards in chunks
 * (a stream is read forwards: each chunk is read forwards and taken newest first) until the page is full,
 * the stream's start is reached, or MAX_SCAN alerts were read (the page then says where to go on: a
 * filter that matches little costs a bounded scan per request).
 */

import type { TypedBus } from "@facetracker/bus";
import type { Alert, AlertDelivery } from "@facetracker/proto";

/** What the page asks for. */
export interface AlertQuery {
  /** Alerts older than this stream sequence (the previous page's `next`); default: the newest. */
  before?: number;
  /** Alerts per page (1…200). */
  limit: number;
  camera?: string;
  /** A name (part of it, any case), "unknown", or a visitor ("#17"). */
  person?: string;
  /** Known faces only, or unknown ones only. */
  known?: "known" | "unknown";
  sinceMs?: number;
  untilMs?: number;
  /** Only the alerts nobody acknowledged. */
  unacknowledged?: boolean;
}

/** What the filters look at of an alert. */
export interface FilterableAlert {
  camera: string;
  name: string | null;
  visitor: { id: number } | null;
  timeMs: number;
  acknowledged: number | null;
}

/** Alerts read per chunk, and at most per request. */
const CHUNK = 250;
export const MAX_SCAN = 5000;
/** Messages after a page's newest alert searched for their deliveries (clip, notification). */
const DELIVERY_WINDOW = 2000;

/** Whether an alert passes the query's filters. */
export function matchesQuery(a: FilterableAlert, q: AlertQuery): boolean {
  if (q.camera && a.camera !== q.camera) return false;
  if (q.known === "known" && a.name === null) return false;
  if (q.known === "unknown" && a.name !== null) return false;
  if (q.sinceMs !== undefined && a.timeMs < q.sinceMs) return false;
  if (q.untilMs !== undefined && a.timeMs > q.untilMs) return false;
  if (q.unacknowledged && a.acknowledged !== null) return false;
  const person = q.person?.trim().toLowerCase();
  if (person) {
    const visitor = /^(?:#|visitor\s*#?)(\d+)$/.exec(person);
    if (visitor) return a.visitor?.id === Number(visitor[1]);
    if (person === "unknown") return a.name === null;
    if (!a.name?.toLowerCase().includes(person)) return false;
  }
  return true;
}

/** One alert of the stream with its sequence. */
export interface StoredAlert {
  alert: Alert;
  seq: number;
}

/**
 * The newest alerts before `query.before` that pass `accept` (the query's filters, judged on the view the
 * caller makes), at most `query.limit`; `next`: where the following page starts (null: the stream's start
 * was reached).
 */
export async function scanAlerts(
  bus: TypedBus,
  query: AlertQuery,
  accept: (stored: StoredAlert) => boolean,
): Promise<{ found: StoredAlert[]; next: number | null; scanned: number }> {
  const state = await bus.streamState("alerts");
  let end = Math.min(query.before !== undefined ? query.before - 1 : state.lastSeq, state.lastSeq);
  const found: StoredAlert[] = [];
  let scanned = 0;
  while (end >= state.firstSeq && end > 0 && found.length < query.limit && scanned < MAX_SCAN) {
    const start = Math.max(state.firstSeq, end - CHUNK + 1);
    const chunk: StoredAlert[] = [];
    await bus.replay("alerts", query.camera, {
      afterSeq: start - 1,
      upToSeq: end,
      handler: (alert, info) => {
        chunk.push({ alert, seq: info.streamSeq });
      },
    });
    scanned += end - start + 1;
    for (const stored of chunk.reverse()) {
      if (found.length >= query.limit) break;
      if (accept(stored)) found.push(stored);
    }
    if (found.length >= query.limit) {
      return { found, next: (found.at(-1) as StoredAlert).seq, scanned };
    }
    end = start - 1;
  }
  return { found, next: end >= state.firstSeq && end > 0 ? end + 1 : null, scanned };
}

/** The deliveries (clip, notification) of alerts stored from `fromSeq` on, by alert ID. */
export async function deliveriesAfter(
  bus: TypedBus,
  fromSeq: number,
  toSeq: number,
  alertIds: ReadonlySet<string>,
): Promise<Map<string, AlertDelivery[]>> {
  const out = new Map<string, AlertDelivery[]>();
  if (alertIds.size === 0) return out;
  const state = await bus.streamState("deliveries");
  await bus.replay("deliveries", undefined, {
    afterSeq: Math.max(fromSeq, state.firstSeq) - 1,
    upToSeq: Math.min(state.lastSeq, toSeq + DELIVERY_WINDOW),
    handler: (delivery) => {
      if (!alertIds.has(delivery.alertId)) return;
      const list = out.get(delivery.alertId) ?? [];
      list.push(delivery);
      out.set(delivery.alertId, list);
    },
  });
  return out;
}

/** The alert stored at `seq`, if it is the alert `alertId` (a face picture of an alert no longer in memory). */
export async function storedAlert(bus: TypedBus, seq: number, alertId: string): Promise<Alert | undefined> {
  const stored = await bus.messageAt("alerts", seq);
  return stored?.value.id === alertId ? stored.value : undefined;
}
