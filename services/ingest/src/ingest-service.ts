import { openCameraRegistry, openCameraStatusBoard } from "@facetracker/bus";
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
  const watch = await registry.watch();
  const following = (async () => {
    for await (const change of watch) {
      const before = runs.get(change.id);
      if (before) {
        runs.delete(change.id);
        await before.stop();
      }
      if (change.config?.enabled) {
        const camera = cameraFromProto(change.config);
        runs.set(
          change.id,
          startCameraRun(camera, {
            ...deps,
            bus,
            backlog,
            cameraMetrics,
            onStatus: (status) => statuses.report(change.id, status),
          }),
        );
        deps.logger.info("camera started", { camera: change.id });
      } else {
        statuses.forget(change.id);
        cameraMetrics.remove(change.id);
        if (before) deps.logger.info("camera stopped", { camera: change.id });
      }
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
      await Promise.all([...runs.values()].map((r) => r.stop()));
      await statuses.stop();
    },
  };
}
