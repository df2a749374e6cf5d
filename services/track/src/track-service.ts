import { streamSpecOf } from "@facetracker/bus";
import { CameraTrackStage, detectionsFromProto } from "@facetracker/pipeline";
import type { Detections } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { type CameraRun, CameraRuns } from "./camera-runs.ts";
import { EmbedWorkers } from "./embed-client.ts";
import { createTrackMetrics } from "./track-metrics.ts";
import { publishTrackOutput } from "./track-output.ts";
import { openTrackStateStore } from "./track-state.ts";

/** How often each camera's tracking state is saved (when it changed since the last save), ms. */
export const STATE_SAVE_INTERVAL_MS = 1000;
/**
 * Ack wait of the "track" consumer, ms: a message in hand when an instance died is delivered again after
 * this long (a handler still working keeps its message: the consumer tells the server every half wait).
 */
export const TRACK_ACK_WAIT_MS = 10_000;

const DURABLE = "track";

export interface TrackServiceOptions {
  /** Default STATE_SAVE_INTERVAL_MS. */
  saveIntervalMs?: number;
  /** Default TRACK_ACK_WAIT_MS. */
  ackWaitMs?: number;
}

/**
 * Track: consumes detections of every camera (durable consumer "track"), runs one tracking stage per
 * camera (credence, filters, re-identification schedule, identity), asks the embed workers for the faces
 * due on each frame (one request per frame), and publishes track events on ft.tracks.<camera> and a
 * per-frame snapshot of the live tracks on ft.snapshots.<camera>.
 *
 * No embed worker answering (see embed-client.ts) is no evidence: every frame is still tracked and
 * acknowledged, tracks not identified yet stay identifying, and their faces are asked for again (with
 * backoff) until a worker answers; nothing is dead-lettered for it and no identity turns unknown.
 *
 * Restarts: each camera's tracking state is saved to the ft_track_state bucket (see track-state.ts) from
 * its first frame on, then about every second, and on a graceful stop once the consumer is drained, with
 * the FT_DETECTIONS sequence of the last message it includes. A new instance restores every camera, then
 * replays from FT_DETECTIONS the messages the consumer acknowledged after the last save (a crash between
 * two saves), publishing nothing (their events were published before they were acknowledged), and only
 * then consumes: a redelivered message the state already includes is acknowledged without processing.
 * Tracks therefore keep their IDs across restarts and no track is confirmed or identified twice; an event
 * published again anyway (a message in hand at a crash) has the same Nats-Msg-Id and is de-duplicated. A
 * saved state that cannot be used (another format version) is logged and that camera starts afresh.
 */
export async function startTrackService(
  deps: ServiceDeps,
  options: TrackServiceOptions = {},
): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const bus = serviceBus(deps);
  const embedWorkers = new EmbedWorkers(bus, deps);
  const trackMetrics = createTrackMetrics(metrics);
  const cameras = await CameraRuns.open({
    bus,
    logger,
    store: await openTrackStateStore(deps.bus.js),
    newStage: (camera) =>
      new CameraTrackStage(camera, config, {
        frameRate: config.cameras.find((c) => c.id === camera)?.fps ?? 25,
        identify: embedWorkers.identify(camera),
      }),
  });

  // Message handling and saving take turns: a state is never saved in the middle of a frame.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work);
    tail = next.catch(() => {});
    return next;
  };

  /** Runs one detections message through its camera's stage; `live`: publish what it yields. */
  const track = async (d: Detections, streamSeq: number, live: boolean): Promise<void> => {
    const run = cameras.run(d.camera);
    if (await cameras.alreadyTaken(run, streamSeq)) {
      const unpublished = run.unpublished;
      if (live && unpublished?.streamSeq === streamSeq) {
        // Tracked, but its events could not be published (the bus failed): it came back for those.
        await unpublished.publish();
        run.unpublished = undefined;
        return;
      }
      metrics.messagesDropped.inc({ reason: "already_tracked" });
      return;
    }
    run.lastSeq = streamSeq; // taken in, even if the stage fails half-way: never applied twice
    run.unpublished = undefined;
    const last = run.lastFrame;
    if (last && d.seq <= last.seq && d.capturedAtMs <= last.capturedAtMs) {
      // Older than a frame already tracked (another detect instance was faster): the tracker only moves
      // forward. A restarted ingest numbers from 1 again, but with newer capture times: not dropped.
      metrics.messagesDropped.inc({ reason: "late_frame" });
      return;
    }
    run.lastFrame = { seq: d.seq, capturedAtMs: d.capturedAtMs };
    const input = detectionsFromProto(d);
    const output = await metrics.time("track", () => run.stage.run(input));
    trackMetrics.framesTracked.inc({ camera: d.camera });
    if (live) {
      // Kept until published: a publish that fails transiently hands the message back (nak with delay),
      // and its redelivery publishes these events instead of tracking the frame again.
      const publish = () => publishTrackOutput(bus, d, input, output, run.crops);
      run.unpublished = { streamSeq, publish };
      await publish();
      run.unpublished = undefined;
      trackMetrics.captureToTrack.observe(
        { camera: d.camera },
        Math.max(0, Date.now() - d.capturedAtMs) / 1000,
      );
    }
    if (run.savedSeq === 0) await cameras.save(run); // a new camera: saved from its first frame on
  };

  /** The camera's messages the consumer acknowledged after its last save (a crash between two saves). */
  const catchUp = async (run: CameraRun, ackFloor: number): Promise<void> => {
    const fromSeq = run.lastSeq + 1;
    try {
      const replayed = await bus.replay("detections", run.camera, {
        afterSeq: run.lastSeq,
        upToSeq: ackFloor,
        handler: (d, info) =>
          track(d, info.streamSeq, false).catch((error: unknown) => {
            logger.warn("replay: a detections message failed", {
              camera: run.camera,
              seq: info.streamSeq,
              error: error as Error,
            });
          }),
      });
      logger.info("replayed the detections acknowledged after the last save", {
        camera: run.camera,
        fromSeq,
        toSeq: ackFloor,
        replayed,
      });
    } catch (error) {
      logger.warn("cannot replay the detections acknowledged after the last save; going on from there", {
        camera: run.camera,
        fromSeq,
        error: error as Error,
      });
    }
    await cameras.save(run);
  };

  await cameras.restoreSaved();
  const ackFloor = await bus.ackFloor("detections", DURABLE);
  for (const run of cameras.all()) {
    if (run.lastSeq > 0 && run.lastSeq < ackFloor) await catchUp(run, ackFloor);
  }

  const timer = setInterval(
    () => void serially(() => cameras.saveChanged()),
    options.saveIntervalMs ?? STATE_SAVE_INTERVAL_MS,
  );
  timer.unref();
  void deps.bus.nc.closed().then(() => clearInterval(timer));
  const consumer = await bus.consume("detections", {
    durable: DURABLE,
    maxAckPending: 1,
    ackWaitMs: options.ackWaitMs ?? TRACK_ACK_WAIT_MS,
    deliverPolicy: "new",
    // A frame that failed transiently (the bus down as its events were published) is tried again while
    // FT_DETECTIONS would still hold it; the camera's later frames wait behind it (one message in hand).
    retryForMs: streamSpecOf("detections").maxAgeMs,
    handler: (d, info) => serially(() => track(d, info.streamSeq, true)),
  });
  return {
    readiness: () => ({ consumer: true }),
    stop: async () => {
      await consumer.stop();
      clearInterval(timer);
      await serially(() => cameras.saveChanged());
    },
  };
}
