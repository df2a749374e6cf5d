import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Bus,
  cameraLeaseHolder,
  connectBus,
  consumeMessages,
  desiredOwner,
  ensureStreams,
  type MessageConsumer,
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
import { type ServiceName, type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// Issue 18, 3(b): two ingest and two track instances, each its own process (as `up --instances` and
// `docker compose --scale` run them), split four looping cameras through leases on a real nats-server; one
// of each is SIGKILLed (nothing released, nothing saved).
// Its cameras move to the survivors once the leases expire, every camera goes on being tracked, the
// faces keep their track IDs (no track confirmed twice) and no alert is published twice.

const TTL_S = 3;
const CAMERAS = ["c1", "c2", "c3", "c4"];
const TRACKS = ["t1", "t2"];
const INGESTS = ["i1", "i2"];

describe("camera partitions: two ingest and two track instances, one of each killed (real nats-server)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let config: FaceTrackerConfig;
  let shared: RunningPipeline;
  let observer: Bus;
  const instances = new Map<string, ServiceProcess>();
  const instanceLogs: string[] = [];
  const observers: MessageConsumer[] = [];
  const events: TrackEvent[] = [];
  const alerts: Alert[] = [];
  const snapshots: TrackSnapshot[] = [];

  /** Who holds the camera's lease for the service now (undefined: nobody). */
  const holder = (service: string, camera: string) => cameraLeaseHolder(observer.jsm, service, camera);
  const heldBy = async (service: string, members: string[]) => {
    for (const camera of CAMERAS) {
      if ((await holder(service, camera)) !== desiredOwner(camera, members)) return false;
    }
    return true;
  };
  /** Snapshots of the camera with at least one confirmed track, from index `from` on. */
  const trackedFrames = (camera: string, from: number) =>
    snapshots
      .slice(from)
      .filter((s) => s.camera === camera && s.tracks.some((t) => t.state === TrackStateKind.CONFIRMED))
      .length;
  const liveIds = (camera: string, from: number) =>
    [
      ...new Set(
        snapshots
          .slice(from)
          .filter((s) => s.camera === camera)
          .flatMap((s) => s.tracks.filter((t) => t.state === TrackStateKind.CONFIRMED).map((t) => t.trackId)),
      ),
    ].sort();
  /** Starts instance `id` of the service as its own process, with FACETRACKER_INSTANCE=id. */
  const start = async (name: ServiceName, id: string) => {
    const child = await spawnServiceProcess({
      name,
      instance: id,
      configFile: path.join(dir, "config.json"),
      env: { FACETRACKER_INSTANCE: id, FACETRACKER_LOG_LEVEL: "info" },
      onLine: (line) => instanceLogs.push(`${id} ${line}`),
    });
    instances.set(id, child);
  };
  /** SIGKILL: nothing released, nothing saved. */
  const kill = async (id: string) => {
    const killed = instances.get(id) as ServiceProcess;
    instances.delete(id);
    assert.equal(await killed.kill(), "SIGKILL");
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-partitions-"));
    nats = await startNatsServer();
    const video = path.join(dir, "lobby.mp4");
    const { analyzer, amy } = await renderLobby(video, {
      frames: 10,
      fps: 5,
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
      // Every unknown track alerts (bea on each camera), not once per unknown person.
      alerts: { alert_mode: "ON_ALL", unknown_cooldown_s: 0 },
      partitions: { lease_ttl_s: TTL_S },
      cameras: CAMERAS.map((id) => ({ id, url: video, loop: true, fps: 5, alert_mode: "ON_ALL" })),
    });
    await writeFile(
      path.join(dir, "config.json"),
      JSON.stringify({ ...config, nats: { ...config.nats, url: nats.url } }),
    );
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
    await watch("FT_TRACKS", "ft.tracks.>", TrackEvent, events);
    await watch("FT_ALERTS", "ft.alerts.>", Alert, alerts);
    await watch("FT_SNAPSHOTS", "ft.snapshots.>", TrackSnapshot, snapshots);
    shared = await startPipeline(nats.url, config, [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["detect", startDetectService],
    ]);
    for (const id of TRACKS) await start("track", id);
    for (const id of INGESTS) await start("ingest", id);
  });
  after(async () => {
    if (process.env.DEBUG_LOGS) {
      console.log(instanceLogs.join("\n"), shared?.logs.join(""));
    }
    for (const o of observers) await o.stop();
    for (const p of instances.values()) await p.stop();
    await shared?.stop();
    await observer?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("splits the cameras, each owned by exactly one instance of each service, and every camera alerts", async () => {
    await waitFor(() => heldBy("track", TRACKS), "the cameras split between t1 and t2", 20_000);
    await waitFor(() => heldBy("ingest", INGESTS), "the cameras split between i1 and i2", 20_000);
    for (const camera of CAMERAS) {
      await waitFor(
        () => alerts.filter((a) => a.camera === camera).length >= 2,
        `an alert for each face on ${camera}`,
        60_000,
      );
    }
  });

  it("moves a killed instance's cameras to the survivor: tracked on, track IDs continue, no alert twice", async () => {
    // Kill the instance of each service that owns the most cameras (the split is fixed by the names).
    const mostCameras = (members: string[]) =>
      [...members].sort(
        (a, b) =>
          CAMERAS.filter((c) => desiredOwner(c, members) === b).length -
          CAMERAS.filter((c) => desiredOwner(c, members) === a).length,
      )[0] as string;
    const deadTrack = mostCameras(TRACKS);
    const deadIngest = mostCameras(INGESTS);
    const survivors = {
      track: TRACKS.filter((t) => t !== deadTrack),
      ingest: INGESTS.filter((i) => i !== deadIngest),
    };
    await kill(deadTrack);
    await kill(deadIngest);
    const from = snapshots.length;

    // Taken over once the leases expire (TTL, renewals every TTL/3): the wait allows two TTLs and more.
    await waitFor(() => heldBy("track", survivors.track), `every camera held by ${survivors.track}`, 15_000);
    await waitFor(
      () => heldBy("ingest", survivors.ingest),
      `every camera held by ${survivors.ingest}`,
      15_000,
    );
    for (const camera of CAMERAS) {
      await waitFor(
        () => trackedFrames(camera, from) >= 10,
        `10 frames of ${camera} tracked by the survivors`,
        60_000,
      );
    }

    for (const camera of CAMERAS) {
      assert.deepEqual(liveIds(camera, from), [1, 2], `${camera}: the faces are still tracked as 1 and 2`);
      const confirmed = events
        .filter((e) => e.camera === camera && e.type === TrackEventType.CONFIRMED)
        .map((e) => e.trackId)
        .sort();
      assert.deepEqual(confirmed, [1, 2], `${camera}: each track confirmed once, none started afresh`);
    }
    const ids = alerts.map((a) => a.id);
    assert.equal(new Set(ids).size, ids.length, `no alert ID published twice: ${ids}`);
    assert.deepEqual(
      alerts.map((a) => `${a.camera}/${a.trackId}`).sort(),
      CAMERAS.flatMap((c) => [`${c}/1`, `${c}/2`]),
      "one alert per (camera, track)",
    );
    const stored = await observer.jsm.streams.info("FT_ALERTS", { subjects_filter: "ft.alerts.>" });
    assert.deepEqual(
      stored.state.subjects,
      Object.fromEntries(CAMERAS.map((c) => [`ft.alerts.${c}`, 2])),
      "FT_ALERTS holds two alerts per camera, nothing more",
    );
  });
});
