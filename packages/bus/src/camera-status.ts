/**
 * The camera status board: the ft_camera_status key-value bucket (file storage, one value per camera,
 * key = camera ID), where ingest reports each camera's state (up, reconnecting since, last error,
 * reconnects). ListCameras and the web page read it; the alert service watches it for cameras that stay
 * down (camera_offline_alert_s). Records under `<camera>.offline_notified` (not camera IDs, which
 * have no dot) record an offline notification sent, so a restart does not send it again.
 */

import { CameraStatus } from "@facetracker/proto";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { raiseBucketReplicas, stateReplicas } from "./replicas.ts";
import { validateCameraId } from "./subjects.ts";

export const CAMERA_STATUS_BUCKET = "ft_camera_status";

/** The key of the marker of a camera's offline notification. */
const notifiedKey = (camera: string) => `${validateCameraId(camera)}.offline_notified`;

/** A change of the board: the camera's new status, or undefined when it was removed. */
export interface CameraStatusChange {
  id: string;
  status: CameraStatus | undefined;
}

/** An offline notification sent for a camera (alert service, camera_offline_alert_s). */
export interface OfflineNoticeRecord {
  /** since_ms of the outage it was for. */
  sinceMs: number;
  /** Whether the camera's return was told too. */
  backSent: boolean;
}

export interface CameraStatusBoard {
  readonly kv: KV;
  /** Stores a camera's status (replacing the last one). */
  put(status: CameraStatus): Promise<void>;
  get(id: string): Promise<CameraStatus | undefined>;
  /** Every camera's status, by camera ID. */
  list(): Promise<Map<string, CameraStatus>>;
  /** Removes a camera's status (a camera removed from the registry). */
  remove(id: string): Promise<void>;
  /** Current statuses first, then every change as it happens, until stop() is called. */
  watch(): Promise<AsyncIterable<CameraStatusChange> & { stop(): void }>;
  /** The last offline notification sent for the camera: the outage (its since_ms), whether its end was told. */
  offlineNotice(camera: string): Promise<OfflineNoticeRecord | undefined>;
  /** Records an offline notification sent (or its "back" one). */
  recordOfflineNotice(camera: string, notice: OfflineNoticeRecord): Promise<void>;
}

/** Opens the ft_camera_status bucket, creating it when missing. */
export async function openCameraStatusBoard(connection: NatsConnection): Promise<CameraStatusBoard> {
  const replicas = stateReplicas(connection);
  const kv = await new Kvm(connection).create(CAMERA_STATUS_BUCKET, {
    storage: StorageType.File,
    history: 1,
    replicas,
    description: "FaceTracker camera status reported by ingest (CameraStatus by camera id)",
  });
  await raiseBucketReplicas(connection, CAMERA_STATUS_BUCKET, replicas);
  const jsm = await jetstreamManager(connection);
  const isCamera = (key: string) => !key.includes(".");

  async function get(id: string): Promise<CameraStatus | undefined> {
    const entry = await kv.get(validateCameraId(id));
    return entry?.operation === "PUT" ? CameraStatus.decode(entry.value) : undefined;
  }

  return {
    kv,
    async put(status) {
      await kv.put(validateCameraId(status.id), CameraStatus.encode(status).finish());
    },
    get,
    async list() {
      // The keys from the bucket's stream (one request with a timeout): kv.keys() can wait for ever on a
      // bucket written while it lists (it is, every few seconds).
      const prefix = `$KV.${CAMERA_STATUS_BUCKET}.`;
      const info = await jsm.streams.info(`KV_${CAMERA_STATUS_BUCKET}`, { subjects_filter: `${prefix}>` });
      const ids = Object.keys(info.state.subjects ?? {})
        .map((subject) => subject.slice(prefix.length))
        .filter(isCamera)
        .sort();
      const statuses = new Map<string, CameraStatus>();
      for (const id of ids) {
        const status = await get(id);
        if (status) statuses.set(id, status);
      }
      return statuses;
    },
    async remove(id) {
      await kv.delete(validateCameraId(id));
    },
    async watch() {
      const entries = await kv.watch();
      const changes = (async function* () {
        for await (const entry of entries) {
          if (!isCamera(entry.key)) continue;
          yield {
            id: entry.key,
            status: entry.operation === "PUT" ? CameraStatus.decode(entry.value) : undefined,
          };
        }
      })();
      return Object.assign(changes, { stop: () => entries.stop() });
    },
    async offlineNotice(camera) {
      const entry = await kv.get(notifiedKey(camera));
      if (entry?.operation !== "PUT") return undefined;
      try {
        const { sinceMs, backSent } = entry.json<Partial<OfflineNoticeRecord>>();
        return typeof sinceMs === "number" ? { sinceMs, backSent: backSent === true } : undefined;
      } catch {
        return undefined; // not ours: as if none
      }
    },
    async recordOfflineNotice(camera, notice) {
      await kv.put(
        notifiedKey(camera),
        JSON.stringify({ sinceMs: notice.sinceMs, backSent: notice.backSent }),
      );
    },
  };
}
