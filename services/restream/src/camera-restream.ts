/**
 * One camera's restream: its frames (ft.frames.<camera>) and track snapshots (ft.snapshots.<camera>), live
 * only (ordered consumers from now on), paired and drawn, then handed to a publisher (ffmpeg → RTSP, or an
 * ffplay window) that is restarted with backoff whenever it ends.
 *
 * Never behind live: frames beyond max_fps are dropped as they come, a frame waits for its snapshot at
 * most snapshotWaitMs, and between pairing and the publisher there is room for one frame: while the
 * publisher is busy (drawing, encoding, the network), a newer frame takes the waiting one's place.
 */

import { consumeMessages, ensureStreams, type MessageConsumer, subject } from "@facetracker/bus";
import {
  type ClipTrackState,
  DropOldestQueue,
  drawLiveFrame,
  FrameRateCap,
  LiveFramePairer,
  type LiveSnapshot,
  type PairedFrame,
} from "@facetracker/pipeline";
import { Frame, FrameEncoding, TrackSnapshot, TrackStateKind } from "@facetracker/proto";
import type { ServiceDeps } from "@facetracker/service-host";
import type { RgbImage } from "@facetracker/vision";
import {
  ffplayArgs,
  LiveSink,
  type LiveVideoFormat,
  type RtspTransport,
  rtspPublishArgs,
} from "./live-sink.ts";
import type { LiveTarget } from "./live-targets.ts";
import type { RestreamMetrics } from "./restream-metrics.ts";

export interface RestreamSettings {
  /** Frames per second at most (live_stream.max_fps). */
  maxFps: number;
  /** How long a frame waits for its snapshot, ms. */
  snapshotWaitMs: number;
  rtspTransport: RtspTransport;
  /** Delay before restarting an ended publisher: initialMs, doubling up to maxMs. */
  retry: { initialMs: number; maxMs: number };
  /** A publisher that takes no frame for this long is stalled: killed and restarted, ms. */
  writeTimeoutMs: number;
  /** A publisher fed no frame for this long is stopped (the camera stopped); the next frame starts one, ms. */
  idleStopMs: number;
  ffmpegPath: string;
  ffplayPath: string;
}

/** A publisher that ran this long before it ended was healthy: its restart starts the backoff afresh, ms. */
const HEALTHY_RUN_MS = 10_000;

const STATES: Record<number, ClipTrackState> = {
  [TrackStateKind.TENTATIVE]: "tentative",
  [TrackStateKind.CONFIRMED]: "confirmed",
  [TrackStateKind.LOST]: "lost",
};

/** A TrackSnapshot as the live view draws it. */
export function liveSnapshot(snapshot: TrackSnapshot): LiveSnapshot {
  return {
    seq: snapshot.seq,
    timeMs: snapshot.timeMs,
    tracks: snapshot.tracks.map((track) => ({
      trackId: track.trackId,
      state: STATES[track.state] ?? "unspecified",
      box: track.box ? [track.box.x1, track.box.y1, track.box.x2, track.box.y2] : null,
      identity: track.identity?.name ? { id: track.identity.id, name: track.identity.name } : null,
      similarity: track.identity?.similarity ?? 0,
    })),
  };
}

/** A frame on its way to the publisher. */
interface LiveFrame {
  seq: number;
  timeMs: number;
  jpeg: Uint8Array;
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
  { bus, logger, metrics }: Pick<ServiceDeps, "bus" | "logger" | "metrics">,
  counters: RestreamMetrics,
): Promise<CameraRestream> {
  const camera = target.camera;
  const labels = { camera };
  const log = logger.child({ camera, mode: target.mode, ...(target.url ? { url: target.url } : {}) });
  const cap = new FrameRateCap(settings.maxFps);
  const pairer = new LiveFramePairer<LiveFrame>({ waitMs: settings.snapshotWaitMs });
  const ready = new DropOldestQueue<PairedFrame<LiveFrame>>(1);
  let stopping = false;
  let expiry: NodeJS.Timeout | undefined;

  let sink: LiveSink | undefined;
  let starting: Promise<LiveSink | undefined> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastProblem = "";
  let lastWriteAt = 0;

  const drop = (reason: string) => counters.framesDropped.inc({ camera, reason });

  /** Frames whose pairing is decided go to the one-frame slot; the one they displace is dropped. */
  function deliver(paired: PairedFrame<LiveFrame>[]): void {
    if (stopping) return;
    for (const p of paired) {
      counters.pairings.inc({ camera, pairing: p.pairing });
      if (ready.push(p) !== undefined) drop("publisher_busy");
    }
    armExpiry();
  }

  /** Wakes up when the oldest waiting frame has waited its time. */
  function armExpiry(): void {
    clearTimeout(expiry);
    expiry = undefined;
    const deadline = pairer.nextDeadline;
    if (deadline === undefined || stopping) return;
    expiry = setTimeout(() => deliver(pairer.expire(Date.now())), Math.max(0, deadline - Date.now()));
  }

  function startSink(format: LiveVideoFormat): Promise<LiveSink | undefined> {
    const [command, args] =
      target.mode === "WEB"
        ? [settings.ffmpegPath, rtspPublishArgs(target.url, format, settings.rtspTransport)]
        : [settings.ffplayPath, ffplayArgs(`FaceTracker: ${camera}`, format)];
    return LiveSink.start(command, args, format).then(
      (started) => {
        if (stopping) {
          void started.stop();
          return undefined;
        }
        sink = started;
        counters.publishing.set(labels, 1);
        log.info("publisher started", { pid: started.pid, width: format.width, height: format.height });
        void started.exited.then((status) => ended(started, status));
        return started;
      },
      (error: unknown) => {
        scheduleRetry(error instanceof Error ? error.message : String(error));
        return undefined;
      },
    );
  }

  /** A publisher ended: unless it was stopped on purpose, it is restarted after a backoff delay. */
  function ended(which: LiveSink, status: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (sink === which) {
      sink = undefined;
      counters.publishing.set(labels, 0);
    }
    if (which.stopRequested || stopping) return;
    if (Date.now() - which.startedAt >= HEALTHY_RUN_MS) failures = 0;
    const exit = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
    counters.restarts.inc(labels);
    scheduleRetry(
      `${target.mode === "WEB" ? "ffmpeg" : "ffplay"} ${exit}${which.output ? `: ${which.output}` : ""}`,
    );
  }

  function scheduleRetry(problem: string): void {
    failures++;
    const delay = Math.min(settings.retry.maxMs, settings.retry.initialMs * 2 ** (failures - 1));
    retryAt = Date.now() + delay;
    lastProblem = problem;
    log.warn("publisher ended: restarting", { problem, attempt: failures, retryInMs: delay });
  }

  /** Draws one frame and hands it to the publisher (started, or restarted, as needed). Never throws. */
  async function publish(item: PairedFrame<LiveFrame>): Promise<void> {
    if (Date.now() < retryAt) {
      drop("publisher_down");
      return;
    }
    let image: RgbImage;
    try {
      image = await drawLiveFrame(item.frame.jpeg, item.snapshot);
    } catch (error) {
      drop("undecodable");
      log.warn("frame does not decode: dropped", { seq: item.frame.seq, error: error as Error });
      return;
    }
    if (stopping) return drop("stopping");
    let current = sink;
    if (current && (current.format.width !== image.width || current.format.height !== image.height)) {
      log.info("frame size changed: restarting the publisher", { width: image.width, height: image.height });
      await current.stop();
      current = undefined;
    }
    if (!current) {
      starting ??= startSink({ width: image.width, height: image.height, fps: settings.maxFps });
      current = await starting;
      starting = undefined;
      if (!current) return drop("publisher_down");
    }
    try {
      await current.write(image.data, settings.writeTimeoutMs);
      lastWriteAt = Date.now();
      counters.framesOut.inc(labels);
    } catch {
      drop("publisher_down"); // its exit is handled by ended()
    }
  }

  const writing = (async () => {
    for (;;) {
      const item = await ready.take();
      if (!item) return;
      await publish(item);
    }
  })();

  /** Stops a publisher nothing was written to for idleStopMs (the camera stopped sending). */
  const idleCheck = setInterval(() => {
    if (sink && !sink.stopRequested && Date.now() - lastWriteAt > settings.idleStopMs) {
      log.info("no frame for a while: publisher stopped", { idleMs: Date.now() - lastWriteAt });
      void sink.stop();
    }
  }, 1000);
  idleCheck.unref();

  const consumers: MessageConsumer[] = [];
  const common = {
    js: bus.js,
    deliverPolicy: "new" as const,
    ensureStream: () => ensureStreams(bus.jsm),
    logger: log,
  };
  try {
    consumers.push(
      await consumeMessages({
        ...common,
        stream: "FT_FRAMES",
        filterSubject: subject("frames", camera),
        type: Frame,
        onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "frames" }),
        handler: (frame) => {
          metrics.messagesIn.inc({ subject_kind: "frames" });
          counters.framesIn.inc(labels);
          if (frame.encoding !== FrameEncoding.JPEG || frame.data.length === 0) return drop("not_jpeg");
          const timeMs = frame.capturedAtMs || Date.now();
          if (!cap.admit(timeMs)) return drop("rate_cap");
          deliver(pairer.addFrame({ seq: frame.seq, timeMs, jpeg: frame.data }, Date.now()));
        },
      }),
    );
    consumers.push(
      await consumeMessages({
        ...common,
        stream: "FT_SNAPSHOTS",
        filterSubject: subject("snapshots", camera),
        type: TrackSnapshot,
        onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "snapshots" }),
        handler: (snapshot) => {
          metrics.messagesIn.inc({ subject_kind: "snapshots" });
          deliver(pairer.addSnapshot(liveSnapshot(snapshot)));
        },
      }),
    );
  } catch (error) {
    stopping = true;
    clearInterval(idleCheck);
    ready.close();
    await Promise.all(consumers.map((c) => c.stop()));
    throw error;
  }
  log.info("restream started");

  return {
    target,
    state: () => (sink === undefined && failures > 0 ? `publisher down (${lastProblem}); retrying` : true),
    publisherPid: () => sink?.pid,
    async stop() {
      stopping = true;
      await Promise.all(consumers.map((c) => c.stop()));
      clearTimeout(expiry);
      clearInterval(idleCheck);
      ready.close();
      await writing;
      await starting;
      await sink?.stop();
      counters.publishing.remove(labels);
      log.info("restream stopped");
    },
  };
}
