/**
 * The cameras the page offers: those of the configuration file and those of the camera registry (KV
 * ft_cameras; the file's wins for an ID in both, as for the alert service), with where their annotated
 * restream can be watched in a browser when the restream publishes it to MediaMTX (live mode WEB), and
 * what ingest last reported of each (the status board, KV ft_camera_status).
 */

import type { CameraRegistry, CameraStatusBoard } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { maskCredentials } from "@facetracker/media";

/** MediaMTX's default ports for browsers (deploy/mediamtx/mediamtx.yml). */
export const MEDIAMTX_WEBRTC_PORT = 8889;
export const MEDIAMTX_HLS_PORT = 8888;

export interface CameraView {
  id: string;
  /** The video source with any password hidden. */
  source: string;
  enabled: boolean;
  /** Alert mode (the site default when the camera has none). */
  alertMode: string;
  /** Live stream mode: NONE, LOCAL or WEB. */
  liveMode: string;
  /** MediaMTX players of the restream (live mode WEB only). */
  player: { webrtc: string; hls: string } | null;
  /** What ingest last reported of the camera; null when it has not (yet). */
  status: CameraStatusView | null;
}

/** A camera's status as the page shows it (see CameraStatus in proto/facetracker/v1/camera.proto). */
export interface CameraStatusView {
  /** connecting, up, reconnecting, ended or failed. */
  state: string;
  /** Since when, ms since the epoch ("reconnecting": since it went down). */
  sinceMs: number;
  /** The last error, passwords hidden ("" when none). */
  lastError: string;
  reconnects: number;
  /** When ingest wrote it, ms since the epoch. */
  updatedAtMs: number;
}

/**
 * The MediaMTX WebRTC and HLS pages of a restream path (the path the restream service publishes to:
 * live_stream.rtsp_server's own path, if any, then the camera's rtsp_url or ID). The host is the RTSP
 * server's, unless that one means "this machine" or a container network name (loopback, 0.0.0.0, a name
 * without a dot): then the host the browser used to reach this page, where MediaMTX publishes its ports.
 */
export function mediamtxPlayer(
  rtspServer: string,
  path: string,
  requestHost: string | undefined,
): { webrtc: string; hls: string } {
  let host = "";
  let prefix = "";
  try {
    const server = new URL(rtspServer);
    host = server.hostname;
    prefix = server.pathname; // the restream publishes to <rtsp_server>/<path>
  } catch {
    // an invalid rtsp_server is refused by the configuration; keep the page's host
  }
  const local = host === "" || /^(localhost|127\.|0\.0\.0\.0$|\[::1?\]$)/.test(host) || !host.includes(".");
  if (local && requestHost) {
    try {
      host = new URL(`http://${requestHost}`).hostname;
    } catch {
      // a malformed Host header: keep the configured host
    }
  }
  const encoded = `${prefix}/${path}`.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  return {
    webrtc: `http://${host}:${MEDIAMTX_WEBRTC_PORT}/${encoded}/`,
    hls: `http://${host}:${MEDIAMTX_HLS_PORT}/${encoded}/`,
  };
}

/** Every camera, ordered by ID. */
export async function listCameras(
  config: FaceTrackerConfig,
  registry: CameraRegistry,
  requestHost: string | undefined,
  statusBoard?: CameraStatusBoard,
): Promise<CameraView[]> {
  const byId = new Map<string, CameraView>();
  const statuses = (await statusBoard?.list()) ?? new Map();
  const status = (id: string): CameraStatusView | null => {
    const s = statuses.get(id);
    if (!s) return null;
    return {
      state: s.state,
      sinceMs: Number(s.sinceMs),
      lastError: s.lastError, // passwords masked by ingest
      reconnects: s.reconnects,
      updatedAtMs: Number(s.updatedAtMs),
    };
  };
  const player = (mode: string, path: string) =>
    mode === "WEB" ? mediamtxPlayer(config.live_stream.rtsp_server, path, requestHost) : null;
  for (const c of await registry.list()) {
    const liveMode = c.liveMode || config.live_stream.mode;
    byId.set(c.id, {
      id: c.id,
      source: maskCredentials(c.url),
      enabled: c.enabled,
      alertMode: c.alertMode || config.alerts.alert_mode,
      liveMode,
      player: player(liveMode, c.id),
      status: status(c.id),
    });
  }
  for (const c of config.cameras) {
    const liveMode = c.live_stream?.mode ?? config.live_stream.mode;
    byId.set(c.id, {
      id: c.id,
      source: maskCredentials(String(c.url)),
      enabled: true,
      alertMode: c.alert_mode ?? config.alerts.alert_mode,
      liveMode,
      player: player(liveMode, c.live_stream?.rtsp_url ?? c.id),
      status: status(c.id),
    });
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
