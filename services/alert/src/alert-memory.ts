import { type RecentFace, RecentFaces, recentFaceFromJson, recentFaceToJson } from "@facetracker/alerts";
import { openStateBucket, type StateBucket, type TypedBus } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { Logger } from "@facetracker/service-kit";

/** The KV bucket holding the site's recent faces (one value per track: `<camera>.<trackId>`). */
export const ALERT_MEMORY_BUCKET = "ft_alert_memory";
/**
 * The server removes values (and the markers of deleted ones) older than this: the longest cooldown the
 * configuration allows (a day), with a margin. The service forgets faces by the configured cooldowns.
 */
const BUCKET_TTL_MS = 2 * 86_400_000;

/** The site's memory of recent faces, kept in the bucket so that a restarted alert service still has it. */
export interface AlertMemory {
  readonly faces: RecentFaces;
  /** Remembers a face (after its outcome was published) and stores it, with the faces it made forget. */
  remember(face: RecentFace): Promise<void>;
  /**
   * Follows the faces the other alert instances store (see startAlertService): each face of a camera
   * `mine` says this instance does not judge is taken in, unless a later one of its track is known, until
   * stopped.
   */
  follow(mine: (camera: string) => boolean): Promise<{ stop(): void }>;
}

/**
 * Opens the memory: the faces stored in ft_alert_memory, those not seen within the cooldowns (the longest
 * of alerts.cooldown_s and alerts.unknown_cooldown_s) dropped. A stored value that cannot be read is
 * logged and dropped (the memory is a help, not a record: without it a person may alert once more).
 */
export async function openAlertMemory(
  config: FaceTrackerConfig,
  bus: TypedBus,
  logger: Logger,
  nowMs = Date.now(),
): Promise<AlertMemory> {
  const keepMs = Math.max(config.alerts.cooldown_s, config.alerts.unknown_cooldown_s) * 1000;
  const faces = new RecentFaces({ keepMs });
  const bucket = await openStateBucket(bus.connection.js, ALERT_MEMORY_BUCKET, {
    description: "the faces the alert service saw recently, for one alert per person across restarts",
    ttlMs: BUCKET_TTL_MS,
  });
  const loaded: RecentFace[] = [];
  for (const key of await bucket.keys()) {
    try {
      loaded.push(recentFaceFromJson(await bucket.get(key), `${ALERT_MEMORY_BUCKET}/${key}`));
    } catch (error) {
      logger.warn("a stored recent face cannot be read: dropped", { key, error });
      await bucket.delete(key);
    }
  }
  const gone: string[] = [];
  for (const face of loaded.sort((a, b) => a.lastSeenMs - b.lastSeenMs)) gone.push(...faces.remember(face));
  await forget(bucket, [...gone, ...faces.prune(nowMs)]);
  if (loaded.length > 0) logger.info("recent faces restored", { faces: faces.size, stored: loaded.length });
  return {
    faces,
    async remember(face) {
      const gone = faces.remember(face);
      await bucket.put(RecentFaces.key(face), recentFaceToJson(face));
      await forget(bucket, gone);
    },
    async follow(mine) {
      return bucket.watch((key, value) => {
        if (value === undefined) return; // forgotten: the cooldowns forget it here too
        let face: RecentFace;
        try {
          face = recentFaceFromJson(value, `${ALERT_MEMORY_BUCKET}/${key}`);
        } catch {
          return;
        }
        // This instance writes its own cameras' faces: what comes back of them is no news.
        if (mine(face.camera)) return;
        const known = faces.get(face.camera, face.trackId);
        if (!known || known.lastSeenMs <= face.lastSeenMs) faces.remember(face);
      });
    },
  };
}

async function forget(bucket: StateBucket, keys: readonly string[]): Promise<void> {
  for (const key of keys) await bucket.delete(key);
}
