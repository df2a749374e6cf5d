import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus, consumeMessages } from "@facetracker/bus";
import { type NatsTestServer, startNatsServer, waitFor } from "@facetracker/bus/testing";
import { samplePhotos } from "@facetracker/cli/sample-faces";
import { type Actor, locateFace, renderScene, sampleFaces } from "@facetracker/cli/synthetic-video";
import { parseConfig } from "@facetracker/config";
import { Alert, TrackEvent, TrackEventType } from "@facetracker/proto";
import { FaceRecognizer } from "@facetracker/sdk";
import { startAlertService } from "@facetracker/service-alert";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import sharp from "sharp";
import { startPipeline } from "./helpers/pipeline-harness.ts";

describe("pipeline end to end on NATS JetStream (real nats-server, generated camera video)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let video: string;
  const frames = 50;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-e2e-"));
    nats = await startNatsServer();
    const analyzer = await FaceAnalyzer.create();
    const [amy, bea] = (await sampleFaces(
      analyzer,
      samplePhotos(),
      [
        [0, 0],
        [5, 0],
      ],
      70,
    )) as [RgbImage, RgbImage];
    const actors: Actor[] = [
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: (f) => [60 + 2 * f, 50],
      },
      {
        name: "bea",
        picture: bea,
        faceInPicture: await locateFace(analyzer, bea),
        position: () => [420, 140],
      },
    ];
    video = path.join(dir, "lobby.mp4");
    await renderScene(video, { width: 640, height: 360, fps: 25, frames, actors });
    const photo = path.join(dir, "amy.jpg");
    await sharp(amy.data, { raw: { width: amy.width, height: amy.height, channels: 3 } })
      .flop()
      .jpeg()
      .toFile(photo);
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
