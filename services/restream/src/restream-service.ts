import { openCameraRegistry } from "@facetracker/bus";
import type { RtspTransport } from "@facetracker/media";
import { type LiveTarget, liveTargetOf, sameTarget } from "@facetracker/pipeline";
import type { CameraConfig } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { type CameraRestream, type RestreamSettings, startCameraRestream } from "./camera-restream.ts";
import { createRestreamMetrics } from "./restream-metrics.ts";

export type { CameraRestream, RestreamSettings } from "./camera-restream.ts";
export { createRestreamMetrics, type RestreamMetrics } from "./restream-metrics.ts";

/** Settings beyond the configuration file (tests, and RTSP servers that only take UDP). */
export interface RestreamOptions {
  /** How RTP goes to the RTSP server (default "tcp": through firewalls and NAT, no loss). */
  rtspTransport?: RtspTransport;
  /** How long a frame waits for its track snapshot before it is drawn without it, ms (default 300). */
  snapshotWaitMs?: number;
  /** Restart delay of an ended publisher (default 500 ms doubling to 10 s). */
  retry?: { initialMs?: number; maxMs?: number };
  /** A publisher that takes no frame for this long is killed and restarted, ms (default 5000). */
  writeTimeoutMs?: number;
  /** A publisher fed no frame for this long is stopped until frames come again, ms (default 10000). */
  idleStopMs?: number;
  /** Default "ffmpeg". */
  ffmpegPath?: string;
  /** Default "ffplay". */
  ffplayPath?: string;
}

/**
 * Restream: the annotated live stream of each camera whose live mode is WEB (published over RTSP to
 * `<live_stream.rtsp_server>/<rtsp_url>`, MediaMTX, which serves it to browsers over WebRTC and HLS) or
 * LOCAL (an ffplay window on this machine). Frames from ft.frames.<camera> are paired with their track
 * snapshots from ft.snapshots.<camera> and drawn (boxes, track IDs, names or "unknown", "identifying",
 * coloured by state), capped at live_stream.max_fps and always live: frames are dropped, never queued. A
 * publisher that ends (the RTSP server went away) is restarted with backoff until it works again. Cameras
 * of the configuration file and of the camera registry are followed: added, changed or removed at run
 * time, their restream starts, restarts or stops. With live_stream.user and pass (MediaMTX's publish user),
 * each ffmpeg publishes through a local relay that adds them: never on a command line or in a log.
 */
export async function startRestreamService(
  deps: ServiceDeps,
  options: RestreamOptions = {},
): Promise<PipelineService> {
  const { config, logger } = deps;
  const bus = serviceBus(deps);
  const settings: RestreamSettings = {
    maxFps: config.live_stream.max_fps,
    snapshotWaitMs: options.snapshotWaitMs ?? 300,
    rtspTransport: options.rtspTransport ?? "tcp",
    retry: { initialMs: options.retry?.initialMs ?? 500, maxMs: options.retry?.maxMs ?? 10_000 },
    writeTimeoutMs: options.writeTimeoutMs ?? 5000,
    idleStopMs: options.idleStopMs ?? 10_000,
    ffmpegPath: options.ffmpegPath ?? "ffmpeg",
    ffplayPath: options.ffplayPath ?? "ffplay",
    ...(config.live_stream.user !== undefined && config.live_stream.pass !== undefined
      ? { credentials: { user: config.live_stream.user, pass: config.live_stream.pass } }
      : {}),
  };
  const counters = createRestreamMetrics(deps.metrics);
  /** Known cameras: the registry's entry, or undefined for a camera of the file not (yet) in the registry. */
  const cameras = new Map<string, CameraConfig | undefined>(config.cameras.map((c) => [c.id, undefined]));
  const runs = new Map<string, CameraRestream>();
  const failed = new Map<string, string>();
  let following = true;

  /** Brings one camera's restream in line with what is wanted of it. */
  async function apply(id: string): Promise<void> {
    const wanted: LiveTarget | undefined = cameras.has(id)
      ? liveTargetOf(config, id, cameras.get(id))
      : undefined;
    const current = runs.get(id);
    if (current && sameTarget(current.target, wanted)) return;
    failed.delete(id);
    if (current) {
      runs.delete(id);
      await current.stop();
    }
    if (!wanted) return;
    try {
      runs.set(id, await startCameraRestream(wanted, settings, { bus, logger }, counters));
    } catch (error) {
      failed.set(id, error instanceof Error ? error.message : String(error));
      logger.error("cannot start the camera's restream", { camera: id, error: error as Error });
    }
  }

  for (const id of cameras.keys()) await apply(id);
  const registry = await openCameraRegistry(deps.bus.js);
  const watch = await registry.watch();
  const follow = (async () => {
    for await (const change of watch) {
      if (change.config) cameras.set(change.id, change.config);
      else cameras.delete(change.id);
      await apply(change.id);
    }
  })().catch((error: unknown) => {
    following = false;
    logger.error("stopped following the camera registry", { error: error as Error });
  });
  logger.info("restream following the cameras", {
    rtspServer: config.live_stream.rtsp_server,
    maxFps: settings.maxFps,
    // The user only: its password goes to the RTSP server through a local relay (rtsp-auth-relay.ts).
    publishUser: config.live_stream.user ?? "(none)",
  });

  return {
    readiness: () => ({
      "camera registry": following,
      ...Object.fromEntries([...runs].map(([id, run]) => [`camera ${id}`, run.state()])),
      ...Object.fromEntries([...failed].map(([id, why]) => [`camera ${id}`, `failed: ${why}`])),
    }),
    stop: async () => {
      watch.stop();
      await follow;
      await Promise.all([...runs.values()].map((run) => run.stop()));
      runs.clear();
    },
  };
}
