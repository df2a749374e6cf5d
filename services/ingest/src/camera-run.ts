import type { TypedBus } from "@facetracker/bus";
import { abortableSleep, backoffDelayMs } from "@facetracker/infra";
import {
  CameraFeed,
  type CameraHealthSnapshot,
  type CameraState,
  isLiveSource,
  parseVideoSource,
  type VideoFrame,
} from "@facetracker/media";
import { CaptureBuffer } from "@facetracker/pipeline";
import { CameraStatus, FrameEncoding } from "@facetracker/proto";
import type { ServiceDeps } from "@facetracker/service-host";
import type { IngestCamera } from "./camera-config.ts";
import type { CameraMetrics } from "./camera-metrics.ts";
import type { DetectBacklog } from "./detect-backlog.ts";

/** Frames waiting to be published per camera normally; beyond this the oldest is dropped (capture never waits). */
const QUEUE_FRAMES = 4;
/** Memory a camera's outage buffer may hold at most, whatever ingest.outage_buffer_s says. */
export const OUTAGE_BUFFER_MAX_BYTES = 256 * 1024 * 1024;
/** Delays between attempts to publish while the bus is down: 250 ms doubling up to 2 s. */
const REPUBLISH_BACKOFF = { initialMs: 250, maxMs: 2000, factor: 2 };

/** Whether the URL names a live source (a URL that does not parse fails as a camera, not as a file). */
function isLive(url: string | number): boolean {
  try {
    return isLiveSource(parseVideoSource(url).kind);
  } catch {
    return true;
  }
}

interface CapturedFrame {
  frame: VideoFrame<"jpeg">;
  seq: number;
  pts: number;
  capturedAtMs: number;
  bytes: number;
}

/** One camera as ingest runs it. */
export interface CameraRun {
  readonly id: string;
  /** The camera's state (a camera whose URL cannot be parsed is "failed" from the start). */
  state(): CameraState;
  /** Frames published. */
  readonly published: number;
  /** The connection to the bus was lost: keep frames for the outage from now (not from a failed publish). */
  busDown(): void;
  stop(): Promise<void>;
}

export interface CameraRunDeps extends Pick<ServiceDeps, "config" | "logger" | "metrics"> {
  bus: TypedBus;
  backlog: DetectBacklog;
  cameraMetrics: CameraMetrics;
  /**
   * Every change of the camera's status (state, error, attempt, frames dropped in an outage): the camera's
   * current status, to ask now and whenever it is written again.
   */
  onStatus: (status: () => CameraStatus) => void;
}

/**
 * Reads one camera for as long as it runs (CameraFeed: a live or looped camera that fails is retried for
 * ever with capped backoff) and publishes its frames on ft.frames.<camera> (JPEG, seq, pts, capture
 * time). Capture and publishing are decoupled by a CaptureBuffer: normally the oldest frames are dropped
 * when the bus or detection lags; when a publish fails (the bus is down) the frames of the last
 * ingest.outage_buffer_s are kept and published, in order and with their capture time, once it is back.
 * A file read once (not looped) is read as fast as the pipeline takes it, nothing dropped.
 */
export function startCameraRun(camera: IngestCamera, deps: CameraRunDeps): CameraRun {
  const { bus, logger, metrics, config, backlog, cameraMetrics } = deps;
  const log = logger.child({ camera: camera.id });
  const abort = new AbortController();
  const ingest = config.ingest;
  /** A file read once goes as fast as the pipeline takes it, with backpressure instead of drops. */
  const ownPace = !camera.loop && !isLive(camera.url);
  const buffer = new CaptureBuffer<CapturedFrame>({
    liveItems: QUEUE_FRAMES,
    // A file read once waits for the bus instead (nothing dropped).
    outageMs: ownPace ? Number.MAX_SAFE_INTEGER : ingest.outage_buffer_s * 1000,
    maxBytes: OUTAGE_BUFFER_MAX_BYTES,
  });
  /** Frames dropped because the bus was down longer than the buffer holds, in all outages. */
  let outageDropped = 0;
  let published = 0;
  let captured = 0;
  let health: CameraHealthSnapshot;
  const status = (): CameraStatus =>
    CameraStatus.fromPartial({
      id: camera.id,
      state: health.state,
      sinceMs: health.sinceMs,
      lastError: health.lastError,
      reconnects: health.reconnects,
      frames: captured,
      outageDropped,
    });
  const report = () => deps.onStatus(status);

  let feed: CameraFeed;
  try {
    feed = new CameraFeed(camera.url, {
      loop: camera.loop,
      ...(camera.fps ? { fps: camera.fps } : {}),
      ...(camera.resolution
        ? { resolution: { width: camera.resolution[0], height: camera.resolution[1] } }
        : {}),
      backoff: { initialMs: ingest.reconnect_initial_s * 1000, maxMs: ingest.reconnect_max_s * 1000 },
      stallTimeoutMs: ingest.stall_timeout_s * 1000,
      onStatus: (next) => {
        const before = health;
        health = next;
        onHealth(before, next);
        report();
      },
    });
  } catch (error) {
    health = {
      state: "failed",
      sinceMs: Date.now(),
      lastError: (error as Error).message,
      reconnects: 0,
      failures: 0,
    };
    log.error("camera cannot be read", { error: error as Error });
    cameraMetrics.start(camera.id);
    report();
    return { id: camera.id, state: () => "failed", published: 0, busDown: () => {}, stop: async () => {} };
  }
  health = feed.health.snapshot;
  cameraMetrics.start(camera.id);
  report();

  /** Logs and counts what changed (the first fault of an outage is a warning, later attempts are info). */
  function onHealth(before: CameraHealthSnapshot, next: CameraHealthSnapshot): void {
    cameraMetrics.up.set({ camera: camera.id }, next.state === "up" ? 1 : 0);
    if (next.reconnects > before.reconnects) cameraMetrics.reconnects.inc({ camera: camera.id });
    if (next.state === "up" && before.state !== "up") {
      const downS = before.state === "reconnecting" ? (next.sinceMs - before.sinceMs) / 1000 : undefined;
      log.info("camera up", { reconnects: next.reconnects, ...(downS === undefined ? {} : { downS }) });
    } else if (next.state === "reconnecting" && next.failures > before.failures) {
      const fields = { error: next.lastError, attempt: next.failures, downSinceMs: next.sinceMs };
      if (before.state === "reconnecting") log.info("camera still down, retrying", fields);
      else log.warn("camera down, retrying", fields);
    } else if (next.state === "failed") {
      log.error("camera failed for good", { error: next.lastError });
    }
  }

  const queue = `frames ${camera.id}`;
  let seq = 0;

  const capture = (async () => {
    for await (const f of feed.frames()) {
      if (abort.signal.aborted) break;
      captured++;
      const item = { frame: f, seq: ++seq, pts: f.pts, capturedAtMs: Date.now(), bytes: f.data.length };
      if (ownPace) {
        if (!(await buffer.pushWhenRoom(item))) break;
      } else {
        countDropped(buffer.push(item).length);
      }
      metrics.queueDepth.set({ queue }, buffer.size);
    }
    log.info("camera finished", { state: feed.health.snapshot.state });
    buffer.close();
  })();

  let outageLogged = false;
  function countDropped(n: number): void {
    if (n === 0) return;
    if (!buffer.inOutage) {
      metrics.messagesDropped.inc({ reason: "bus_lagging" }, n);
      return;
    }
    metrics.messagesDropped.inc({ reason: "bus_outage" }, n);
    outageDropped += n;
    if (!outageLogged) {
      outageLogged = true;
      log.warn("bus still down: the outage buffer is full, dropping the oldest frames", {
        outageBufferS: ingest.outage_buffer_s,
      });
    }
    report();
  }

  let outageStartMs = 0;
  function beginOutage(error: Error | undefined): void {
    if (!buffer.beginOutage()) return;
    outageStartMs = Date.now();
    log.warn("bus unreachable: keeping the frames until it is back", {
      outageBufferS: ingest.outage_buffer_s,
      ...(error ? { error } : {}),
    });
  }

  const publish = (async () => {
    let failures = 0;
    for (;;) {
      const item = await buffer.take();
      if (!item) return;
      metrics.queueDepth.set({ queue }, buffer.size);
      if (ownPace) {
        // A file read as fast as the pipeline goes: wait for detection rather than drop.
        while (backlog.lagging() && !abort.signal.aborted) await new Promise((r) => setTimeout(r, 50));
      } else if (!buffer.inOutage && backlog.lagging()) {
        // Detection is behind: drop at the source (counted) rather than let frames wait in the stream.
        // Frames kept through a bus outage are published whatever the backlog: they are what was missed.
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
        published++;
        cameraMetrics.framesIn.inc({ camera: camera.id });
        failures = 0;
        if (buffer.inOutage && buffer.size <= QUEUE_FRAMES) {
          countDropped(buffer.endOutage().length);
          log.info("bus back: the frames kept during the outage are published", {
            outageS: (Date.now() - outageStartMs) / 1000,
            dropped: buffer.outageDropped,
          });
          outageLogged = false;
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        beginOutage(error as Error);
        countDropped(buffer.putBack(item).length);
        failures++;
        await abortableSleep(backoffDelayMs(failures, REPUBLISH_BACKOFF), abort.signal);
      }
    }
  })();

  return {
    id: camera.id,
    state: () => feed.health.snapshot.state,
    get published() {
      return published;
    },
    busDown: () => beginOutage(undefined),
    stop: async () => {
      abort.abort();
      await feed.close();
      buffer.close();
      await Promise.allSettled([capture, publish]);
    },
  };
}
