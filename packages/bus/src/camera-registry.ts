/**
 * The camera registry: the ft_cameras key-value bucket (file storage), one CameraConfig per camera
 * (key = camera ID). The API writes it; ingest watches it.
 */

import { CameraConfig } from "@facetracker/proto";
import { type JetStreamClient, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { liveKeys, managerOf } from "./kv-keys.ts";
import { raiseBucketReplicas, stateReplicas } from "./replicas.ts";
import { validateCameraId } from "./subjects.ts";

export const CAMERA_BUCKET = "ft_cameras";

export interface CameraRegistryOptions {
  /** Copies kept in a cluster (default: one per server of the cluster, at most 3; see replicas.ts). */
  replicas?: number;
  /** Earlier values kept per camera (default 5). */
  history?: number;
}

/** A change of the registry: the new configuration, or undefined when the camera was removed. */
export interface CameraChange {
  id: string;
  config: CameraConfig | undefined;
}

export interface CameraRegistry {
  readonly kv: KV;
  /** Stores a camera (replacing the one with the same ID); returns the revision. */
  put(config: CameraConfig): Promise<number>;
  get(id: string): Promise<CameraConfig | undefined>;
  /** All cameras, ordered by ID. */
  list(): Promise<CameraConfig[]>;
  /** Removes a camera; false when there was none. */
  remove(id: string): Promise<boolean>;
  /**
   * Current cameras first, then every change as it happens, until stop() is called.
   */
  watch(): Promise<AsyncIterable<CameraChange> & { stop(): void }>;
}

/** Opens the ft_cameras bucket, creating it when missing. */
export async function openCameraRegistry(
  connection: NatsConnection | JetStreamClient,
  options: CameraRegistryOptions = {},
): Promise<CameraRegistry> {
  const replicas = options.replicas ?? stateReplicas(connection);
  const kv = await new Kvm(connection).create(CAMERA_BUCKET, {
    storage: StorageType.File,
    history: options.history ?? 5,
    replicas,
    description: "FaceTracker cameras (CameraConfig by camera id)",
  });
  await raiseBucketReplicas(connection, CAMERA_BUCKET, replicas);

  async function get(id: string): Promise<CameraConfig | undefined> {
    const entry = await kv.get(validateCameraId(id));
    if (entry?.operation !== "PUT") return undefined;
    return CameraConfig.decode(entry.value);
  }

  return {
    kv,
    async put(config) {
      // The status is ingest's report (ft_camera_status), never part of the configuration.
      const { status: _reported, ...stored } = config;
      return kv.put(validateCameraId(config.id), CameraConfig.encode(stored).finish());
    },
    get,
    async list() {
      // Not kv.keys(): it can wait for ever (see kv-keys.ts).
      const ids = await liveKeys(await managerOf(connection), kv, CAMERA_BUCKET);
      const configs = await Promise.all(ids.map(get));
      return configs.filter((c): c is CameraConfig => c !== undefined);
    },
    async remove(id) {
      const existed = (await get(id)) !== undefined;
      if (existed) await kv.delete(id);
      return existed;
    },
    async watch() {
      const entries = await kv.watch();
      const changes = (async function* () {
        for await (const entry of entries) {
          yield {
            id: entry.key,
            config: entry.operation === "PUT" ? CameraConfig.decode(entry.value) : undefined,
          };
        }
      })();
      return Object.assign(changes, { stop: () => entries.stop() });
    },
  };
}
