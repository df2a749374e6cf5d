import type { TypedBus } from "@facetracker/bus";
import {
  abortableSleep,
  type BackoffOptions,
  backoffDelayMs,
  MarkerLog,
  snakeCaseKeys,
} from "@facetracker/infra";
import { AlertDelivery } from "@facetracker/proto";
import type { Logger } from "@facetracker/service-kit";

/** A record as the file keeps it. */
interface KeptRecord {
  delivery: unknown;
  published: boolean;
}

/** Delays between publish attempts of a record: 1 s doubling to 30 s. */
const RETRY: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2 };

/** The de-duplication ID of an alert's notification record. */
export const notificationRecordId = (alertId: string) => `${alertId}-notification`;

/**
 * The notification records (AlertDelivery on ft.deliveries.<camera>), one per alert: a record is written
 * to a local file before it is published and marked published after. A publish that fails (the bus is
 * down) is retried, never the notification; a record left unpublished by a stop or a crash is published at
 * the next start (publishLeftovers); an alert redelivered after its record went out finds it here and
 * publishes nothing (the stream's de-duplication by ID covers only a 2-minute window).
 */
export class DeliveryRecords {
  readonly #log: MarkerLog<KeptRecord>;
  readonly #bus: TypedBus;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  readonly #publishing = new Map<string, Promise<void>>();

  private constructor(log: MarkerLog<KeptRecord>, bus: TypedBus, logger: Logger) {
    this.#log = log;
    this.#bus = bus;
    this.#logger = logger;
  }

  /** Opens the file of records (`path`, created with its directory). */
  static async open(options: {
    path: string;
    /** Records older than this are forgotten, ms (the alerts' stream max age). */
    maxAgeMs: number;
    bus: TypedBus;
    logger: Logger;
  }): Promise<DeliveryRecords> {
    const log = await MarkerLog.open<KeptRecord>(options.path, { maxAgeMs: options.maxAgeMs });
    return new DeliveryRecords(log, options.bus, options.logger);
  }

  /** The record kept under `key` (an alert's), if one was made: published, or still to be. */
  get(key: string): { delivery: AlertDelivery; published: boolean } | undefined {
    const kept = this.#log.get(key);
    return (
      kept && {
        delivery: AlertDelivery.fromJSON(
          // Written with the .proto's snake_case names; a build before that wrote camelCase: read the same.
          snakeCaseKeys(kept.delivery),
        ),
        published: kept.published,
      }
    );
  }

  /** Records made but not published yet. */
  get unpublished(): number {
    return this.#log.entries().filter(([, r]) => !r.published).length;
  }

  /**
   * Keeps the record under `key` (unless one is kept there already: that one is published instead), then
   * publishes it, retrying with backoff until the bus takes it or stopRetrying() is called (it is then
   * left for the next start). Rejects only when the record cannot be written to the file.
   */
  async publish(key: string, delivery: AlertDelivery): Promise<void> {
    const kept = this.get(key);
    if (kept?.published) return;
    if (!kept) await this.#log.set([[key, { delivery: AlertDelivery.toJSON(delivery), published: false }]]);
    await (this.#publishing.get(key) ?? this.#start(key));
  }

  /** Publishes the records a stop or crash left unpublished (retried like publish; never rejects). */
  async publishLeftovers(): Promise<void> {
    const left = this.#log.entries().filter(([, r]) => !r.published);
    if (left.length === 0) return;
    this.#logger.info("publishing notification records left by an earlier run", { records: left.length });
    await Promise.allSettled(left.map(([key]) => this.#publishing.get(key) ?? this.#start(key)));
  }

  #start(key: string): Promise<void> {
    const running = this.#publishKept(key).finally(() => this.#publishing.delete(key));
    this.#publishing.set(key, running);
    return running;
  }

  async #publishKept(key: string): Promise<void> {
    const kept = this.get(key);
    if (!kept || kept.published) return;
    const signal = this.#stopping.signal;
    const alertId = kept.delivery.alertId;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#bus.publish("deliveries", kept.delivery, { msgId: notificationRecordId(alertId) });
      } catch (error) {
        if (signal.aborted) return; // stopping: the record waits in the file for the next start
        const retryInMs = backoffDelayMs(attempt, RETRY);
        if (attempt === 1 || attempt % 10 === 0) {
          this.#logger.warn(
            "notification record not published yet: retrying (the notification is not sent again)",
            {
              alert: alertId,
              camera: kept.delivery.camera,
              attempt,
              retryInMs,
              error: error instanceof Error ? error.message : String(error),
            },
          );
        }
        await abortableSleep(retryInMs, signal);
        continue;
      }
      await this.#log
        .set([[key, { delivery: AlertDelivery.toJSON(kept.delivery), published: true }]])
        .catch((error: unknown) => {
          // Published all the same; the next start publishes it again, under the same de-duplication ID.
          this.#logger.warn("cannot note a notification record as published", { alert: alertId, error });
        });
      if (attempt > 1) this.#logger.info("notification record published", { alert: alertId, attempt });
      return;
    }
  }

  /** Publishes in progress make one more attempt at most; what is unpublished stays for the next start. */
  stopRetrying(): void {
    this.#stopping.abort();
  }

  /** Stops the retries, waits for the publishes in progress, then closes the file. */
  async close(): Promise<void> {
    this.stopRetrying();
    await Promise.allSettled([...this.#publishing.values()]);
    await this.#log.close();
  }
}
