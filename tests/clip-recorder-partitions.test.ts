import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
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
  publishMessage,
  subject,
  typedBus,
} from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import {
  Alert,
  AlertDelivery,
  ClipEvent,
  Frame,
  FrameEncoding,
  type MessageType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { type ClipRecorderOptions, startClipRecorderService } from "@facetracker/service-clip-recorder";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import sharp from "sharp";
import { counterValue, type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// Issue 18: two clip-recorder instances split four cameras through leases on a real nats-server (ffmpeg,
// local clip storage shared by both, a spool each through `{instance}` in storage.spool_path). Each
// camera's alerts are recorded by its owner only, one clip record per alert. One instance is killed (its
// connection closed at once, nothing released) while it records an alert: once its leases expire the
// survivor records its cameras' later alerts, and the alert it held comes back to the survivor and is
// recorded once. An upgraded site's old single consumer ("clip-recorder") is where the per-camera
// consumers start: an alert it had acknowledged is not recorded again.

const TTL_S = 3;
const FPS = 10;
const CLIP_FRAMES = 30; // 1.5 s before the trigger, 1.5 s from it on
const CAMERAS = ["c1", "c2", "c3", "c4"];
const INSTANCES = ["rec-a", "rec-b"];
const OPTIONS: ClipRecorderOptions = {
  stallMs: 4000,
  snapshotWaitMs: 500,
  stopGraceMs: 500,
  retry: { initialMs: 200, maxMs: 1000 },
  alertCamerasIntervalMs: 500,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("clip recorder partitions: two instances split the cameras, one killed mid-clip (real nats-server, ffmpeg)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let config: FaceTrackerConfig;
  let observer: Bus;
  let jpeg: Buffer;
  const instances = new Map<string, RunningPipeline>();
  const observers: MessageConsumer[] = [];
  const clips: ClipEvent[] = [];
  const deliveries: AlertDelivery[] = [];
  /** Alerts asked for, published right after the camera's next frame. */
  const wanted = new Map<string, ((alert: Alert) => void)[]>();
  let cameras: Promise<void> | undefined;
  let running = true;

  /** Who holds the camera's clip-recorder lease now (undefined: nobody). */
  const holder = (camera: string) => cameraLeaseHolder(observer.jsm, "clip-recorder", camera);
  const heldBy = async (members: string[]) => {
    for (const camera of CAMERAS) {
      if ((await holder(camera)) !== desiredOwner(camera, members)) return false;
    }
    return true;
  };
  const start = async (name: string) => {
    instances.set(
      name,
      await startPipeline(nats.url, config, [
        ["clip-recorder", (deps) => startClipRecorderService({ ...deps, instance: name }, OPTIONS)],
      ]),
    );
  };
  /** SIGKILL, as near as one process gets: the connection goes at once, then the leftovers are stopped. */
  const kill = async (name: string) => {
    const killed = instances.get(name) as RunningPipeline;
    instances.delete(name);
    await (killed.buses[0] as Bus).close();
    await killed.stop().catch(() => {});
  };
  /** Publishes an alert on the camera right after its next frame. */
  const alertOn = (camera: string): Promise<Alert> =>
    new Promise((resolve) => {
      wanted.set(camera, [...(wanted.get(camera) ?? []), resolve]);
    });
  /** The records (AlertDelivery with a clip status) of an alert. */
  const recordsOf = (alert: Alert) => deliveries.filter((d) => d.alertId === alert.id && d.clipStatus !== "");
  /** The instances that announced the alert's clip (their "clip stored" log line). */
  const announcedBy = (alert: Alert, names: Iterable<string>) =>
    [...names].filter((name) =>
      instances
        .get(name)
        ?.logs.some((line) => line.includes('"msg":"clip stored"') && line.includes(`"${alert.id}"`)),
    );

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-clip-partitions-"));
    nats = await startNatsServer();
    jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: "#1d3557" } })
      .jpeg()
      .toBuffer();
    config = parseConfig({
      alerts: { clip_duration: CLIP_FRAMES },
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool-{instance}") },
      partitions: { lease_ttl_s: TTL_S },
      cameras: CAMERAS.map((id) => ({ id, url: `rtsp://camera.invalid/${id}`, fps: FPS })),
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
    await watch("FT_CLIPS", "ft.clips.>", ClipEvent, clips);
    await watch("FT_ALERTS", "ft.deliveries.>", AlertDelivery, deliveries);

    // Every camera sends frames (with a snapshot each) in real time, alerts where asked.
    cameras = (async () => {
      const began = Date.now();
      for (let seq = 1; running; seq++) {
        const due = began + ((seq - 1) * 1000) / FPS;
        if (due > Date.now()) await sleep(due - Date.now());
        const timeMs = Date.now();
        const pts = (seq - 1) / FPS;
        for (const camera of CAMERAS) {
          const frame = { camera, seq, pts, capturedAtMs: timeMs, width: 160, height: 120 };
          await publishMessage(observer.js, subject("frames", camera), Frame, {
            ...frame,
            encoding: FrameEncoding.JPEG,
            data: jpeg,
          });
          await publishMessage(
            observer.js,
            subject("snapshots", camera),
            TrackSnapshot,
            TrackSnapshot.fromPartial({
              camera,
              seq,
              pts,
              timeMs,
              width: 160,
              height: 120,
              tracks: [
                {
                  trackId: 1,
                  state: TrackStateKind.CONFIRMED,
                  box: { x1: 40, y1: 30, x2: 100, y2: 90 },
                  embedded: false,
                },
              ],
            }),
          );
          for (const resolve of wanted.get(camera) ?? []) {
            const alert = Alert.fromPartial({
              id: `${camera}-1-${seq}`,
              camera,
              trackId: 1,
              timeMs,
              seq,
              pts,
            });
            await publishMessage(observer.js, subject("alerts", camera), Alert, alert, { msgId: alert.id });
            resolve(alert);
          }
          wanted.delete(camera);
        }
      }
    })();
  });

  after(async () => {
    running = false;
    await cameras;
    if (process.env.DEBUG_LOGS) console.log([...instances.values()].flatMap((p) => p.logs).join(""));
    for (const o of observers) await o.stop();
    for (const p of instances.values()) await p.stop();
    await observer?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts each camera's consumer after an upgraded site's single consumer: what it acknowledged is not redone", async () => {
    // The earlier version's one consumer of every camera's alerts, which had acknowledged this alert.
    const acknowledged = await alertOn("c1");
    await observer.jsm.consumers.add("FT_ALERTS", {
      durable_name: "clip-recorder",
      ack_policy: "explicit",
      filter_subject: "ft.alerts.>",
    });
    const taken = await (await observer.js.consumers.get("FT_ALERTS", "clip-recorder")).next();
    assert.equal(taken?.subject, "ft.alerts.c1");
    await taken?.ackAck();
    const floor = await typedBus(observer).ackFloor("alerts", "clip-recorder");
    assert.ok(floor >= 1, `the old consumer's floor is past the alert (${floor})`);

    for (const name of INSTANCES) await start(name);
    await waitFor(() => heldBy(INSTANCES), `the cameras split between ${INSTANCES}`, 20_000);
    assert.deepEqual(
      INSTANCES.map((name) => CAMERAS.filter((c) => desiredOwner(c, INSTANCES) === name).length > 0),
      [true, true],
      "each instance owns a camera",
    );
    for (const name of INSTANCES) {
      assert.ok(existsSync(path.join(dir, `spool-${name}`, "alerts.log")), `${name} has its own spool`);
    }
    const info = await observer.jsm.consumers.info("FT_ALERTS", "clip-recorder_c1");
    assert.equal(info.config.opt_start_seq, floor + 1, "c1's consumer starts after the old floor");
    assert.deepEqual(recordsOf(acknowledged), []);
  });

  it("records each camera's alert on the instance that owns the camera, once", async () => {
    const alerts = await Promise.all(CAMERAS.map((camera) => alertOn(camera)));
    for (const alert of alerts) {
      await waitFor(() => recordsOf(alert).length > 0, `a clip record for ${alert.id}`, 30_000);
    }
    for (const alert of alerts) {
      assert.deepEqual(
        recordsOf(alert).map((r) => r.clipStatus),
        ["stored"],
      );
      assert.deepEqual(
        announcedBy(alert, INSTANCES),
        [desiredOwner(alert.camera, INSTANCES)],
        `${alert.id} recorded by its camera's owner only`,
      );
      const clip = clips.filter((c) => c.alertIds.includes(alert.id));
      assert.equal(clip.length, 1, `one ClipEvent for ${alert.id}`);
      assert.ok(
        existsSync(path.join(dir, "clips", clip[0]?.key as string)),
        "stored in the shared directory",
      );
    }
  });

  it("moves a killed instance's cameras to the survivor: the alert it held is recorded once, later ones too", async () => {
    const [dead, survivor] = ["rec-b", "rec-a"] as [string, string];
    const deadCameras = CAMERAS.filter((c) => desiredOwner(c, INSTANCES) === dead);
    const alertsIn = () =>
      counterValue(instances.get(dead)?.metrics.get("clip-recorder"), "messagesIn", {
        subject_kind: "alerts",
      });
    const before = await alertsIn();
    // An alert in work at the kill: taken (its post-roll still coming), not acknowledged.
    const held = await alertOn(deadCameras[0] as string);
    await waitFor(async () => (await alertsIn()) > before, `${dead} to take ${held.id}`, 10_000);
    await kill(dead);

    await waitFor(() => heldBy([survivor]), `every camera held by ${survivor}`, 20_000);
    const later = await Promise.all(CAMERAS.map((camera) => alertOn(camera)));
    for (const alert of [held, ...later]) {
      await waitFor(() => recordsOf(alert).length > 0, `a clip record for ${alert.id}`, 30_000);
    }
    // Everything acknowledged: no redelivery still to come that could record an alert twice.
    const settled = async () => {
      for (const camera of CAMERAS) {
        const info = await observer.jsm.consumers.info("FT_ALERTS", `clip-recorder_${camera}`);
        if (info.num_pending + info.num_ack_pending > 0) return false;
      }
      return true;
    };
    await waitFor(settled, "every camera's alerts acknowledged", 30_000);
    for (const alert of [held, ...later]) {
      assert.deepEqual(
        recordsOf(alert).map((r) => r.clipStatus),
        ["stored"],
        `${alert.id}: one clip record`,
      );
      assert.equal(
        clips.filter((c) => c.alertIds.includes(alert.id)).length,
        1,
        `one ClipEvent for ${alert.id}`,
      );
      assert.deepEqual(announcedBy(alert, [survivor]), [survivor], `${alert.id} recorded by ${survivor}`);
    }
  });
});
