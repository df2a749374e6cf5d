/**
 * Frames across a short bus outage (issue 12, item 3): ingest publishes a looped camera to a real
 * nats-server that the test SIGKILLs, then starts again on the same port and JetStream store (as `up`
 * does). The frames captured while the bus was down are published once it is back, in order, with their
 * capture time; beyond ingest.outage_buffer_s the oldest are dropped, counted and logged once. With the
 * whole pipeline, a face that a camera saw only while the bus was down is tracked and alerted after it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { type Bus, connectBus, consumeMessages, openCameraStatusBoard } from "@facetracker/bus";
import { type FaceTrackerConfigInput, parseConfig } from "@facetracker/config";
import { Alert, Frame } from "@facetracker/proto";
import { startAlertService } from "@facetracker/service-alert";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { closedPort, isGone, liveHttpCamera, testVideo } from "@facetracker/testing/media";
import { renderLobby } from "./helpers/lobby-video.ts";
import { startPipeline } from "./helpers/pipeline-harness.ts";
import { metricSum } from "./helpers/prometheus-text.ts";

/** Every frame of the camera stored in FT_FRAMES, with the time the stream stored it. */
async function storedFrames(bus: Bus, camera: string): Promise<{ frame: Frame; storedMs: number }[]> {
  const subject = `ft.frames.${camera}`;
  const info = await bus.jsm.streams.info("FT_FRAMES", { subjects_filter: subject });
  const out: { frame: Frame; storedMs: number }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await bus.jsm.streams.getMessage("FT_FRAMES", { seq }).catch(() => null);
    if (m?.subject === subject) out.push({ frame: Frame.decode(m.data), storedMs: m.time.getTime() });
  }
  return out;
}

/** SIGKILLs the server and starts another on the same port and store. */
async function killAndRestart(
  nats: NatsTestServer,
  storeDir: string,
  whileDown: () => Promise<unknown>,
): Promise<{ server: NatsTestServer; restartedAtMs: number }> {
  const pid = nats.pid;
  process.kill(pid, "SIGKILL");
  await waitFor(() => isGone(pid), "nats-server gone");
  await whileDown();
  const restartedAtMs = Date.now();
  return { server: await startNatsServer({ storeDir, port: nats.port }), restartedAtMs };
}

async function withIngest(
  input: FaceTrackerConfigInput,
  body: (run: {
    nats: NatsTestServer;
    storeDir: string;
    pipeline: Awaited<ReturnType<typeof startPipeline>>;
    metrics: () => Promise<string>;
    logs: () => { msg: string }[];
    restarted: (server: NatsTestServer) => void;
  }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bus-outage-"));
  const storeDir = path.join(dir, "nats");
  const servers: NatsTestServer[] = [await startNatsServer({ storeDir })];
  const nats = servers[0] as NatsTestServer;
  const video = await testVideo(path.join(dir, "cam.mp4"), { seconds: 2, fps: 15 });
  const config = parseConfig({ ...input, cameras: [{ id: "cam", url: video, loop: true }] });
  const pipeline = await startPipeline(nats.url, config, [["ingest", startIngestService]]);
  try {
    await body({
      nats,
      storeDir,
      pipeline,
      metrics: () => pipeline.metrics.get("ingest")?.registry.metrics() ?? Promise.resolve(""),
      logs: () => pipeline.logs.map((l) => JSON.parse(l) as { msg: string }),
      restarted: (server) => servers.push(server),
    });
  } finally {
    await pipeline.stop();
    for (const server of servers) await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("ingest across a bus outage (real nats-server SIGKILLed and restarted on its store)", () => {
  it("publishes the frames captured while the bus was down once it is back, in order, with their capture time", {
    timeout: 180_000,
  }, async () => {
    await withIngest({}, async ({ nats, storeDir, pipeline, metrics, logs, restarted }) => {
      const queued = async () =>
        metricSum(await metrics(), "facetracker_queue_depth", { queue: "frames cam" });
      const published = async () => metricSum(await metrics(), "facetracker_messages_out_total");
      await waitFor(async () => (await published()) >= 10, "frames flowing", 60_000);
      const { server, restartedAtMs } = await killAndRestart(nats, storeDir, () =>
        waitFor(async () => (await queued()) >= 15, "15 frames kept while the bus is down", 60_000),
      );
      restarted(server);
      await waitFor(
        () => logs().some((l) => l.msg === "bus back: the frames kept during the outage are published"),
        "ingest to publish what it kept",
        60_000,
      );
      const observer = await connectBus({ servers: server.url, name: "test-observer" });
      try {
        const frames = await storedFrames(observer, "cam");
        const late = frames.filter((f) => f.frame.capturedAtMs < restartedAtMs);
        assert.ok(late.length >= 15, `${late.length} frames captured during the outage were published`);
        for (const f of late) {
          assert.ok(f.storedMs >= f.frame.capturedAtMs, "stored after capture");
        }
        const seqs = frames.map((f) => f.frame.seq);
        for (let i = 1; i < seqs.length; i++) {
          assert.equal(seqs[i], (seqs[i - 1] ?? 0) + 1, `no frame lost or reordered at ${seqs[i - 1]}`);
        }
        const captured = frames.map((f) => f.frame.capturedAtMs);
        assert.deepEqual(
          captured,
          [...captured].sort((a, b) => a - b),
          "capture times in order",
        );
      } finally {
        await observer.close();
      }
      const text = await metrics();
      assert.equal(metricSum(text, "facetracker_messages_dropped_total", { reason: "bus_outage" }), 0);
      assert.ok(pipeline.services.get("ingest"));
    });
  });

  it("beyond ingest.outage_buffer_s drops the oldest frames, counts them, logs it once and reports them", {
    timeout: 180_000,
  }, async () => {
    await withIngest(
      { ingest: { outage_buffer_s: 1 } },
      async ({ nats, storeDir, metrics, logs, restarted }) => {
        const dropped = async () =>
          metricSum(await metrics(), "facetracker_messages_dropped_total", { reason: "bus_outage" });
        await waitFor(
          async () => metricSum(await metrics(), "facetracker_messages_out_total") >= 10,
          "frames flowing",
          60_000,
        );
        const { server } = await killAndRestart(nats, storeDir, () =>
          waitFor(async () => (await dropped()) >= 20, "frames dropped beyond the buffer", 60_000),
        );
        restarted(server);
        await waitFor(
          () => logs().some((l) => l.msg === "bus back: the frames kept during the outage are published"),
          "ingest to publish what it kept",
          60_000,
        );
        const full = logs().filter(
          (l) => l.msg === "bus still down: the outage buffer is full, dropping the oldest frames",
        );
        assert.equal(full.length, 1, "logged once per outage");
        const observer = await connectBus({ servers: server.url, name: "test-observer" });
        try {
          const board = await openCameraStatusBoard(observer.nc);
          const total = await dropped();
          await waitFor(
            async () => Number((await board.get("cam"))?.outageDropped ?? 0) === total,
            "the status to report the frames dropped",
            30_000,
          );
        } finally {
          await observer.close();
        }
      },
    );
  });

  it("a face a camera saw only while the bus was down is tracked and alerted once it is back", {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bus-outage-face-"));
    const storeDir = path.join(dir, "nats");
    const first = await startNatsServer({ storeDir });
    let second: NatsTestServer | undefined;
    // bea stands in view for the whole clip (4 s at 15 fps); amy stays out of it.
    const video = path.join(dir, "door.mp4");
    await renderLobby(video, { frames: 60, fps: 15, amy: () => null, bea: () => [260, 100] });
    const port = await closedPort();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL", clip_duration: 0 },
      ingest: { reconnect_initial_s: 0.2, reconnect_max_s: 0.5 },
      cameras: [{ id: "door", url: `http://127.0.0.1:${port}/live.ts` }],
    });
    const pipeline = await startPipeline(first.url, config, [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["track", startTrackService],
      ["detect", startDetectService],
      ["ingest", startIngestService],
    ]);
    const logs = () => pipeline.logs.map((l) => JSON.parse(l) as { msg: string; service: string });
    const queued = async () =>
      metricSum((await pipeline.metrics.get("ingest")?.registry.metrics()) ?? "", "facetracker_queue_depth", {
        queue: "frames door",
      });
    let camera: Awaited<ReturnType<typeof liveHttpCamera>> | undefined;
    let observer: Bus | undefined;
    try {
      await waitFor(
        () => logs().some((l) => l.msg === "camera down, retrying"),
        "the door camera not served yet",
      );
      const pid = first.pid;
      process.kill(pid, "SIGKILL");
      await waitFor(() => isGone(pid), "nats-server gone");
      // The camera comes up while the bus is down: everything it sees is kept by ingest.
      camera = await liveHttpCamera(video, port);
      await waitFor(() => logs().some((l) => l.msg === "camera up"), "the door camera up", 60_000);
      await waitFor(async () => (await queued()) >= 45, "3 s of frames kept", 60_000);
      await camera.close();
      const restartedAtMs = Date.now();
      second = await startNatsServer({ storeDir, port: first.port });
      observer = await connectBus({ servers: second.url, name: "test-observer" });
      const alerts: Alert[] = [];
      const consumer = await consumeMessages({
        js: observer.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.alerts.door",
        type: Alert,
        handler: (a) => {
          alerts.push(a);
        },
      });
      try {
        await waitFor(() => alerts.length >= 1, "an alert for the face seen during the outage", 180_000);
      } finally {
        await consumer.stop();
      }
      const alert = alerts[0] as Alert;
      assert.ok(alert.timeMs < restartedAtMs, "the alert is for a frame captured while the bus was down");
      assert.equal(alert.identity, undefined, "bea is not enrolled: unknown");
    } finally {
      await pipeline.stop();
      await camera?.close();
      await observer?.close();
      await second?.stop();
      await first.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
