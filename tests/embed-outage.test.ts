/**
 * Work waits for its worker (issue 12, item 5): the pipeline's services as processes on a real nats-server
 * and a looping camera (amy, enrolled, and bea, unknown). First no embed worker runs at all while the
 * faces appear, then one starts; later the only embed worker is SIGKILLed while detections flow and
 * another starts a few seconds later. Nothing is dead-lettered, tracks go on meanwhile and those not
 * identified yet show `identifying` (never "unknown"), amy's track keeps her name through the second
 * outage, and each track alerts once.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, consumeMessages, ensureStreams, type MessageConsumer } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import {
  Alert,
  type MessageType,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { FaceRecognizer } from "@facetracker/sdk";
import { type ServiceName, type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { renderLobby } from "./helpers/lobby-video.ts";
import { metricSum } from "./helpers/prometheus-text.ts";

const OUTAGE_STARTS = "no embed worker answers";
const OUTAGE_ENDS = "the embed workers answer again: identification resumes";

describe("embed workers missing (real nats-server, services as processes, looping camera)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let observer: Bus;
  let configFile: string;
  const children: ServiceProcess[] = [];
  const observers: MessageConsumer[] = [];
  const logs: { service: string; line: string }[] = [];
  const events: TrackEvent[] = [];
  const alerts: Alert[] = [];
  const snapshots: TrackSnapshot[] = [];

  const spawn = async (name: ServiceName, instance?: string) => {
    const child = await spawnServiceProcess({
      name,
      ...(instance ? { instance } : {}),
      configFile,
      env: { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "info" },
      onLine: (line) => logs.push({ service: name, line }),
    });
    children.push(child);
    return child;
  };
  const metric = async (p: ServiceProcess, name: string, labels: Record<string, string> = {}) =>
    metricSum(await (await fetch(`${p.httpUrl}/metrics`)).text(), name, labels);
  const trackLog = (msg: string) =>
    logs.filter((l) => l.service === "track" && l.line.includes(`"msg":"${msg}`)).length;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-embed-outage-"));
    nats = await startNatsServer();
    const video = path.join(dir, "lobby.mp4");
    const { analyzer, amy } = await renderLobby(video, {
      frames: 250,
      // Both stay in view for the whole loop (amy sways), so their tracks go on across the loops.
      amy: (f) => [80 + 60 * Math.sin(f / 20), 60],
      bea: () => [420, 140],
    });
    const photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
    const recognizer = await FaceRecognizer.create({ db_path: path.join(dir, "gallery") }, { analyzer });
    assert.equal((await recognizer.enroll("amy", [photo])).enrolled, 1);
    await recognizer.close();
    configFile = path.join(dir, "config.json");
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL" },
      cameras: [{ id: "lobby", url: video, loop: true, alert_mode: "ON_ALL" }],
    });
    await writeFile(configFile, JSON.stringify(config));

    observer = await connectBus({ servers: [nats.url], name: "embed-outage-observer" });
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
  });
  after(async () => {
    if (process.env.DEBUG_LOGS) console.log(logs.map((l) => l.line).join("\n"));
    for (const child of [...children].reverse()) await child.stop(5000);
    for (const o of observers) await o.stop();
    await observer?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("no embed worker at first, then the only one SIGKILLed mid-run and another started: no dead letter, tracks identifying meanwhile, amy keeps her name, one alert per track", async () => {
    // 1. Everything but embed: faces appear, are tracked and confirmed, and wait as identifying.
    await spawn("alert");
    const track = await spawn("track");
    await spawn("detect");
    await spawn("ingest");
    const detectionsIn = () => metric(track, "facetracker_messages_in_total", { subject_kind: "detections" });
    const deferred = () => metric(track, "facetracker_identifications_deferred_total");
    await waitFor(
      () =>
        snapshots.some(
          (s) => s.tracks.filter((t) => t.state === TrackStateKind.CONFIRMED && t.trackId > 0).length === 2,
        ),
      "both faces confirmed without an embed worker",
      120_000,
    );
    const waited = await detectionsIn();
    await waitFor(async () => (await detectionsIn()) >= waited + 50, "50 more frames tracked", 60_000);
    const confirmedMeanwhile = snapshots.flatMap((s) => s.tracks).filter((t) => t.trackId > 0);
    assert.ok(
      confirmedMeanwhile.every((t) => t.identifying && t.identity === undefined),
      "without a worker every confirmed track is identifying, none unknown",
    );
    assert.ok(
      events.some((e) => e.type === TrackEventType.CONFIRMED && e.identifying),
      "confirmed events say identifying",
    );
    assert.equal(alerts.length, 0, "no alert before anyone is identified");
    assert.ok((await deferred()) > 0, "identifications deferred");

    // A worker starts: the waiting tracks are identified and alert, once each.
    let embed = await spawn("embed", "1");
    await waitFor(() => alerts.length >= 2, "an alert for each face once a worker answers", 60_000);
    const amyTrack = alerts.find((a) => a.identity?.name === "amy")?.trackId;
    assert.ok(amyTrack, `amy identified: ${alerts.map((a) => a.identity?.name ?? "unknown")}`);

    // 2. The only worker SIGKILLed while detections flow; another starts a few seconds later.
    await embed.kill();
    const deferredAtKill = await deferred();
    const atKill = await detectionsIn();
    await waitFor(async () => (await deferred()) > deferredAtKill, "an identification deferred", 60_000);
    await waitFor(
      async () => (await detectionsIn()) >= atKill + 50,
      "50 frames tracked without a worker",
      60_000,
    );
    embed = await spawn("embed", "2");
    await waitFor(
      () => trackLog(OUTAGE_ENDS) === 2,
      "identification resumed after the second outage",
      60_000,
    );
    const resumed = await detectionsIn();
    await waitFor(async () => (await detectionsIn()) >= resumed + 25, "25 frames tracked after it", 60_000);

    // Nothing dead-lettered, by any service or on the bus.
    const { state } = await observer.jsm.streams.info("FT_DLQ");
    assert.equal(state.messages, 0, "FT_DLQ is empty");
    for (const child of children.filter((c) => !c.id.startsWith("embed"))) {
      assert.equal(
        await metric(child, "facetracker_messages_dead_lettered_total"),
        0,
        `${child.id}: no dead letter`,
      );
    }
    assert.deepEqual(
      logs.filter((l) => l.line.includes("dead-lettered")).map((l) => l.line),
      [],
    );
    // Each outage logged once when it began and once when it ended, whatever the frames in between.
    assert.equal(trackLog(OUTAGE_STARTS), 2);
    assert.equal(trackLog(OUTAGE_ENDS), 2);

    // amy's track was never unknown: identifying until her first identification, then amy throughout.
    const amySeen = snapshots.flatMap((s) => s.tracks.filter((t) => t.trackId === amyTrack));
    const named = amySeen.findIndex((t) => t.identity?.name === "amy");
    assert.ok(named >= 0);
    assert.ok(
      amySeen.slice(0, named).every((t) => t.identifying && t.identity === undefined),
      "identifying before she was named",
    );
    assert.deepEqual(
      [...new Set(amySeen.slice(named).map((t) => t.identity?.name ?? "unknown"))],
      ["amy"],
      "amy after she was named, through the second outage",
    );
    const last = snapshots.at(-1);
    assert.equal(
      last?.tracks.find((t) => t.trackId === amyTrack)?.identity?.name,
      "amy",
      "the same track, still amy, at the end",
    );
    assert.deepEqual(
      events.filter((e) => e.type === TrackEventType.IDENTITY_CHANGED),
      [],
      "no identity changed",
    );
    assert.deepEqual(
      alerts.map((a) => [a.trackId, a.identity?.name ?? "unknown"]).sort(),
      [
        [amyTrack, "amy"],
        [alerts.find((a) => a.trackId !== amyTrack)?.trackId, "unknown"],
      ].sort(),
      "one alert per track in all",
    );
  });
});
