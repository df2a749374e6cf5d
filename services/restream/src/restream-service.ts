import { CameraLeases, instanceId, openCameraRegistry } from "@facetracker/bus";
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
 *
 * Several instances split the cameras through leases (service "restream", see CameraLeases in
 * @facetracker/bus): an instance restreams only the cameras whose lease it holds, so each stream has one
 * publisher. The cameras split are those with a live target now (mode WEB or LOCAL, enabled), so that the
 * streams, not the cameras without one, are spread over the instances; a camera whose mode changes joins or
 * leaves the split. A dead instance's streams come back on another once its leases expire
 * (partitions.lease_ttl_s).
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
  /** The cameras whose lease this instance holds: only those are restreamed here. */
  const held = new Set<string>();
  let following = true;

  /** What the camera's restream should be, wherever it runs (undefined: none). */
  const targetOf = (id: string): LiveTarget | undefined =>
    cameras.has(id) ? liveTargetOf(config, id, cameras.get(id)) : undefined;

  // The registry follower and the leases both bring cameras in line: one change at a time.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = (work: () => Promise<void>): Promise<void> => {
    const next = tail.then(work);
    tail = next.catch(() => {});
    return next;
  };

  /** Brings one camera's restream in line with what is wanted of it here. */
  const apply = (id: string): Promise<void> => serially(() => applyNow(id));
  async function applyNow(id: string): Promise<void> {
    const wanted = held.has(id) ? targetOf(id) : undefined;
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

  const registry = await openCameraRegistry(deps.bus.js);
  for (const c of await registry.list()) cameras.set(c.id, c);
  const leases = await CameraLeases.start(deps.bus.js, {
    service: "restream",
    instance: deps.instance ?? instanceId("restream"),
    ttlMs: config.partitions.lease_ttl_s * 1000,
    logger,
    cameras: () => [...cameras.keys()].filter((id) => targetOf(id) !== undefined),
    onAcquire: async (camera) => {
      held.add(camera);
      await apply(camera);
    },
    onRelease: async (camera) => {
      held.delete(camera);
      await apply(camera);
    },
  });
  // A closed connection (the process going down) renews nothing more: the leases expire for the others.
  void deps.bus.nc.closed().then(() => leases.abandon());
  const watch = await registry.watch();
  const follow = (async () => {
    for await (const change of watch) {
      if (change.config) cameras.set(change.id, change.config);
      else cameras.delete(change.id);
      await apply(change.id);
      leases.changed();
    }
  })().catch((error: unknown) => {
    following = false;
    logger.error("stopped following the camera registry", { error: error as Error });
  });
  logger.info("restream following the cameras", {
    instance: leases.instance,
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
      await leases.stop(); // each held camera's restream stopped, its lease let go for the others
      await serially(async () => {
        await Promise.all([...runs.values()].map((run) => run.stop()));
        runs.clear();
      });
    },
  };
}
