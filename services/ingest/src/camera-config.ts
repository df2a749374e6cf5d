import type { FaceTrackerConfig } from "@facetracker/config";
import type { CameraConfig } from "@facetracker/proto";

/** A camera as ingest runs it. */
export type IngestCamera = FaceTrackerConfig["cameras"][number];

/** A camera of the configuration file as a registry entry. */
export function cameraToProto(c: IngestCamera): CameraConfig {
  return {
    id: c.id,
    url: String(c.url),
    ...(c.fps !== undefined ? { fps: c.fps } : {}),
    ...(c.resolution ? { width: c.resolution[0], height: c.resolution[1] } : {}),
    enabled: true,
    alertMode: c.alert_mode ?? "",
    liveMode: "",
    loop: c.loop,
  };
}

/** A registry entry as ingest runs it (a numeric url is a camera index). */
export function cameraFromProto(c: CameraConfig): IngestCamera {
  return {
    id: c.id,
    url: /^\d+$/.test(c.url) ? Number(c.url) : c.url,
    ...(c.fps !== undefined && c.fps > 0 ? { fps: c.fps } : {}),
    ...(c.width && c.height ? { resolution: [c.width, c.height] as [number, number] } : {}),
    loop: c.loop,
    ...(c.alertMode ? { alert_mode: c.alertMode as NonNullable<IngestCamera["alert_mode"]> } : {}),
  };
}
