import {
  type ClipStorage,
  type ClipStorageConfig,
  LocalClipStorage,
  type PruneResult,
  pruneLocal,
} from "@facetracker/clips";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { Logger } from "@facetracker/service-kit";

const DAY_MS = 24 * 3600 * 1000;
const GIB = 1024 ** 3;
/** How often local retention runs. */
export const RETENTION_INTERVAL_MS = 3600 * 1000;

/** The settings openClipStorage takes, out of the configuration's `storage` section. */
export function clipStorageConfig(storage: FaceTrackerConfig["storage"]): ClipStorageConfig {
  return {
    endpoint: storage.endpoint,
    ...(storage.bucket ? { bucket: storage.bucket } : {}),
    ...(storage.access_key ? { access_key: storage.access_key } : {}),
    ...(storage.secret_key ? { secret_key: storage.secret_key } : {}),
    region: storage.region,
    ...(storage.public_endpoint ? { public_endpoint: storage.public_endpoint } : {}),
    url_expiration_s: storage.url_expiration_s,
  };
}

/** pruneLocal's limits from retention_days and max_total_gb (0 = no limit); undefined when both are 0. */
export function retentionLimits(
  storage: FaceTrackerConfig["storage"],
): { maxAgeMs?: number; maxTotalBytes?: number } | undefined {
  const limits: { maxAgeMs?: number; maxTotalBytes?: number } = {};
  if (storage.retention_days > 0) limits.maxAgeMs = storage.retention_days * DAY_MS;
  if (storage.max_total_gb > 0) limits.maxTotalBytes = Math.floor(storage.max_total_gb * GIB);
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/**
 * For a local clip directory: prunes now and every hour (oldest clips first, a clip's files together).
 * Nothing for S3 (bucket lifecycle rules do that). Returns a function that stops the schedule.
 */
export function scheduleLocalRetention(
  storage: ClipStorage,
  config: FaceTrackerConfig["storage"],
  logger: Logger,
  intervalMs = RETENTION_INTERVAL_MS,
): { stop(): void; ran: Promise<PruneResult | undefined> } {
  const limits = retentionLimits(config);
  if (!(storage instanceof LocalClipStorage) || limits === undefined) {
    return { stop() {}, ran: Promise.resolve(undefined) };
  }
  const run = async (): Promise<PruneResult | undefined> => {
    try {
      const result = await pruneLocal({ storage, ...limits });
      if (result.removed.length > 0) {
        logger.info("old clips removed", {
          clips: result.removed.length,
          bytes: result.removedBytes,
          keptClips: result.keptClips,
          keptBytes: result.keptBytes,
        });
      }
      return result;
    } catch (error) {
      logger.error("clip retention failed", { storage: storage.describe(), error });
      return undefined;
    }
  };
  const ran = run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), ran };
}
