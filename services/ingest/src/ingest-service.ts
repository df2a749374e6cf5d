import { openCameraRegistry, type TypedBus } from "@facetracker/bus";
import { isLiveSource, parseVideoSource, type VideoFrame, VideoSource } from "@facetracker/media";
import { DropOldestQueue } from "@facetracker/pipeline";
import { FrameEncoding } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";

import { cameraFromProto, cameraToProto, type IngestCamera } from "./camera-config.ts";

/**
 * How far detection may fall behind before ingest drops frames at the source: frames not yet delivered to
 * the detect consumer, per camera. Two frames each keeps latency to a few frame intervals.
 */
const BACKLOG_FRAMES_PER_CAMERA = 3;
/**
 * How often the backlog is read. Frames of several cameras arrive in bursts: a coarse poll keeps a burst's
 * verdict ("lagging") for too long and drops frames detection would have handled (measured: 82 frames
 * dropped in 15 s with 4 cameras at 500 ms, see docs/benchmarks.md).
 */
const BACKLOG_POLL_MS = 100;

/** Watches the detect consumer's backlog of frames (polled every BACKLOG_POLL_MS). */
class DetectBacklog {
  #pending = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #cameras: () => number;

  constructor(bus: TypedBus, cameras: () => number) {
    this.#cameras = cameras;
    this.#timer = setInterval(() => {
      bus.backlog("frames", "detect").then(
        ({ pending }) => {
          this.#pending = pending;
        },
        () => {
          this.#pending = 0; // no detect consumer yet: nothing to measure
        },
      );
    }, BACKLOG_POLL_MS);
    this.#timer.unref();
  }

  lagging(): boolean {
    return this.#pending > Math.max(4, BACKLOG_FRAMES_PER_CAMERA * this.#cameras());
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Frames waiting to be published per camera; beyond this the oldest is dropped (capture never waits). */
const QUEUE_FRAMES = 4;

/** Whether the URL names a live source (a URL that does not parse is opened, and fails, as live). */
function isLive(url: string | number): boolean {
  try {
    return isLiveSource(parseVideoSource(url).kind);
  } catch {
    return true;
  }
}

interface CameraRun {
  id: string;
  state: "starting" | "streaming" | "ended" | "failed";
  published: number;
  stop(): Promise<void>;
}

/**
 * Ingest: reads every camera of the camera registry (NATS KV `ft_cameras`; the cameras of the
 * configuration file are written to it at start) and publishes its frames as JPEG on
 * ft.frames.<camera>, with a sequence number, pts and capture time. ffmpeg encodes the JPEG images
 * (VideoSource output "jpeg"): ingest never holds pixels, it passes the images on as they come. When
 * detection falls behind (its consumer's backlog beyond three frames a camera), frames are dropped at the
 * source and counted. Cameras added, changed or removed in the registry at run time (the API's
 * AddCamera/RemoveCamera) are started, restarted or stopped. Capture and publishing are decoupled by a small
 * drop-oldest queue: when the bus lags, the oldest frames are dropped and counted, so capture never blocks
 * and memory stays bounded. A file camera with `loop` plays at its own rate, forever.
 */
export async function startIngestService(deps: ServiceDeps): Promise<PipelineService> {
  const registry = await openCameraRegistry(deps.bus.js);
  // The configuration file is authoritative for its cameras: written (again) at every start.
  for (const camera of deps.config.cameras) await registry.put(cameraToProto(camera));
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
        runs.set(change.id, startCamera(cameraFromProto(change.config), bus, deps, backlog));
        deps.logger.info("camera started", { camera: change.id });
      } else if (before) deps.logger.info("camera stopped", { camera: change.id });
      started = true;
    }
  })();
  return {
    readiness: () =>
      Object.fromEntries(
        [...runs.values()].map((r) => [`camera ${r.id}`, r.state === "failed" ? "failed" : true]),
      ),
    finished: () => started && [...runs.values()].every((r) => r.state === "ended" || r.state === "failed"),
    stop: async () => {
      backlog.stop();
      watch.stop();
      await following.catch(() => {});
      await Promise.all([...runs.values()].map((r) => r.stop()));
    },
  };
}

function startCamera(
  camera: IngestCamera,
  bus: TypedBus,
  { logger, metrics }: ServiceDeps,
  backlog: DetectBacklog,
): CameraRun {
  const log = logger.child({ camera: camera.id });
  const queue = new DropOldestQueue<{
    frame: VideoFrame<"jpeg">;
    seq: number;
    pts: number;
    capturedAtMs: number;
  }>(QUEUE_FRAMES);
  const abort = new AbortController();
  const run: CameraRun = { id: camera.id, state: "starting", published: 0, stop: async () => {} };
  /** Frame sequence number: 1 for the first frame (frame.proto). */
  let seq = 0;
  /**
   * A file that is not looped is read as fast as the pipeline takes it (no real-time pacing): every frame
   * is processed, with backpressure instead of drops. Live sources and looped files (simulated cameras)
   * run in real time and drop when the pipeline lags.
   */
  const ownPace = !camera.loop && !isLive(camera.url);

  const capture = (async () => {
    let ptsOffset = 0;
    while (!abort.signal.aborted) {
      let source: VideoSource<"jpeg">;
      try {
        source = await VideoSource.open(camera.url, {
          output: "jpeg",
          ...(camera.fps ? { fps: camera.fps } : {}),
          ...(camera.resolution
            ? { resolution: { width: camera.resolution[0], height: camera.resolution[1] } }
            : {}),
          realtime: camera.loop,
          onEvent: (e) => log.info("source event", { ...e }),
        });
      } catch (error) {
        run.state = "failed";
        log.error("cannot open the camera", { error: error as Error });
        return;
      }
      run.state = "streaming";
      let lastPts = 0;
      try {
        for await (const f of source.frames()) {
          if (abort.signal.aborted) break;
          lastPts = f.pts;
          const item = { frame: f, seq: ++seq, pts: ptsOffset + f.pts, capturedAtMs: Date.now() };
          if (ownPace) {
            if (!(await queue.pushWhenRoom(item))) break;
          } else if (queue.push(item)) {
            metrics.messagesDropped.inc({ reason: "bus_lagging" });
          }
          metrics.queueDepth.set({ queue: `frames ${camera.id}` }, queue.size);
        }
      } catch (error) {
        log.error("camera failed", { error: error as Error });
        run.state = "failed";
        return;
      } finally {
        await source.close();
      }
      if (!camera.loop) break;
      ptsOffset += lastPts + 1 / (source.info.fps || 25);
    }
    if (run.state !== "failed") run.state = "ended";
    log.info("camera finished", { state: run.state });
    queue.close();
  })();

  const publish = (async () => {
    for (;;) {
      const item = await queue.take();
      if (!item) return;
      if (ownPace) {
        // A file read as fast as the pipeline goes: wait for detection rather than drop.
        while (backlog.lagging() && !abort.signal.aborted) await new Promise((r) => setTimeout(r, 50));
      } else if (backlog.lagging()) {
        // Detection is behind: drop at the source (counted) rather than let frames wait in the stream.
        metrics.messagesDropped.inc({ reason: "downstream_lagging" });
        continue;
      }
      try {
        const { data } = item.frame;
        await bus.publish(
          "frames",
          {
            camera: camera.id,
            seq: item.seq,
            pts: item.pts,
            capturedAtMs: item.capturedAtMs,
            width: item.frame.width,
            height: item.frame.height,
            encoding: FrameEncoding.JPEG,
            // A view, not a copy: each JPEG frame owns its buffer.
            data: Buffer.from(data.buffer, data.byteOffset, data.length),
          },
          { msgId: `${camera.id}-${item.capturedAtMs}-${item.seq}` },
        );
        run.published++;
      } catch (error) {
        metrics.messagesDropped.inc({ reason: "publish_failed" });
        log.warn("frame not published", { seq: item.seq, error: error as Error });
      }
    }
  })();

  run.stop = async () => {
    abort.abort();
    queue.close();
    await Promise.allSettled([capture, publish]);
  };
  return run;
}
