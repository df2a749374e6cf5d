import { ensureStreams, publishMessage, subject } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { VideoSource } from "@facetracker/media";
import { DropOldestQueue, encodeFrameJpeg } from "@facetracker/pipeline";
import { Frame, FrameEncoding } from "@facetracker/proto";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import type { RgbImage } from "@facetracker/vision";

type CameraConfig = FaceTrackerConfig["cameras"][number];

/** Frames waiting to be published per camera; beyond this the oldest is dropped (capture never waits). */
const QUEUE_FRAMES = 4;

interface CameraRun {
  id: string;
  state: "starting" | "streaming" | "ended" | "failed";
  published: number;
  stop(): Promise<void>;
}

/**
 * Ingest: reads every configured camera (an ffmpeg VideoSource) and publishes its frames as JPEG on
 * ft.frames.<camera>, with a sequence number, pts and capture time. Capture and publishing are decoupled
 * by a small drop-oldest queue: when the bus lags, the oldest frames are dropped and counted, so capture
 * never blocks and memory stays bounded. A file camera with `loop` plays at its own rate, forever.
 */
export async function startIngestService(deps: ServiceDeps): Promise<PipelineService> {
  const runs = deps.config.cameras.map((camera) => startCamera(camera, deps));
  return {
    readiness: () =>
      Object.fromEntries(runs.map((r) => [`camera ${r.id}`, r.state === "failed" ? "failed" : true])),
    finished: () => runs.every((r) => r.state === "ended" || r.state === "failed"),
    stop: async () => {
      await Promise.all(runs.map((r) => r.stop()));
    },
  };
}

function startCamera(camera: CameraConfig, { bus, logger, metrics }: ServiceDeps): CameraRun {
  const log = logger.child({ camera: camera.id });
  const queue = new DropOldestQueue<{ frame: RgbImage; seq: number; pts: number; capturedAtMs: number }>(
    QUEUE_FRAMES,
  );
  const abort = new AbortController();
  const run: CameraRun = { id: camera.id, state: "starting", published: 0, stop: async () => {} };
  let seq = 0;

  const capture = (async () => {
    let ptsOffset = 0;
    while (!abort.signal.aborted) {
      let source: VideoSource;
      try {
        source = await VideoSource.open(camera.url, {
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
          if (queue.push({ frame: f, seq: seq++, pts: ptsOffset + f.pts, capturedAtMs: Date.now() })) {
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
      try {
        const data = await encodeFrameJpeg(item.frame);
        await publishMessage(
          bus.js,
          subject("frames", camera.id),
          Frame,
          {
            camera: camera.id,
            seq: item.seq,
            pts: item.pts,
            capturedAtMs: item.capturedAtMs,
            width: item.frame.width,
            height: item.frame.height,
            encoding: FrameEncoding.JPEG,
            data: Buffer.from(data),
          },
          {
            msgId: `${camera.id}-${item.capturedAtMs}-${item.seq}`,
            ensureStream: () => ensureStreams(bus.jsm),
          },
        );
        run.published++;
        metrics.messagesOut.inc({ subject_kind: "frames" });
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
