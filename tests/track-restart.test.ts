import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Bus,
  connectBus,
  consumeMessages,
  consumerAckFloor,
  ensureStreams,
  type MessageConsumer,
  openStateBucket,
  type StateBucket,
} from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import {
  Alert,
  type MessageType,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { FaceRecognizer } from "@facetracker/sdk";
import { startAlertService } from "@facetracker/service-alert";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService, type TrackServiceOptions, trackDurable } from "@facetracker/service-track";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { counterValue, type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// The track service stopped and started again mid-run, on a real nats-server with the whole pipeline and a
// looping generated camera (two still faces, amy enrolled): the faces keep their track IDs and each track
// alerts once, after a graceful stop as after a crash.

/** What the track service saves per camera (the parts read here). */
interface Saved {
  streamSeq: number;
  stage: { session: { counters: { frames: number } } };
}

describe("track service restart (real nats-server, generated looping camera)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let config: FaceTrackerConfig;
  let pipeline: RunningPipeline;
  let observer: Bus;
  let state: StateBucket;
  const observers: MessageConsumer[] = [];
  const events: TrackEvent[] = [];
  const alerts: Alert[] = [];
  const snapshots: TrackSnapshot[] = [];
  /** Stream sequence of the first detections message the first instance took in. */
  let firstSeq = 0;
  /** The running track service (each in its own harness, with its own connection). */
  let track: RunningPipeline | undefined;

  const startTrack = (options: TrackServiceOptions) =>
    startPipeline(nats.url, config, [["track", (deps) => startTrackService(deps, options)]]);
  const detectionsIn = (t: RunningPipeline | undefined) =>
    counterValue(t?.metrics.get("track"), "messagesIn", { subject_kind: "detections" });
  const savedSeq = async () => ((await state.get("lobby")) as Saved | undefined)?.streamSeq ?? 0;
  const confirmedIds = () =>
    [...new Set(events.filter((e) => e.type === TrackEventType.CONFIRMED).map((e) => e.trackId))].sort();
  /** IDs of the confirmed tracks in the live snapshots published since `from`. */
  const liveIds = (from: number) =>
    [
      ...new Set(
        snapshots
          .slice(from)
          .flatMap((s) => s.tracks.filter((t) => t.state === TrackStateKind.CONFIRMED).map((t) => t.trackId)),
      ),
    ].sort();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-track-restart-"));
    nats = await startNatsServer();
    const video = path.join(dir, "lobby.mp4");
    const { analyzer, amy } = await renderLobby(video, {
      frames: 25,
      amy: () => [80, 60],
      bea: () => [420, 140],
    });
    const photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
    const recognizer = await FaceRecognizer.create({ db_path: path.join(dir, "gallery") }, { analyzer });
    assert.equal((await recognizer.enroll("amy", [photo])).enrolled, 1);
    await recognizer.close();

    config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL" },
      cameras: [{ id: "lobby", url: video, loop: true, alert_mode: "ON_ALL" }],
    });
    observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    await ensureStreams(observer.jsm);
    const watch = async <T>(stream: string, filterSubject: string, type: MessageType<T>, into: T[]) => {
      observers.push(
        await consumeMessages({
          js: observer.js,
          stream,
          filterSubject,
          type,
          handler: (value) => {
            into.push(value);
          },
        }),
      );
    };
    await watch("FT_TRACKS", "ft.tracks.lobby", TrackEvent, events);
    await watch("FT_ALERTS", "ft.alerts.lobby", Alert, alerts);
    await watch("FT_SNAPSHOTS", "ft.snapshots.lobby", TrackSnapshot, snapshots);
    // Every service but track runs throughout.
    pipeline = await startPipeline(nats.url, config, [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["detect", startDetectService],
      ["ingest", startIngestService],
    ]);
    state = await openStateBucket(observer.js, "ft_track_state");
  });
  after(async () => {
    if (process.env.DEBUG_LOGS) console.log(pipeline.logs.join(""), track?.logs.join(""));
    for (const o of observers) await o.stop();
    await track?.stop();
    await pipeline?.stop();
    await observer?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a graceful stop saves the state: the new instance keeps the same faces' track IDs, and each track alerts once", async () => {
    track = await startTrack({ ackWaitMs: 1000 });
    await waitFor(() => alerts.length >= 2, "an alert for each face", 60_000);
    // The state is saved as the camera goes (about every second), not only at the stop.
    const first = await waitFor(savedSeq, "a saved state");
    await waitFor(async () => (await savedSeq()) > first, "the saved state moving on", 30_000);
    assert.deepEqual(confirmedIds(), [1, 2]);

    await track.stop();
    const final = (await state.get("lobby")) as Saved;
    // FT_DETECTIONS holds only this camera, and each message is taken in once: frames counts them all.
    firstSeq = final.streamSeq - final.stage.session.counters.frames + 1;
    assert.ok(
      (await savedSeq()) >= (await consumerAckFloor(observer.jsm, "FT_DETECTIONS", trackDurable("lobby"))),
      "the final save includes every acknowledged message",
    );
    const from = snapshots.length;
    // The next instance never saves on its own (a minute between saves): the crash below then comes long
    // after the last save.
    track = await startTrack({ ackWaitMs: 1000, saveIntervalMs: 60_000 });
    await waitFor(
      async () => (await detectionsIn(track)) >= 30,
      "30 frames tracked after the restart",
      60_000,
    );

    assert.deepEqual(liveIds(from), [1, 2], "the faces are tracked as 1 and 2 after the restart");
    assert.deepEqual(confirmedIds(), [1, 2], "no new track for a face that stayed in view");
    assert.deepEqual(alerts.map((a) => a.trackId).sort(), [1, 2], "one alert per track in all");
    assert.deepEqual(alerts.map((a) => a.identity?.name ?? "unknown").sort(), ["amy", "unknown"]);
    assert.equal(
      events.filter((e) => e.type === TrackEventType.IDENTIFIED).length,
      2,
      "each track identified once",
    );
  });

  it("after a crash (crash simulated by closing the connection without the final save), the new instance replays what was acknowledged since the last save: track IDs continue, no duplicate alert", async () => {
    const running = track as RunningPipeline;
    const tracked = await detectionsIn(running);
    await waitFor(
      async () => (await detectionsIn(running)) >= tracked + 20,
      "20 more frames tracked",
      60_000,
    );
    // The crash: the connection goes at once, with a message possibly in hand; nothing is saved.
    await (running.buses[0] as Bus).close();
    track = undefined;
    const saved = await savedSeq();
    const ackFloor = await consumerAckFloor(observer.jsm, "FT_DETECTIONS", trackDurable("lobby"));
    assert.ok(ackFloor - saved >= 20, `acknowledged after the last save: ${saved} → ${ackFloor}`);

    const from = snapshots.length;
    track = await startTrack({ ackWaitMs: 1000 });
    const replay = track.logs
      .map((line) => JSON.parse(line) as { msg: string; replayed?: number; fromSeq?: number; toSeq?: number })
      .find((l) => l.msg === "replayed the detections acknowledged after the last save");
    assert.deepEqual(
      { replayed: replay?.replayed, fromSeq: replay?.fromSeq, toSeq: replay?.toSeq },
      { replayed: ackFloor - saved, fromSeq: saved + 1, toSeq: ackFloor },
      "every message acknowledged since the last save replayed (the stream holds only this camera)",
    );
    await waitFor(async () => (await detectionsIn(track)) >= 30, "30 frames tracked after the crash", 60_000);

    assert.deepEqual(liveIds(from), [1, 2], "the faces are still tracked as 1 and 2");
    assert.deepEqual(confirmedIds(), [1, 2], "no new track for a face that stayed in view");
    const ids = alerts.map((a) => a.id);
    assert.equal(new Set(ids).size, ids.length, `no duplicate alert ID: ${ids}`);
    assert.deepEqual(
      alerts.map((a) => `${a.camera}/${a.trackId}`).sort(),
      ["lobby/1", "lobby/2"],
      "one alert per (camera, track)",
    );
    const now = (await state.get("lobby")) as Saved;
    assert.equal(
      now.stage.session.counters.frames,
      now.streamSeq - firstSeq + 1,
      "the state took in every detections message once, those acknowledged after the last save included",
    );
    const stored = await observer.jsm.streams.info("FT_ALERTS", { subjects_filter: "ft.alerts.lobby" });
    assert.deepEqual(
      stored.state.subjects,
      { "ft.alerts.lobby": 2 },
      "FT_ALERTS holds the two alerts, nothing more",
    );
  });

  it("a saved state it cannot read (another format version) is logged and that camera starts afresh: the service runs on", async () => {
    await (track as RunningPipeline).stop();
    track = undefined;
    const saved = (await state.get("lobby")) as { stage: { v: number } };
    await state.put("lobby", { ...saved, stage: { ...saved.stage, v: 2 } });
    track = await startTrack({ ackWaitMs: 1000 });
    const warnings = track.logs
      .map(
        (line) =>
          JSON.parse(line) as { level: string; msg: string; camera?: string; error?: { message?: string } },
      )
      .filter(
        (l) => l.level === "warn" && l.msg === "camera tracking state not restored: the camera starts afresh",
      )
      .map((l) => [l.camera, l.error?.message]);
    assert.deepEqual(warnings, [
      ["lobby", "CameraTrackStage snapshot: unsupported format version 2 (this build reads version 1)"],
    ]);
    const from = snapshots.length;
    await waitFor(async () => (await detectionsIn(track)) >= 10, "frames tracked by a fresh stage", 60_000);
    assert.deepEqual(liveIds(from), [1, 2], "a fresh tracker numbers the faces from 1 again");
    assert.ok(((await state.get("lobby")) as { stage: { v: number } }).stage.v === 1, "saved afresh");
  });
});
