/** Which cameras are restreamed, and where: the configuration file's settings, then the registry's, then the site default. */

import type { FaceTrackerConfig } from "@facetracker/config";

/** What the camera registry says of a camera that matters here (its CameraConfig entry). */
export interface RegisteredCamera {
  enabled: boolean;
  /** "NONE", "LOCAL" or "WEB", any case; "" when not set. */
  liveMode: string;
}

export type LiveMode = FaceTrackerConfig["live_stream"]["mode"];

/** Where one camera's annotated stream goes. */
export interface LiveTarget {
  camera: string;
  /** WEB: published over RTSP; LOCAL: shown in an ffplay window. */
  mode: "WEB" | "LOCAL";
  /** The RTSP URL published to (WEB); empty for LOCAL. */
  url: string;
}

const MODES: readonly string[] = ["NONE", "LOCAL", "WEB"];

/**
 * A camera's live mode: its cameras[].live_stream.mode in the configuration file, else the registry's
 * live_mode (cameras added at run time), else live_stream.mode.
 */
export function liveModeOf(
  config: FaceTrackerConfig,
  camera: string,
  registered: RegisteredCamera | undefined,
): LiveMode {
  const fromFile = config.cameras.find((c) => c.id === camera)?.live_stream?.mode;
  if (fromFile) return fromFile;
  const fromRegistry = registered?.liveMode.toUpperCase();
  if (fromRegistry && MODES.includes(fromRegistry)) return fromRegistry as LiveMode;
  return config.live_stream.mode;
}

/** `<rtsp_server>/<path>`: the path is cameras[].live_stream.rtsp_url, by default the camera ID. */
export function rtspUrlOf(config: FaceTrackerConfig, camera: string): string {
  const path = config.cameras.find((c) => c.id === camera)?.live_stream?.rtsp_url ?? camera;
  return `${config.live_stream.rtsp_server.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/**
 * Where the camera's stream goes, or undefined when it is not restreamed (mode NONE, or a registry entry
 * that is disabled: ingest does not read it).
 */
export function liveTargetOf(
  config: FaceTrackerConfig,
  camera: string,
  registered: RegisteredCamera | undefined,
): LiveTarget | undefined {
  if (registered && !registered.enabled) return undefined;
  const mode = liveModeOf(config, camera, registered);
  if (mode === "NONE") return undefined;
  return { camera, mode, url: mode === "WEB" ? rtspUrlOf(config, camera) : "" };
}

/** Same target (a running restream is kept as it is). */
export function sameTarget(a: LiveTarget | undefined, b: LiveTarget | undefined): boolean {
  return a?.mode === b?.mode && a?.url === b?.url;
}
