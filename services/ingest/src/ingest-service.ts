import { CameraLeases, instanceId, openCameraRegistry, openCameraStatusBoard } from "@facetracker/bus";
import { CameraConfig } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { cameraFromProto, cameraToProto } from "./camera-config.ts";
import { createCameraMetrics } from "./camera-metrics.ts";
import { type CameraRun, startCameraRun } from "./camera-run.ts";
import { DetectBacklog } from "./detect-backlog.ts";
import { StatusReporter } from "./status-reporter.ts";

/**
 * Ingest: reads every camera of the camera registry (NATS KV `ft_cameras`; the cameras of the
 * configuration file are written to it at start) and publishes its frames as JPEG on
 * ft.frames.<camera>, with a sequence number, pts and capture time (see camera-run.ts). ffmpeg encodes
 * the JPEG images: ingest never holds pixels. A camera that cannot be opened, drops, stalls or disappears
 * is retried for ever with capped backoff; its state (up, reconnecting since, last error, reconnects) goes
 * to the status board (KV `ft_camera_status`, read by ListCameras, the web page and the alert service),
 * the logs and the metrics (facetracker_camera_up{camera}, facetracker_camera_reconnects_total,
 * facetracker_frames_in_total: frames published). One bad
 * camera never makes ingest unready: /healthz says whether ingest works (bus connected, registry
 * followed), not whether every camera does. While the bus is down, each camera keeps its last
 * ingest.outage_buffer_s of frames and publishes them when it is back. Cameras added, changed or removed
 * in the registry at run time (the API's AddCamera/RemoveCamera) are started, restarted or stopped.
 *
 * Several ingest instances split the cameras (see CameraLeases in @facetracker/bus): each runs only the
 * cameras whose lease it holds, and takes over a dead instance's cameras when their leases expire.
 */
export async function startIngestService(deps: ServiceDeps): Promise<PipelineService> {
  const registry = await openCameraRegistry(deps.bus.js);
  // The configuration file is authoritative for its cameras: written (again) at every start.
  for (const camera of deps.config.cameras) await registry.put(cameraToProto(camera));
  const board = await openCameraStatusBoard(deps.bus.nc);
  const statuses = new StatusReporter(board, deps.logger);
  const cameraMetrics = createCameraMetrics(deps.metrics);
  const bus = serviceBus(deps);
  const runs = new Map<string, CameraRun>();
  const backlog = new DetectBacklog(bus, () => runs.size);
  let started = false;
  /** The registry's enabled cameras; this instance runs those whose lease it holds. */
  const enabled = new Map<string, CameraConfig>();
  for (const config of await registry.list()) if (config.enabled) enabled.set(config.id, config);

  // Starting, restarting and stopping runs take turns (lease changes and registry changes alike).
  let tail: Promise<unknown> = Promise.resolve();
  const serially = (work: () => Promise<void>): Promise<void> => {
    const next = tail.then(work);
    tail = next.catch(() => {});
    return next;
  };
  /** Each run's configuration, encoded: a registry value equal to it leaves the run alone. */
  const runningAs = new Map<string, string>();
  const encoded = (config: CameraConfig) =>
    Buffer.from(CameraConfig.encode(config).finish()).toString("base64");
  const stopRun = async (id: string) => {
    const before = runs.get(id);
    if (!before) return;
    runs.delete(id);
    runningAs.delete(id);
    await before.stop();
    deps.logger.info("camera stopped", { camera: id });
  };
  const startRun = (config: CameraConfig) => {
    const camera = cameraFromProto(config);
    runningAs.set(config.id, encoded(config));
    runs.set(
      config.id,
      startCameraRun(camera, {
        ...deps,
        bus,
        backlog,
        cameraMetrics,
        onStatus: (status) => statuses.report(config.id, status),
      }),
    );
    deps.logger.info("camera started", { camera: config.id });
  };
  const leases = await CameraLeases.start(deps.bus.js, {
    service: "ingest",
    instance: deps.instance ?? instanceId("ingest"),
    ttlMs: deps.config.partitions.lease_ttl_s * 1000,
    logger: deps.logger,
    cameras: () => enabled.keys(),
    onAcquire: (id) =>
      serially(async () => {
        const config = enabled.get(id);
        if (config && !runs.has(id)) startRun(config);
      }),
    onRelease: (id) =>
      serially(async () => {
        await stopRun(id);
        statuses.handOver(id);
        cameraMetrics.remove(id);
      }),
  });
  // A closed connection (the process going down) renews nothing more: the leases expire for the others.
  void deps.bus.nc.closed().then(() => leases.abandon());
  const watch = await registry.watch();
  const following = (async () => {
    for await (const change of watch) {
      if (change.config?.enabled) enabled.set(change.id, change.config);
      else enabled.delete(change.id);
      await serially(async () => {
        const owned = leases.holds(change.id);
        const config = enabled.get(change.id);
        // A change of an owned camera restarts it (a value equal to what is running leaves it alone).
        if (owned && config && runningAs.get(change.id) === encoded(config)) return;
        await stopRun(change.id);
        if (owned && config) startRun(config);
        if (!config) {
          statuses.forget(change.id);
          cameraMetrics.remove(change.id);
        }
      });
      leases.changed();
      started = true;
    }
  })();
  // A lost connection starts every camera's outage at once (a publish in flight may take seconds to fail).
  void (async () => {
    for await (const s of deps.bus.nc.status()) {
      if (s.type === "disconnect") for (const run of runs.values()) run.busDown();
    }
  })();
  const ended = (r: CameraRun) => r.state() === "ended" || r.state() === "failed";
  return {
    // Ready while ingest works: a camera's trouble is in its status, not in the service's readiness.
    readiness: () => ({ "camera registry": true }),
    finished: () => started && [...runs.values()].every(ended),
    stop: async () => {
      backlog.stop();
      watch.stop();
      await following.catch(() => {});
      await leases.stop();
      await Promise.all([...runs.values()].map((r) => r.stop()));
      await statuses.stop();
    },
  };
}
