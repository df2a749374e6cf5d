import {
  CameraLeases,
  instanceId,
  type MessageConsumer,
  openCameraRegistry,
  streamSpecOf,
} from "@facetracker/bus";
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
 * Ack wait of the `track_<camera>` consumers, ms: a message in hand when an instance died is delivered again after
 * this long (a handler still working keeps its message: the consumer tells the server every half wait).
 */
export const TRACK_ACK_WAIT_MS = 10_000;

/** The durable consumer of one camera's detections: `track_<camera>` (camera IDs are valid consumer names). */
export const trackDurable = (camera: string): string => `track_${camera}`;

export interface TrackServiceOptions {
  /** Default STATE_SAVE_INTERVAL_MS. */
  saveIntervalMs?: number;
  /** Default TRACK_ACK_WAIT_MS. */
  ackWaitMs?: number;
}

/**
 * Track: consumes the detections of each camera it owns (durable consumer `track_<camera>`; several
 * instances split the cameras through leases, see CameraLeases in @facetracker/bus), runs one tracking
 * stage per camera (credence, filters, re-identification schedule, identity), asks the embed workers for the faces
 * due on each frame (one request per frame), and publishes track events on ft.tracks.<camera> and a
 * per-frame snapshot of the live tracks on ft.snapshots.<camera>.
 *
 * No embed worker answering (see embed-client.ts) is no evidence: every frame is still tracked and
 * acknowledged, tracks not identified yet stay identifying, and their faces are asked for again (with
 * backoff) until a worker answers; nothing is dead-lettered for it and no identity turns unknown.
 *
 * Restarts: each camera's tracking state is saved to the ft_track_state bucket (see track-state.ts) from
 * its first frame on, then about every second, and on a graceful stop once the consumer is drained, with
 * the FT_DETECTIONS sequence of the last message it includes. An instance that acquires a camera (at its
 * start, or taking it over from a dead or outranked instance) restores its state, then replays from FT_DETECTIONS the messages the consumer acknowledged after the last save (a crash between
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

  const timer = setInterval(
    () => void serially(() => cameras.saveChanged()),
    options.saveIntervalMs ?? STATE_SAVE_INTERVAL_MS,
  );
  timer.unref();
  void deps.bus.nc.closed().then(() => clearInterval(timer));

  const consumers = new Map<string, MessageConsumer>();
  /** Restores the camera's state, catches up on what its consumer acknowledged since, then consumes. */
  const acquire = async (camera: string): Promise<void> => {
    const run = await serially(async () => {
      await cameras.restore(camera);
      const run = cameras.run(camera);
      const ackFloor = await bus.ackFloor("detections", trackDurable(camera));
      if (run.lastSeq > 0 && run.lastSeq < ackFloor) await catchUp(run, ackFloor);
      return run;
    });
    const consumer = await bus.consume("detections", {
      camera,
      durable: trackDurable(camera),
      maxAckPending: 1,
      ackWaitMs: options.ackWaitMs ?? TRACK_ACK_WAIT_MS,
      // A new consumer starts after the camera's saved state, else at the camera's first detections.
      ...(run.lastSeq > 0 ? { startSeq: run.lastSeq + 1 } : { deliverPolicy: "all" as const }),
      // A frame that failed transiently (the bus down as its events were published) is tried again while
      // FT_DETECTIONS would still hold it; the camera's later frames wait behind it (one message in hand).
      retryForMs: streamSpecOf("detections").maxAgeMs,
      handler: (d, info) => serially(() => track(d, info.streamSeq, true)),
    });
    consumers.set(camera, consumer);
  };
  /** Stops consuming (a message not acknowledged stays for the next owner), saves and forgets the camera. */
  const release = async (camera: string): Promise<void> => {
    await consumers.get(camera)?.stop();
    consumers.delete(camera);
    await serially(async () => {
      const run = cameras.get(camera);
      if (run && run.lastSeq > run.savedSeq) await cameras.save(run);
      cameras.forget(camera);
    });
  };
  const registry = await openCameraRegistry(deps.bus.js);
  /** The cameras to track: the configuration's and the registry's. */
  const known = new Set(config.cameras.map((c) => c.id));
  for (const c of await registry.list()) known.add(c.id);
  const leases = await CameraLeases.start(deps.bus.js, {
    service: "track",
    instance: deps.instance ?? instanceId("track"),
    ttlMs: config.partitions.lease_ttl_s * 1000,
    logger,
    cameras: () => known,
    onAcquire: acquire,
    onRelease: release,
  });
  // A closed connection (the process going down) renews nothing more: the leases expire for the others.
  void deps.bus.nc.closed().then(() => leases.abandon());
  const watch = await registry.watch();
  const following = (async () => {
    for await (const change of watch) {
      if (change.config) known.add(change.id);
      else if (!config.cameras.some((c) => c.id === change.id)) known.delete(change.id);
      leases.changed();
    }
  })();
  return {
    readiness: () => ({ consumer: true }),
    stop: async () => {
      watch.stop();
      await following.catch(() => {});
      await leases.stop();
      clearInterval(timer);
      await serially(() => cameras.saveChanged());
    },
  };
}
