/**
 * AlertNotifier: what the alert service calls for every alert. Alerts of one camera that arrive within
 * the group window go out as one message; the message goes to each destination (Apprise URL) on its own,
 * each retried with exponential backoff, and its outcome is a DeliveryResult (reported to onResult and
 * returned by notify) — a failed delivery never throws and never holds up other cameras. With SentMarks,
 * an alert already delivered to a destination is left out of what goes there (a redelivered alert, a
 * retried group), so each destination gets each alert once.
 */

import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type BackoffOptions, backoffDelayMs, checkBackoff } from "@facetracker/infra";
import {
  type Alert,
  type AlertTemplates,
  type AlertTemplateTexts,
  buildAlertNotification,
  compileAlertTemplates,
} from "./alert-message.ts";
import { checkAppriseUrls } from "./apprise-urls.ts";
import {
  type Notification,
  NotificationError,
  type NotificationFormat,
  type NotificationTransport,
} from "./notification.ts";
import { redactUrl } from "./url-redaction.ts";

/** Backoff between delivery attempts unless configured: 1 s, doubling, at most 30 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 1000, maxMs: 30_000, factor: 2 };

/**
 * Which alerts already went to which destination: checked before a message goes to a destination, written
 * right after it went (keep it durable, so that a restart or a redelivered alert sends nothing twice).
 */
export interface SentMarks {
  /** Whether alert `alertId` was already delivered to destination `destination` (a destinationId). */
  wasSent(alertId: string, destination: string): boolean | Promise<boolean>;
  /** Remembers that the alerts were delivered to `destination`; resolves once remembered durably. */
  markSent(alertIds: readonly string[], destination: string): Promise<void>;
}

/** The ID of a destination in SentMarks: a hash of its Apprise URL (no secret in it). */
export function destinationId(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 16);
}

/** The destination of a transport with its own recipients (apprise-api stored configuration). */
export const STORED_CONFIGURATION_DESTINATION = "stored-configuration";

/** Outcome of one message at one destination. */
export interface DestinationResult {
  /** The destination's ID (see destinationId). */
  id: string;
  /** The destination, secrets masked. */
  destination: string;
  /** "already_sent": every alert of the message had gone there before (nothing was sent). */
  status: "sent" | "already_sent" | "failed";
  /** Attempts made here (0 when nothing was tried). */
  attempts: number;
  /** Why it failed (last attempt's error), when status is "failed". */
  error?: string;
  /** Sent, but the sent-mark could not be written (a redelivery of the alert would send it again). */
  markError?: string;
}

/** Outcome of one message (one alert, or a group of alerts of one camera). */
export interface DeliveryResult {
  /** The alerts this message covered. */
  alertIds: string[];
  camera: string;
  /** "sent" when every destination has it (now or before), "failed" when one does not. */
  status: "sent" | "failed";
  /** Attempts made (1 + retries used, the most of any destination); 0 when nothing was tried. */
  attempts: number;
  /** Why it failed (last attempt's error, per failed destination), when status is "failed". */
  error?: string;
  /** When it was delivered, ms since the epoch, when status is "sent". */
  sentAtMs?: number;
  /** The outcome at each destination (empty when nothing was tried: notifier closed, invalid alert). */
  destinations: DestinationResult[];
}

/** Options of AlertNotifier. */
export interface AlertNotifierOptions extends AlertTemplateTexts {
  /** Apprise URLs every message goes to. */
  urls: string[];
  transport: NotificationTransport;
  /** Format of the body templates (default "markdown"). */
  format?: NotificationFormat;
  /** Limit of one attempt, ms (default 30 000). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Delays between attempts (default 1 s doubling up to 30 s). */
  backoff?: Partial<BackoffOptions>;
  /** Alerts of one camera within this window, counted from the first, make one message (default 2000; 0 = no grouping). */
  groupWindowMs?: number;
  /** A group is sent at once when it reaches this many alerts (default 50). */
  maxGroupSize?: number;
  /** Thumbnails attached to one message at most (default 10). */
  maxAttachments?: number;
  /** Called once per message with its outcome (exceptions it throws are reported as process warnings). */
  onResult?: (result: DeliveryResult) => void;
  /** Which alerts already went to which destination (default: none remembered). */
  sentMarks?: SentMarks;
}

/** Where a message goes: one Apprise URL, or the transport's own recipients. */
interface Destination {
  id: string;
  label: string;
  urls: string[];
}

interface PendingGroup {
  alerts: Alert[];
  waiters: ((result: DeliveryResult) => void)[];
  timer: NodeJS.Timeout;
}

/** Time a transport gets after its attempt was aborted before the attempt is given up. */
const ABORT_GRACE_MS = 5000;

function nonNegative(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new Error(
      `AlertNotifier: ${name} must be a ${integer ? "whole " : ""}number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

function invalidAlertReason(alert: Alert): string | undefined {
  if (alert === null || typeof alert !== "object") return "alert is not an object";
  if (typeof alert.id !== "string" || alert.id === "") return "alert.id must be a non-empty string";
  if (typeof alert.camera !== "string" || alert.camera === "")
    return "alert.camera must be a non-empty string";
  if (alert.identity !== null && typeof alert.identity !== "string")
    return "alert.identity must be a string or null";
  const c = alert.closest;
  if (c != null && (typeof c.name !== "string" || typeof c.similarity !== "number"))
    return "alert.closest must be null or a name and a similarity";
  const v = alert.visitor;
  if (v != null && !(Number.isInteger(v.id) && Number.isInteger(v.visits) && Number.isInteger(v.visitsToday)))
    return "alert.visitor must be null or whole numbers id, visits and visitsToday";
  if (alert.thumbnailJpeg !== undefined && !(alert.thumbnailJpeg instanceof Uint8Array)) {
    return "alert.thumbnailJpeg must be a Uint8Array";
  }
  return undefined;
}

/** Groups, formats and delivers face alerts as Apprise notifications. */
export class AlertNotifier {
  readonly #urls: string[];
  readonly #transport: NotificationTransport;
  readonly #templates: AlertTemplates;
  readonly #format: NotificationFormat;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoff: BackoffOptions;
  readonly #groupWindowMs: number;
  readonly #maxGroupSize: number;
  readonly #maxAttachments: number;
  readonly #onResult: ((result: DeliveryResult) => void) | undefined;
  readonly #sentMarks: SentMarks | undefined;
  readonly #destinations: Destination[];
  readonly #pending = new Map<string, PendingGroup>();
  readonly #inFlight = new Set<Promise<DeliveryResult>>();
  #closing: Promise<void> | undefined;

  /** Checks the options and compiles the templates; throws a clear error on a wrong configuration. */
  constructor(options: AlertNotifierOptions) {
    if (!Array.isArray(options.urls) || options.urls.some((url) => typeof url !== "string")) {
      throw new Error("AlertNotifier: urls must be an array of Apprise URL strings");
    }
    if (!options.transport || typeof options.transport.send !== "function") {
      throw new Error("AlertNotifier: transport must have a send(urls, notification, signal) method");
    }
    if (options.transport.needsUrls !== false) checkAppriseUrls(options.urls);
    this.#urls = [...options.urls];
    this.#transport = options.transport;
    this.#templates = compileAlertTemplates(options);
    this.#format = options.format ?? "markdown";
    if (this.#format !== "markdown" && this.#format !== "text") {
      throw new Error(`AlertNotifier: format must be "markdown" or "text", got ${String(this.#format)}`);
    }
    this.#timeoutMs = nonNegative("timeoutMs", options.timeoutMs, 30_000);
    if (this.#timeoutMs === 0) throw new Error("AlertNotifier: timeoutMs must be > 0");
    this.#retries = nonNegative("retries", options.retries, 3, true);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    checkBackoff(this.#backoff);
    this.#groupWindowMs = nonNegative("groupWindowMs", options.groupWindowMs, 2000);
    this.#maxGroupSize = Math.max(1, nonNegative("maxGroupSize", options.maxGroupSize, 50, true));
    this.#maxAttachments = nonNegative("maxAttachments", options.maxAttachments, 10, true);
    this.#onResult = options.onResult;
    this.#sentMarks = options.sentMarks;
    this.#destinations =
      options.transport.needsUrls === false
        ? [{ id: STORED_CONFIGURATION_DESTINATION, label: "the stored configuration", urls: this.#urls }]
        : this.#urls.map((url) => ({ id: destinationId(url), label: redactUrl(url), urls: [url] }));
  }

  /**
   * Start-up check of the URLs through the transport, sending nothing (`apprise --dry-run` for the
   * CLI transport; Apprise drops URLs it cannot load with only a log line, so call this at start).
   * Resolves at once for a transport without such a check.
   */
  async verifyUrls(signal?: AbortSignal): Promise<void> {
    await this.#transport.verifyUrls?.(this.#urls, signal);
  }

  /** Alerts waiting for their group window to close. */
  get pendingAlerts(): number {
    let n = 0;
    for (const group of this.#pending.values()) n += group.alerts.length;
    return n;
  }

  /** Messages being delivered (attempts and backoff waits). */
  get deliveriesInFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Queues `alert`; resolves with the outcome of the message that carries it (possibly shared with
   * the other alerts of its group). Never rejects: an invalid alert or a closed notifier gives a
   * "failed" result with attempts 0.
   */
  notify(alert: Alert): Promise<DeliveryResult> {
    const invalid = invalidAlertReason(alert);
    if (invalid || this.#closing) {
      const result: DeliveryResult = {
        alertIds: typeof alert?.id === "string" ? [alert.id] : [],
        camera: typeof alert?.camera === "string" ? alert.camera : "",
        status: "failed",
        attempts: 0,
        error: invalid ? `invalid alert: ${invalid}` : "notifier is closed",
        destinations: [],
      };
      this.#report(result);
      return Promise.resolve(result);
    }
    if (this.#groupWindowMs === 0) return this.#startDelivery([alert]);

    let group = this.#pending.get(alert.camera);
    if (!group) {
      const camera = alert.camera;
      group = { alerts: [], waiters: [], timer: setTimeout(() => this.#flush(camera), this.#groupWindowMs) };
      this.#pending.set(camera, group);
    }
    group.alerts.push(alert);
    const pendingGroup = group;
    const done = new Promise<DeliveryResult>((resolve) => pendingGroup.waiters.push(resolve));
    if (group.alerts.length >= this.#maxGroupSize) this.#flush(alert.camera);
    return done;
  }

  /**
   * Sends the groups still waiting, then waits for every delivery in flight (each bounded by its
   * attempts' timeouts and backoff). Alerts notified afterwards fail with "notifier is closed".
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const camera of [...this.#pending.keys()]) this.#flush(camera);
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    })();
    return this.#closing;
  }

  #flush(camera: string): void {
    const group = this.#pending.get(camera);
    if (!group) return;
    this.#pending.delete(camera);
    clearTimeout(group.timer);
    void this.#startDelivery(group.alerts).then((result) => {
      for (const resolve of group.waiters) resolve(result);
    });
  }

  #startDelivery(alerts: Alert[]): Promise<DeliveryResult> {
    const delivery = this.#deliver(alerts);
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery));
    return delivery;
  }

  async #deliver(alerts: Alert[]): Promise<DeliveryResult> {
    const destinations = await Promise.all(this.#destinations.map((d) => this.#deliverTo(d, alerts)));
    const failed = destinations.filter((d) => d.status === "failed");
    const several = destinations.length > 1;
    const result: DeliveryResult = {
      alertIds: alerts.map((a) => a.id),
      camera: alerts[0]?.camera ?? "",
      status: failed.length > 0 ? "failed" : "sent",
      attempts: Math.max(0, ...destinations.map((d) => d.attempts)),
      destinations,
    };
    if (failed.length > 0) {
      result.error = failed.map((d) => (several ? `${d.destination}: ${d.error}` : d.error)).join("; ");
    } else {
      result.sentAtMs = Date.now();
    }
    this.#report(result);
    return result;
  }

  /** The message of the alerts not yet at `destination`, sent there (retried); never rejects. */
  async #deliverTo(destination: Destination, alerts: Alert[]): Promise<DestinationResult> {
    const base = { id: destination.id, destination: destination.label };
    const due: Alert[] = [];
    for (const alert of alerts) {
      if (!(await this.#wasSent(alert.id, destination.id))) due.push(alert);
    }
    if (due.length === 0) return { ...base, status: "already_sent", attempts: 0 };
    let notification: Notification;
    try {
      notification = buildAlertNotification(due, this.#templates, {
        format: this.#format,
        maxAttachments: this.#maxAttachments,
      });
    } catch (error) {
      return { ...base, status: "failed", attempts: 0, error: `cannot build the message: ${String(error)}` };
    }
    // Marked as soon as the transport says the message reached the destination (before apprise exits),
    // else once the send settles: the narrower the gap, the fewer sends a crash can repeat.
    const marks = this.#sentMarks;
    let marking: Promise<void> | undefined;
    const mark = () => {
      marking ??= marks
        ? marks.markSent(
            due.map((a) => a.id),
            destination.id,
          )
        : Promise.resolve();
      marking.catch(() => {});
    };
    const sent = await this.#sendWithRetries(notification, destination.urls, mark);
    if (sent.status !== "sent" || !marks) return { ...base, ...sent };
    try {
      mark();
      await marking;
    } catch (error) {
      return { ...base, ...sent, markError: error instanceof Error ? error.message : String(error) };
    }
    return { ...base, ...sent };
  }

  /** Whether the marks say it went there; a mark that cannot be read counts as not sent (at least once). */
  async #wasSent(alertId: string, destination: string): Promise<boolean> {
    try {
      return (await this.#sentMarks?.wasSent(alertId, destination)) === true;
    } catch {
      return false;
    }
  }

  async #sendWithRetries(
    notification: Notification,
    urls: string[],
    onDelivered: () => void,
  ): Promise<Pick<DestinationResult, "status" | "attempts" | "error">> {
    let lastError = "";
    let attempts = 0;
    let delivered = false;
    const told = () => {
      delivered = true;
      onDelivered();
    };
    for (let attempt = 1; attempt <= this.#retries + 1; attempt++) {
      attempts = attempt;
      try {
        await this.#attempt(notification, urls, told);
        return { status: "sent", attempts };
      } catch (error) {
        // The transport said it reached every URL before failing (apprise exiting late): it was sent.
        if (delivered) return { status: "sent", attempts };
        lastError = error instanceof Error ? error.message : String(error);
        if (error instanceof NotificationError && !error.retryable) break;
      }
      if (attempt <= this.#retries) await sleep(backoffDelayMs(attempt, this.#backoff));
    }
    return { status: "failed", attempts, error: lastError };
  }

  /** One attempt, limited to timeoutMs (plus a grace for a transport slow to honour the abort). */
  async #attempt(notification: Notification, urls: string[], onDelivered: () => void): Promise<void> {
    const controller = new AbortController();
    const reason = `timed out after ${this.#timeoutMs} ms`;
    const givenUpError = new NotificationError(`${reason}; the transport did not stop when aborted`, {
      retryable: true,
    });
    let graceTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => controller.abort(new Error(reason)), this.#timeoutMs);
    const givenUp = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        "abort",
        () => {
          graceTimer = setTimeout(() => reject(givenUpError), ABORT_GRACE_MS);
        },
        { once: true },
      );
    });
    givenUp.catch(() => {});
    try {
      await Promise.race([this.#transport.send(urls, notification, controller.signal, onDelivered), givenUp]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error !== givenUpError && controller.signal.aborted && !message.includes(reason)) {
        throw new NotificationError(`${reason}: ${message}`, { retryable: true, cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
    }
  }

  #report(result: DeliveryResult): void {
    if (!this.#onResult) return;
    try {
      this.#onResult(result);
    } catch (error) {
      process.emitWarning(`AlertNotifier onResult callback threw: ${String(error)}`);
    }
  }
}
