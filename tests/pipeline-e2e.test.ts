import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus, consumeMessages } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Alert, TrackEvent, TrackEventType } from "@facetracker/proto";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { FaceRecognizer } from "@facetracker/sdk";
import { startAlertService } from "@facetracker/service-alert";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { renderLobby } from "./helpers/lobby-video.ts";
import { counterValue, startPipeline } from "./helpers/pipeline-harness.ts";

describe("pipeline end to end on NATS JetStream (real nats-server, generated camera video)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let video: string;
  const frames = 50;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-e2e-"));
    nats = await startNatsServer();
    video = path.join(dir, "lobby.mp4");
    const { analyzer, amy } = await renderLobby(video, {
      frames,
      amy: (f) => [60 + 2 * f, 50],
      bea: () => [420, 140],
    });
    const photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
    const recognizer = await FaceRecognizer.create({ db_path: path.join(dir, "gallery") }, { analyzer });
    assert.equal((await recognizer.enroll("amy", [photo])).enrolled, 1);
    await recognizer.close();
  });
  after(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a file camera flows through ingest → detect → track (+ embed) → alert: stable track IDs, right identity, alerts per mode", async () => {
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL" },
      cameras: [{ id: "lobby", url: video, alert_mode: "ON_ALL" }],
    });
    const observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    const events: TrackEvent[] = [];
    const alerts: Alert[] = [];
    const pipeline = await startPipeline(nats.url, config, [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["track", startTrackService],
      ["detect", startDetectService],
      ["ingest", startIngestService],
    ]);
    const eventConsumer = await consumeMessages({
      js: observer.js,
      stream: "FT_TRACKS",
      filterSubject: "ft.tracks.lobby",
      type: TrackEvent,
      handler: (e) => {
        events.push(e);
      },
    });
    const alertConsumer = await consumeMessages({
      js: observer.js,
      stream: "FT_ALERTS",
      filterSubject: "ft.alerts.lobby",
      type: Alert,
      handler: (a) => {
        alerts.push(a);
      },
    });
    try {
      await waitFor(() => alerts.length >= 2, "two alerts (one per face)", 90_000);
      const confirmed = events.filter((e) => e.type === TrackEventType.CONFIRMED).map((e) => e.trackId);
      assert.deepEqual(
        [...new Set(confirmed)].sort(),
        [1, 2],
        "two tracks, IDs 1 and 2, each confirmed once",
      );
      const identified = events.filter((e) => e.type === TrackEventType.IDENTIFIED);
      assert.deepEqual(identified.map((e) => e.identity?.name ?? "unknown").sort(), ["amy", "unknown"]);
      assert.equal(events.filter((e) => e.type === TrackEventType.IDENTITY_CHANGED).length, 0);
      assert.deepEqual(alerts.map((a) => a.identity?.name ?? "unknown").sort(), ["amy", "unknown"]);
      for (const a of alerts) {
        assert.equal(a.camera, "lobby");
        assert.ok(a.trackId === 1 || a.trackId === 2);
        assert.ok(a.thumbnailJpeg.length > 500, "face thumbnail attached");
        assert.equal(a.mode, "ON_ALL");
      }
      const amy = alerts.find((a) => a.identity?.name === "amy");
      assert.ok((amy?.similarity ?? 0) >= config.cosine_similarity_threshold);
    } finally {
      await eventConsumer.stop();
      await alertConsumer.stop();
      await pipeline.stop();
      await observer.close();
    }
  });
});

describe("pipeline robustness (real nats-server)", () => {
  let dir: string;
  let video: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-e2e-robust-"));
    const analyzer = await FaceAnalyzer.create();
    const pictures = (await sampleFaces(
      analyzer,
      samplePhotos(),
      [
        [0, 0],
        [5, 0],
        [2, 2],
      ],
      70,
    )) as RgbImage[];
    const actors: Actor[] = [];
    for (const [i, picture] of pictures.entries()) {
      actors.push({
        name: `p${i}`,
        picture,
        faceInPicture: await locateFace(analyzer, picture),
        position: (f) => [30 + i * 200 + (f % 40), 60 + i * 30],
      });
    }
    video = path.join(dir, "hall.mp4");
    await renderScene(video, { width: 640, height: 360, fps: 25, frames: 120, actors });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("sets malformed messages aside on every input subject and goes on; two embed workers share the requests, and one leaving loses nothing", async () => {
    const nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery-a"),
      alerts: { alert_mode: "ON_ALL" },
      cameras: [{ id: "hall", url: video }],
    });
    const observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    const alerts: Alert[] = [];
    const pipeline = await startPipeline(nats.url, config, [
      ["embed-1", startEmbedService],
      ["alert", startAlertService],
      ["track", startTrackService],
      ["detect", startDetectService],
    ]);
    // A second embed worker, with its own gallery directory (empty, like the first; workers may also share
    // one directory, or a Qdrant collection). Both galleries being empty, every face is unknown whichever
    // worker answers.
    const second = await startPipeline(nats.url, { ...config, db_path: path.join(dir, "gallery-b") }, [
      ["embed-2", startEmbedService],
    ]);
    const alertConsumer = await consumeMessages({
      js: observer.js,
      stream: "FT_ALERTS",
      filterSubject: "ft.alerts.hall",
      type: Alert,
      handler: (a) => {
        alerts.push(a);
      },
    });
    try {
      // Garbage on each input subject first: each service counts it, sets it aside, and goes on.
      for (const kind of ["frames", "detections", "tracks"]) {
        await observer.js.publish(`ft.${kind}.hall`, new Uint8Array([0xff, 0x01, 0x02, 0x7f, 0x80]));
      }
      const ingest = await startPipeline(nats.url, config, [["ingest", startIngestService]]);
      const dlq = await waitFor(
        async () => {
          const n = await Promise.all(
            ["frames", "detections", "tracks"].map((k) =>
              counterValue(
                pipeline.metrics.get(k === "frames" ? "detect" : k === "detections" ? "track" : "alert"),
                "messagesDeadLettered",
                {
                  subject_kind: k,
                },
              ),
            ),
          );
          return n.every((v) => v === 1) ? n : undefined;
        },
        "one dead letter per input subject",
        60_000,
      );
      assert.deepEqual(dlq, [1, 1, 1]);
      const stored = await observer.jsm.streams.info("FT_DLQ");
      assert.equal(stored.state.messages, 3, "the three messages are kept on ft.dlq.*");

      // Both embed workers serve requests; then one leaves mid-run and the other takes over.
      await waitFor(
        async () =>
          (await counterValue(pipeline.metrics.get("embed-1"), "messagesIn", { subject_kind: "embed" })) >
            0 &&
          (await counterValue(second.metrics.get("embed-2"), "messagesIn", { subject_kind: "embed" })) > 0,
        "both embed workers received requests",
        60_000,
      );
      await second.stop();
      await waitFor(() => alerts.length >= 3, "an alert for each of the three faces", 90_000);
      await ingest.stop();
      assert.deepEqual(
        [...new Set(alerts.map((a) => a.trackId))].length,
        alerts.length,
        "one alert per track",
      );
    } finally {
      await alertConsumer.stop();
      await pipeline.stop();
      await observer.close();
      await nats.stop();
    }
  });

  it("survives a nats-server restart (file storage): services reconnect and go on, no alert lost or duplicated", async () => {
    const nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery-c"),
      alerts: { alert_mode: "ON_ALL" },
      cameras: [{ id: "hall", url: video, loop: true }],
    });
    const observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    const alerts: Alert[] = [];
    const pipeline = await startPipeline(nats.url, config, [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["track", startTrackService],
      ["detect", startDetectService],
      ["ingest", startIngestService],
    ]);
    const alertConsumer = await consumeMessages({
      js: observer.js,
      stream: "FT_ALERTS",
      durable: "test-observer",
      filterSubject: "ft.alerts.hall",
      type: Alert,
      handler: (a) => {
        alerts.push(a);
      },
    });
    const detectionsIn = () =>
      counterValue(pipeline.metrics.get("track"), "messagesIn", { subject_kind: "detections" });
    try {
      await waitFor(() => alerts.length >= 3, "the first alerts", 90_000);
      const before = await detectionsIn();
      await nats.restart();
      await waitFor(
        async () => (await detectionsIn()) >= before + 50,
        "detections flowing again after the restart",
        90_000,
      );
    } finally {
      await pipeline.services.get("ingest")?.stop();
    }
    try {
      const ids = alerts.map((a) => a.id);
      assert.equal(new Set(ids).size, ids.length, `no duplicate alert: ${ids}`);
      // The stream also records each alert's delivery status (ft.deliveries.<camera>): count the alerts.
      const stored = await observer.jsm.streams.info("FT_ALERTS", { subjects_filter: "ft.alerts.>" });
      assert.equal(
        stored.state.subjects?.["ft.alerts.hall"],
        alerts.length,
        "every stored alert was delivered, and only once",
      );
      assert.ok(alerts.length >= 3);
    } finally {
      await alertConsumer.stop();
      await pipeline.stop();
      await observer.close();
      await nats.stop();
    }
  });
});
