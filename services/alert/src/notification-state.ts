import { mkdir } from "node:fs/promises";
import path from "node:path";
import { openStateBucket, streamSpecOf, type TypedBus } from "@facetracker/bus";
import { type FaceTrackerConfig, instancePath } from "@facetracker/config";
import { PidLock, PidLockError } from "@facetracker/infra";
import { DurableSentMarks } from "@facetracker/notify";
import type { Alert } from "@facetracker/proto";
import type { Logger } from "@facetracker/service-kit";
import { DeliveryRecords } from "./delivery-records.ts";

/** The KV bucket holding the shared copy of the sent-marks. */
export const SENT_MARKS_BUCKET = "ft_notifications_sent";
/** An alert can come back for as long as its stream keeps it: marks and records are kept that long. */
const STATE_MAX_AGE_MS = streamSpecOf("alerts").maxAgeMs;

/**
 * What identifies an alert in the sent-marks and the records: its ID with its time. Alert IDs are made
 * of camera, track and frame numbers, which start over when the pipeline's state is wiped while this
 * service's state is kept; the time does not (a redelivered alert carries the same).
 */
export const alertKey = (alert: Pick<Alert, "id" | "timeMs">) => `${alert.id}@${alert.timeMs}`;

/** What the alert service remembers of its notifications (see openNotificationState). */
export interface NotificationState {
  marks: DurableSentMarks;
  records: DeliveryRecords;
  /** Closes the files and releases the lock. */
  close(): Promise<void>;
}

/**
 * Opens the notification state in alerts.notification_state_path, under a lock (one alert service per
 * directory): the sent-marks (sent.log, copied to the KV bucket ft_notifications_sent when the bus
 * answers) and the delivery records (records.log). `{instance}` in the path is this instance's ID (see
 * instancePath). Rejects naming the directory when another process holds it or a file is damaged.
 */
export async function openNotificationState(
  config: FaceTrackerConfig,
  bus: TypedBus,
  logger: Logger,
  instance = "alert",
): Promise<NotificationState> {
  const dir = path.resolve(instancePath(config.alerts.notification_state_path, instance));
  await mkdir(dir, { recursive: true });
  let lock: PidLock;
  try {
    lock = await PidLock.acquire(path.join(dir, "lock"));
  } catch (error) {
    if (!(error instanceof PidLockError) || error.reason !== "held") throw error;
    throw new Error(
      `alerts.notification_state_path ${dir} is in use by another alert service (process ${error.owner}): ` +
        "give each alert service its own directory",
      { cause: error },
    );
  }
  try {
    const bucket = await openStateBucket(bus.connection.js, SENT_MARKS_BUCKET, {
      description: "which alert went to which notification destination (copy of the alert services' files)",
      ttlMs: STATE_MAX_AGE_MS,
    });
    const marks = await DurableSentMarks.open({
      path: path.join(dir, "sent.log"),
      maxAgeMs: STATE_MAX_AGE_MS,
      remote: {
        has: async (key) => (await bucket.get(key)) !== undefined,
        put: async (key) => {
          await bucket.put(key, { sentAtMs: Date.now() });
        },
      },
      onRemoteError: (error, key) =>
        logger.debug("sent-mark copy unreachable (the local file has it)", { key, error }),
    });
    const records = await DeliveryRecords.open({
      path: path.join(dir, "records.log"),
      maxAgeMs: STATE_MAX_AGE_MS,
      bus,
      logger,
    });
    return {
      marks,
      records,
      close: async () => {
        await records.close();
        await marks.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
