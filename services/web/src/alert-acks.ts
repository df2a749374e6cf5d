/**
 * Acknowledged alerts: an operator marks an alert as dealt with on the page. Kept in the KV bucket
 * ft_alert_acks (one key per alert ID, kept as long as the alerts stream keeps alerts), shared by every web
 * instance and kept across restarts; each instance follows the bucket, so an acknowledgement made on one
 * page shows on every page.
 */

import { openStateBucket, type StateBucket, type TypedBus } from "@facetracker/bus";
import { HttpError } from "./http-helpers.ts";

export const ALERT_ACKS_BUCKET = "ft_alert_acks";
/** As long as FT_ALERTS keeps an alert (30 days), with a day's margin. */
const ACK_TTL_MS = 31 * 86_400_000;
/** Alert IDs are `<camera>-<track>-<frame>`: KV keys take the same characters. */
const ALERT_ID = /^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,199}$/;

export interface AlertAck {
  /** When it was acknowledged, ms since the epoch. */
  atMs: number;
}

export class AlertAcks {
  readonly #bucket: StateBucket;
  readonly #acks = new Map<string, AlertAck>();
  #watch: { stop(): void } | undefined;

  private constructor(bucket: StateBucket) {
    this.#bucket = bucket;
  }

  /** Opens the bucket and follows it; `onChange` hears of every acknowledgement made or withdrawn. */
  static async open(
    bus: TypedBus,
    onChange: (alertId: string, ack: AlertAck | null) => void,
  ): Promise<AlertAcks> {
    const bucket = await openStateBucket(bus.connection.js, ALERT_ACKS_BUCKET, {
      description: "alerts acknowledged on the operators' page",
      ttlMs: ACK_TTL_MS,
    });
    const acks = new AlertAcks(bucket);
    acks.#watch = await bucket.watch((key, value) => {
      const atMs = (value as { atMs?: unknown } | undefined)?.atMs;
      const ack = typeof atMs === "number" ? { atMs } : null;
      if (ack) acks.#acks.set(key, ack);
      else acks.#acks.delete(key);
      onChange(key, ack);
    });
    return acks;
  }

  get(alertId: string): AlertAck | null {
    return this.#acks.get(alertId) ?? null;
  }

  /** Acknowledges an alert (or withdraws it); HttpError 400 for an ID that is no alert's. */
  async set(alertId: string, acknowledged: boolean, nowMs = Date.now()): Promise<AlertAck | null> {
    if (!ALERT_ID.test(alertId)) throw new HttpError(400, `not an alert ID: ${JSON.stringify(alertId)}`);
    if (!acknowledged) {
      await this.#bucket.delete(alertId);
      this.#acks.delete(alertId);
      return null;
    }
    const ack = { atMs: nowMs };
    await this.#bucket.put(alertId, ack);
    this.#acks.set(alertId, ack);
    return ack;
  }

  close(): void {
    this.#watch?.stop();
  }
}
