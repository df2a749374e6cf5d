/**
 * One clip record per alert across a bus outage, as `facetracker up` met it: the clip recorder as a real
 * process, a real nats-server this test SIGKILLs and restarts on the same store (FT_FRAMES, in memory,
 * comes back empty), ffmpeg, local clip storage. A clip spooled during the outage whose alert comes back
 * to a new recorder process is announced once ("stored"), not recorded again and "failed: no frames to
 * record"; an alert whose pre-roll was lost in the outage gets a clip of what exists, "partial".
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, publishMessage, subject } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import {
  Alert,
  AlertDelivery,
  ClipEvent,
  Frame,
  FrameEncoding,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import sharp from "sharp";
import { metricSum } from "./helpers/prometheus-text.ts";

const CAMERA = "cam-out";
const FPS = 10;
const CLIP_FRAMES = 30; // 1.5 s before the trigger, 1.5 s from it on
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function renderFrame(seq: number): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><rect width="160" height="120" fill="#1d3557"/>` +
    `<text x="10" y="60" font-family="DejaVu Sans, sans-serif" font-size="28" fill="#ffffff">#${seq}</text></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

describe("one clip record per alert across a nats-server SIGKILL (real recorder process, ffmpeg)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let configFile: string;
  let recorder: ServiceProcess | undefined;
  const logs: string[] = [];

  const spawnRecorder = async () => {
    recorder = await spawnServiceProcess({
      name: "clip-recorder",
      configFile,
      env: { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "info" },
      onLine: (line) => logs.push(line),
    });
    return recorder;
  };

  const withBus = async <T>(use: (bus: Bus) => Promise<T>): Promise<T> => {
    const bus = await connectBus({ servers: [nats.url], name: "clip-test" });
    try {
      return await use(bus);
    } finally {
      await bus.close();
    }
  };

  /** Publishes frames `from`…`to` of the camera in real time with a snapshot each, and alerts after `alertsAt`. */
  async function runCamera(from: number, to: number, alertsAt: number[]): Promise<Alert[]> {
    return withBus(async (bus) => {
      const alerts: Alert[] = [];
      const start = Date.now();
      for (let seq = from; seq <= to; seq++) {
        const due = start + ((seq - from) * 1000) / FPS;
        if (due > Date.now()) await sleep(due - Date.now());
        const timeMs = Date.now();
        const pts = (seq - 1) / FPS;
        const frame = { camera: CAMERA, seq, pts, capturedAtMs: timeMs, width: 160, height: 120 };
        await publishMessage(bus.js, subject("frames", CAMERA), Frame, {
          ...frame,
          encoding: FrameEncoding.JPEG,
          data: await renderFrame(seq),
        });
        await publishMessage(
          bus.js,
          subject("snapshots", CAMERA),
          TrackSnapshot,
          TrackSnapshot.fromPartial({
            camera: CAMERA,
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
        if (alertsAt.includes(seq)) {
          const alert = Alert.fromPartial({
            id: `${CAMERA}-1-${seq}`,
            camera: CAMERA,
            trackId: 1,
            timeMs,
            seq,
            pts,
          });
          await publishMessage(bus.js, subject("alerts", CAMERA), Alert, alert, { msgId: alert.id });
          alerts.push(alert);
        }
      }
      return alerts;
    });
  }

  /** Every clip record (AlertDelivery with a clip status) and ClipEvent, read from the streams. */
  const published = () =>
    withBus(async (bus) => {
      const read = async <T>(stream: string, wanted: string, decode: (data: Uint8Array) => T) => {
        const { state } = await bus.jsm.streams.info(stream);
        const found: T[] = [];
        for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
          const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
          if (m?.subject === wanted) found.push(decode(m.data));
        }
        return found;
      };
      const deliveries = await read("FT_ALERTS", subject("deliveries", CAMERA), (d) =>
        AlertDelivery.decode(d),
      );
      const clips = await read("FT_CLIPS", subject("clips", CAMERA), (d) => ClipEvent.decode(d));
      return { records: deliveries.filter((d) => d.clipStatus !== ""), clips };
    });

  const recorderSettled = () =>
    withBus(async (bus) => {
      const info = await bus.jsm.consumers.info("FT_ALERTS", `clip-recorder_${CAMERA}`);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-clip-once-"));
    nats = await startNatsServer({ storeDir: path.join(dir, "nats") });
    configFile = path.join(dir, "config.json");
    const config = parseConfig({
      alerts: { clip_duration: CLIP_FRAMES },
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      cameras: [{ id: CAMERA, url: "rtsp://camera.invalid/out", fps: FPS }],
    });
    await writeFile(configFile, JSON.stringify(config));
    await spawnRecorder();
  });

  after(async () => {
    await recorder?.stop(5000);
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a clip spooled in the outage is stored once (not redone and failed); a lost pre-roll gives a partial clip", async () => {
    const before = await published();
    assert.deepEqual([before.records.length, before.clips.length], [0, 0]);

    // Alert A at frame 20; the recorder reads its pre-roll back and takes the post-roll live…
    const [alertA] = (await runCamera(1, 25, [20])) as [Alert];
    const framesIn = async () =>
      metricSum(await (await fetch(`${recorder?.httpUrl}/metrics`)).text(), "facetracker_messages_in_total", {
        subject_kind: "frames",
      });
    await waitFor(async () => (await framesIn()) >= 21, "frames 5–25 in the recording", 30_000);
    // …when the bus dies: the clip closes with what it has and is spooled; its alert is not acknowledged.
    process.kill(nats.pid, "SIGKILL");
    await nats.exited;
    await waitFor(
      () => logs.some((l) => l.includes('"msg":"clip recorded"') && l.includes(alertA.id)),
      "the clip spooled",
      60_000,
    );
    await recorder?.kill(); // the acknowledgement it holds dies with it
    await nats.restart();
    await spawnRecorder();

    // Frames 26–40 were lost in the outage: alert B's pre-roll (30–44) is mostly gone.
    const [alertB] = (await runCamera(41, 62, [45])) as [Alert];
    await waitFor(async () => (await published()).records.length >= 2, "a clip record per alert", 120_000);
    await waitFor(recorderSettled, "the alerts acknowledged (A redelivered to the new process)", 120_000);

    const after = await published();
    const recordsOf = (alert: Alert) => after.records.filter((r) => r.alertId === alert.id);
    assert.deepEqual(
      recordsOf(alertA).map((r) => r.clipStatus),
      ["stored"],
      "A: one record, stored (never failed)",
    );
    assert.deepEqual(
      recordsOf(alertB).map((r) => [r.clipStatus, r.clipMissing]),
      [["partial", "pre-roll lost: 1.1 s of 1.5 s"]],
    );
    assert.equal(after.clips.length, 2, "one ClipEvent per clip");
    const clipB = after.clips.find((c) => c.alertId === alertB.id);
    assert.equal(clipB?.partial, true);
    assert.equal(clipB?.frames, 30 - 11, "frames 41–59");
    for (const clip of after.clips) {
      assert.ok(existsSync(path.join(dir, "clips", clip.key)), `${clip.key} is stored`);
    }
    assert.ok(
      logs.some(
        (l) => l.includes("alert seen before: its clip is not recorded again") && l.includes(alertA.id),
      ),
      "A came back to the new process and was not recorded again",
    );
  });
});
