/**
 * One camera's restream over the bus: its frames (ft.frames.<camera>) and track snapshots
 * (ft.snapshots.<camera>), live only (ordered consumers from now on), go to the restream stage
 * (LiveRestream: capped, paired, drawn), which feeds a LivePublisher (ffmpeg → RTSP, or an ffplay window)
 * restarted with backoff whenever it ends.
 */

import type { MessageConsumer, TypedBus } from "@facetracker/bus";
import { LivePublisher, type RtspCredentials, type RtspTransport } from "@facetracker/media";
import {
  type LiveDropReason,
  LiveRestream,
  type LiveTarget,
  trackSnapshotFromProto,
} from "@facetracker/pipeline";
import { FrameEncoding } from "@facetracker/proto";
import type { ServiceDeps } from "@facetracker/service-host";
import type { RestreamMetrics } from "./restream-metrics.ts";

export interface RestreamSettings {
  /** Frames per second at most (live_stream.max_fps). */
  maxFps: number;
  /** How long a frame waits for its snapshot, ms. */
  snapshotWaitMs: number;
  rtspTransport: RtspTransport;
  /** The user and password the RTSP server wants of a publisher (live_stream.user / pass), if any. */
  credentials?: RtspCredentials;
  /** Delay before restarting an ended publisher: initialMs, doubling up to maxMs. */
  retry: { initialMs: number; maxMs: number };
  /** A publisher that takes no frame for this long is stalled: killed and restarted, ms. */
  writeTimeoutMs: number;
  /** A publisher fed no frame for this long is stopped (the camera stopped); the next frame starts one, ms. */
  idleStopMs: number;
  ffmpegPath: string;
  ffplayPath: string;
}

export interface CameraRestream {
  readonly target: LiveTarget;
  /** For /healthz: true, or why the camera's stream is down. */
  state(): true | string;
  /** Pid of the running publisher (ffmpeg or ffplay), if any. */
  publisherPid(): number | undefined;
  stop(): Promise<void>;
}

/** Starts restreaming one camera; resolves once its consumers exist. */
export async function startCameraRestream(
  target: LiveTarget,
  settings: RestreamSettings,
  { bus, logger }: { bus: TypedBus; logger: ServiceDeps["logger"] },
  counters: RestreamMetrics,
): Promise<CameraRestream> {
  const camera = target.camera;
  const labels = { camera };
  const log = logger.child({ camera, mode: target.mode, ...(target.url ? { url: target.url } : {}) });
  const drop = (reason: LiveDropReason) => counters.framesDropped.inc({ camera, reason });
  const publisher = new LivePublisher({
    destination:
      target.mode === "WEB"
        ? {
            mode: "WEB",
            url: target.url,
            rtspTransport: settings.rtspTransport,
            ...(settings.credentials ? { credentials: settings.credentials } : {}),
          }
        : { mode: "LOCAL", title: `FaceTracker: ${camera}` },
    fps: settings.maxFps,
    retry: settings.retry,
    writeTimeoutMs: settings.writeTimeoutMs,
    idleStopMs: settings.idleStopMs,
    ffmpegPath: settings.ffmpegPath,
    ffplayPath: settings.ffplayPath,
    logger: log,
    onRunning: (running) => counters.publishing.set(labels, running ? 1 : 0),
    onRestart: () => counters.restarts.inc(labels),
  });
  const restream = new LiveRestream({
    maxFps: settings.maxFps,
    snapshotWaitMs: settings.snapshotWaitMs,
    output: publisher,
    logger: log,
    onDrop: drop,
    onPairing: (pairing) => counters.pairings.inc({ camera, pairing }),
    onFrameOut: () => counters.framesOut.inc(labels),
  });

  const consumers: MessageConsumer[] = [];
  const stopConsumers = async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  };
  const common = { camera, deliverPolicy: "new" as const, logger: log };
  try {
    consumers.push(
      await bus.consume("frames", {
        ...common,
        handler: (frame) => {
          counters.framesIn.inc(labels);
          if (frame.encoding !== FrameEncoding.JPEG || frame.data.length === 0) return drop("not_jpeg");
          restream.addFrame({ seq: frame.seq, timeMs: frame.capturedAtMs || Date.now(), jpeg: frame.data });
        },
      }),
    );
    consumers.push(
      await bus.consume("snapshots", {
        ...common,
        handler: (snapshot) => {
          restream.addSnapshot(trackSnapshotFromProto(snapshot));
        },
      }),
    );
  } catch (error) {
    await restream.stop(stopConsumers);
    throw error;
  }
  log.info("restream started");

  return {
    target,
    state: () => publisher.state(),
    publisherPid: () => publisher.pid,
    async stop() {
      await restream.stop(stopConsumers);
      counters.publishing.remove(labels);
      log.info("restream stopped");
    },
  };
}
