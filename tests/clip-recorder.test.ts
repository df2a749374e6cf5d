import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type Bus,
  connectBus,
  consumeMessages,
  ensureStreams,
  type MessageConsumer,
  publishMessage,
  subject,
} from "@facetracker/bus";
import type { ClipResults } from "@facetracker/clip-recording";
import { type ClipStorage, openClipStorage } from "@facetracker/clips";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import {
  Alert,
  AlertDelivery,
  ClipEvent,
  Frame,
  FrameEncoding,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { type ClipRecorderOptions, startClipRecorderService } from "@facetracker/service-clip-recorder";
import { spawnServiceProcess } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type S3TestServer, startS3Server } from "@facetracker/testing/clips";
import sharp from "sharp";
import { counterValue, type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// The clip recorder against a real nats-server, s3rver and ffmpeg: frames of generated cameras (a moving
// square with the frame number, 320×240 at 10 fps, with a tracked "face" box per frame) are published in real
// time; alerts at chosen frames must give H.264 clips of clip_duration frames around them, merged when they
// overlap, stored exactly once even when S3 is down for a while and the service restarts meanwhile.

const run = promisify(execFile);
const WIDTH = 320;
const HEIGHT = 240;
const FPS = 10;
const CLIP_FRAMES = 30; // 1.5 s before the trigger, 1.5 s from it on
const OPTIONS: ClipRecorderOptions = {
  // Long enough that a loaded machine delaying frames does not close a clip early (CI saw 8 of 30 frames).
  stallMs: 4000,
  snapshotWaitMs: 1000,
  stopGraceMs: 1000,
  retry: { initialMs: 200, maxMs: 1000 },
};

/** The moving square of frame `seq` (also the tracked box). */
function squareAt(seq: number): { x: number; y: number; size: number } {
  return { x: 20 + ((seq * 9) % 220), y: 70 + ((seq * 5) % 100), size: 60 };
}

async function renderFrame(seq: number): Promise<Uint8Array> {
  const { x, y, size } = squareAt(seq);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">` +
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#1d3557"/>` +
    `<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="#f4a261"/>` +
    `<text x="10" y="34" font-family="DejaVu Sans, sans-serif" font-size="28" fill="#ffffff">#${seq}</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Probe {
  codec: string;
  frames: number;
  durationS: number;
  width: number;
  height: number;
}

async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,nb_read_frames,width,height:format=duration",
    "-of",
    "json",
    file,
  ]);
  const info = JSON.parse(stdout) as {
    streams: { codec_name: string; nb_read_frames: string; width: number; height: number }[];
    format: { duration: string };
  };
  const stream = info.streams[0];
  assert.ok(stream, `${file} has a video stream`);
  return {
    codec: stream.codec_name,
    frames: Number(stream.nb_read_frames),
    durationS: Number(info.format.duration),
    width: stream.width,
    height: stream.height,
  };
}

/** The first frame of a video as raw RGB. */
async function firstFrame(file: string): Promise<Buffer> {
  const { stdout } = await run(
    "ffmpeg",
    ["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    { encoding: "buffer", maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

describe("clip recorder (real nats-server, s3rver, ffmpeg)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let s3: S3TestServer;
  let bucket: ClipStorage;
  let observer: Bus;
  const observers: MessageConsumer[] = [];
  const clips: ClipEvent[] = [];
  const deliveries: AlertDelivery[] = [];
  let service: RunningPipeline | undefined;
  let jpegs: Uint8Array[] = [];

  const s3Config = (): FaceTrackerConfig =>
    parseConfig({
      alerts: { clip_duration: CLIP_FRAMES, clip_annotated: true },
      storage: {
        endpoint: s3.endpoint,
        bucket: s3.bucket,
        access_key: s3.accessKey,
        secret_key: s3.secretKey,
        url_expiration_s: 600,
        spool_path: path.join(dir, "spool-s3"),
      },
      // cam-s3's rate is configured; cam-busy's is estimated from the frames' pts.
      cameras: [{ id: "cam-s3", url: "rtsp://camera.invalid/s3", fps: FPS }],
    });

  const startService = async (config: FaceTrackerConfig, options: ClipRecorderOptions = {}) => {
    service = await startPipeline(nats.url, config, [
      ["clip-recorder", (deps) => startClipRecorderService(deps, { ...OPTIONS, ...options })],
    ]);
    return service;
  };
  const stopService = async () => {
    await service?.stop();
    service = undefined;
  };
  const metricsOf = () => service?.metrics.get("clip-recorder");
  const outboxDepth = async () =>
    (await metricsOf()?.queueDepth.get())?.values.find((v) => v.labels.queue === "clip outbox")?.value ?? 0;

  /**
   * Publishes `frames` frames of `camera` in real time (10 fps) with a TrackSnapshot each (one confirmed
   * track on the square, "amy" on even frames, unknown on odd ones), and an Alert right after each frame
   * listed in `alertsAt`; returns the alerts.
   */
  async function runCamera(camera: string, frames: number, alertsAt: number[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    const start = Date.now();
    for (let seq = 1; seq <= frames; seq++) {
      const due = start + ((seq - 1) * 1000) / FPS;
      if (due > Date.now()) await sleep(due - Date.now());
      const timeMs = Date.now();
      const pts = (seq - 1) / FPS;
      await publishMessage(observer.js, subject("frames", camera), Frame, {
        camera,
        seq,
        pts,
        capturedAtMs: timeMs,
        width: WIDTH,
        height: HEIGHT,
        encoding: FrameEncoding.JPEG,
        data: Buffer.from(jpegs[seq - 1] as Uint8Array),
      });
      const { x, y, size } = squareAt(seq);
      await publishMessage(
        observer.js,
        subject("snapshots", camera),
        TrackSnapshot,
        TrackSnapshot.fromPartial({
          camera,
          seq,
          pts,
          timeMs,
          width: WIDTH,
          height: HEIGHT,
          tracks: [
            {
              trackId: 1,
              state: TrackStateKind.CONFIRMED,
              box: { x1: x, y1: y, x2: x + size, y2: y + size },
              ...(seq % 2 === 0
                ? { identity: { id: "id-amy", name: "amy", attributes: {}, similarity: 0.7 } }
                : {}),
              embedded: false,
            },
          ],
        }),
      );
      if (alertsAt.includes(seq)) {
        const alert = Alert.fromPartial({
          id: `${camera}-1-${seq}`,
          camera,
          trackId: 1,
          timeMs,
          seq,
          pts,
          mode: "ON_ALL",
        });
        await publishMessage(observer.js, subject("alerts", camera), Alert, alert, { msgId: alert.id });
        alerts.push(alert);
      }
    }
    return alerts;
  }

  const clipOf = (camera: string) =>
    waitFor(() => clips.find((c) => c.camera === camera), `the clip of ${camera}`);
  const deliveryOf = (alertId: string, status: string) =>
    waitFor(
      () => deliveries.find((d) => d.alertId === alertId && d.clipStatus === status),
      `clip_status ${status} of ${alertId}`,
    );

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-clip-recorder-"));
    [nats, s3] = await Promise.all([startNatsServer(), startS3Server()]);
    bucket = openClipStorage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      access_key: s3.accessKey,
      secret_key: s3.secretKey,
    });
    jpegs = await Promise.all(Array.from({ length: 55 }, (_, i) => renderFrame(i + 1)));
    observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    await ensureStreams(observer.jsm);
    observers.push(
      await consumeMessages({
        js: observer.js,
        stream: "FT_CLIPS",
        filterSubject: "ft.clips.>",
        type: ClipEvent,
        handler: (clip) => {
          clips.push(clip);
        },
      }),
      await consumeMessages({
        js: observer.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.deliveries.>",
        type: AlertDelivery,
        handler: (delivery) => {
          deliveries.push(delivery);
        },
      }),
    );
    await startService(s3Config());
  });

  after(async () => {
    await stopService();
    for (const o of observers) await o.stop();
    await observer?.close();
    await bucket?.close?.();
    await s3?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records clip_duration frames around an alert into S3, with results and an annotated copy", async () => {
    const [alert] = (await runCamera("cam-s3", 40, [20])) as [Alert];
    const clip = await clipOf("cam-s3");
    assert.deepEqual(clip.alertIds, [alert.id]);
    assert.equal(clip.alertId, alert.id);
    assert.match(clip.key, /^cam-s3\/\d{4}-\d\d-\d\d\/\d{6}-cam-s3-1-20\.mp4$/);
    assert.equal(clip.frames, CLIP_FRAMES);
    assert.equal(clip.fps, FPS);
    assert.ok(clip.startMs <= alert.timeMs && alert.timeMs <= clip.endMs, "the alert is inside the clip");

    const response = await fetch(clip.url);
    assert.equal(response.status, 200, "the presigned URL downloads the clip");
    const video = path.join(dir, "s3.mp4");
    await writeFile(video, new Uint8Array(await response.arrayBuffer()));
    const probe = await ffprobe(video);
    assert.equal(probe.codec, "h264");
    assert.equal(probe.width, WIDTH);
    assert.ok(Math.abs(probe.frames - CLIP_FRAMES) <= 2, `${probe.frames} frames`);
    assert.ok(Math.abs(probe.durationS - CLIP_FRAMES / FPS) <= 0.25, `${probe.durationS} s`);

    const results = JSON.parse(Buffer.from(await bucket.get(clip.jsonKey)).toString("utf8")) as ClipResults;
    assert.equal(results.camera, "cam-s3");
    assert.deepEqual(results.alert_ids, [alert.id]);
    assert.equal(results.frames, CLIP_FRAMES);
    assert.equal(results.window.complete, true);
    assert.equal(results.per_frame.length, CLIP_FRAMES);
    const trigger = results.alerts[0]?.frame_index;
    assert.equal(trigger, CLIP_FRAMES / 2, "half the clip is before the trigger");
    assert.equal(results.per_frame[trigger]?.seq, 20);
    assert.deepEqual(
      results.per_frame.map((f) => f.seq),
      Array.from({ length: CLIP_FRAMES }, (_, i) => 5 + i),
    );
    const firstTrack = results.per_frame[0]?.tracks?.[0];
    const { x, y, size } = squareAt(5);
    assert.deepEqual(firstTrack?.box, [x, y, x + size, y + size]);
    assert.equal(firstTrack?.track_id, 1);
    assert.equal(firstTrack?.state, "confirmed");
    assert.equal(results.per_frame[1]?.tracks?.[0]?.identity?.name, "amy");
    assert.equal(results.per_frame[1]?.tracks?.[0]?.similarity.toFixed(2), "0.70");
    assert.equal(results.frames_without_results, 0);

    assert.equal(clip.annotatedKey, clip.key.replace(/\.mp4$/, ".annotated.mp4"));
    const annotated = path.join(dir, "s3.annotated.mp4");
    await writeFile(annotated, await bucket.get(clip.annotatedKey));
    const annotatedProbe = await ffprobe(annotated);
    assert.equal(annotatedProbe.codec, "h264");
    assert.equal(annotatedProbe.frames, probe.frames);
    // The box of frame 5 is drawn on the annotated copy only: its left edge changes colour there.
    const [plain, drawn] = await Promise.all([firstFrame(video), firstFrame(annotated)]);
    const edge = ((y + size / 2) * WIDTH + x) * 3;
    const difference =
      Math.abs((plain[edge] ?? 0) - (drawn[edge] ?? 0)) +
      Math.abs((plain[edge + 1] ?? 0) - (drawn[edge + 1] ?? 0));
    assert.ok(difference > 60, `the box is drawn (colour difference ${difference})`);

    const delivery = await deliveryOf(alert.id, "stored");
    assert.equal(delivery.clipKey, clip.key);
    assert.equal(delivery.clipUrl, clip.url);
    assert.equal(delivery.camera, "cam-s3");
    assert.equal(delivery.notificationStatus, "", "the notification fields are the alert service's");
  });

  it("merges two alerts one second apart on one camera into one longer clip", async () => {
    const [first, second] = (await runCamera("cam-busy", 50, [20, 30])) as [Alert, Alert];
    const [a, b] = await Promise.all([deliveryOf(first.id, "stored"), deliveryOf(second.id, "stored")]);
    assert.equal(a.clipKey, b.clipKey, "both alerts are in the same clip");
    const busy = clips.filter((c) => c.camera === "cam-busy");
    assert.equal(busy.length, 1);
    const clip = busy[0] as ClipEvent;
    assert.deepEqual(clip.alertIds, [first.id, second.id]);
    assert.equal(clip.fps, FPS, "estimated from the frames' pts");
    assert.ok(clip.frames > CLIP_FRAMES, `${clip.frames} frames`);
    assert.equal(clip.frames, 40, "frames 5–44: the second alert's post-roll ends the clip");
    const video = path.join(dir, "busy.mp4");
    await writeFile(video, await bucket.get(clip.key));
    const probe = await ffprobe(video);
    assert.equal(probe.codec, "h264");
    assert.ok(Math.abs(probe.frames - 40) <= 2, `${probe.frames} frames`);
    const results = JSON.parse(Buffer.from(await bucket.get(clip.jsonKey)).toString("utf8")) as ClipResults;
    assert.deepEqual(
      results.alerts.map((x) => x.frame_index),
      [15, 25],
    );
    assert.equal(results.fps_source, "pts");
  });

  it("keeps the clip while S3 is down, across a restart of the service, and stores it once", async () => {
    await s3.stop();
    const [alert] = (await runCamera("cam-down", 40, [20])) as [Alert];
    await waitFor(async () => (await outboxDepth()) >= 1, "the clip in the outbox");
    await waitFor(
      () => service?.logs.some((line) => line.includes("clip not stored yet") && line.includes("cam-down")),
      "a failed upload attempt",
    );
    assert.deepEqual(
      Object.values(service?.services.get("clip-recorder")?.readiness() ?? {}),
      [true, true],
      "still ready: the backlog is a metric",
    );
    assert.equal(
      deliveries.some((d) => d.alertId === alert.id),
      false,
      "no delivery status before the clip is stored",
    );
    // The alert was acknowledged once its clip was spooled: a restart finds it in the spool, not the stream.
    await stopService();
    await startService(s3Config());
    await s3.start();
    const clip = await clipOf("cam-down");
    await deliveryOf(alert.id, "stored");
    await waitFor(async () => (await outboxDepth()) === 0, "an empty outbox");
    const objects = await bucket.list("cam-down/");
    assert.deepEqual(
      objects.map((o) => o.key.slice(clip.key.length - ".mp4".length)),
      [".annotated.mp4", ".json", ".mp4"],
      "one clip, its three files",
    );
    assert.equal(clips.filter((c) => c.camera === "cam-down").length, 1, "one ClipEvent");
    assert.equal(deliveries.filter((d) => d.alertId === alert.id).length, 1, "one delivery status");
    const probe = await ffprobe(await downloadTo(clip.key, "down.mp4"));
    assert.ok(Math.abs(probe.frames - CLIP_FRAMES) <= 2, `${probe.frames} frames`);
  });

  it("closes a clip early at a graceful stop, spools it and acknowledges its alert", async () => {
    // A camera that stops after frame 22, and no stall timeout: only the stop can close the clip.
    await stopService();
    await startService(s3Config(), { stallMs: 60_000 });
    const [alert] = (await runCamera("cam-stop", 22, [20])) as [Alert];
    await waitFor(
      () => counterValue(metricsOf(), "messagesIn", { subject_kind: "frames" }).then((n) => n >= 22),
      "the camera's frames read",
    );
    await stopService();
    const consumer = await observer.jsm.consumers.info("FT_ALERTS", "clip-recorder_cam-stop");
    assert.equal(consumer.num_ack_pending, 0, "no alert left unacknowledged");
    assert.equal(consumer.num_pending, 0);
    await startService(s3Config());
    const clip = await clipOf("cam-stop");
    assert.deepEqual(clip.alertIds, [alert.id]);
    assert.equal(clip.frames, 18, "frames 5–22");
    const results = JSON.parse(Buffer.from(await bucket.get(clip.jsonKey)).toString("utf8")) as ClipResults;
    assert.equal(results.closed_by, "stopping");
    assert.equal(results.window.complete, false);
    assert.equal(results.window.missing_after, CLIP_FRAMES - 18);
    await deliveryOf(alert.id, "stored");
  });

  async function downloadTo(key: string, name: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, await bucket.get(key));
    return file;
  }

  it("stores clips in a local directory with file:// URLs, prunes old ones, and shrugs off bad alerts", async () => {
    await stopService();
    const clipsDir = path.join(dir, "clips");
    // A clip of 2020 in the directory: local retention (30 days) removes it at start.
    const old = path.join(clipsDir, "cam-old", "2020-01-01", "000000-cam-old-1-1");
    await mkdir(path.dirname(old), { recursive: true });
    for (const suffix of [".mp4", ".json"]) {
      await writeFile(old + suffix, "old");
      await utimes(old + suffix, new Date("2020-01-01"), new Date("2020-01-01"));
    }
    const local = parseConfig({
      alerts: { clip_duration: CLIP_FRAMES },
      storage: { endpoint: clipsDir, spool_path: path.join(dir, "spool-local"), retention_days: 30 },
      cameras: [{ id: "cam-local", url: "rtsp://camera.invalid/local", fps: FPS }],
    });
    const running = await startService(local);
    await waitFor(() => !existsSync(`${old}.mp4`) && !existsSync(`${old}.json`), "the old clip pruned");

    // A message that is no Alert, and an alert of a camera that never sent a frame.
    await observer.js.publish(subject("alerts", "cam-local"), new Uint8Array([0xff, 0xff, 0xff, 0x01]));
    const ghost = Alert.fromPartial({
      id: "ghost-1-50",
      camera: "ghost",
      trackId: 1,
      seq: 50,
      timeMs: Date.now(),
    });
    await publishMessage(observer.js, subject("alerts", "ghost"), Alert, ghost, { msgId: ghost.id });

    const [alert] = (await runCamera("cam-local", 40, [20])) as [Alert];
    const failed = await deliveryOf(ghost.id, "failed");
    assert.match(failed.clipError, /no frames to record.*camera ghost/);
    assert.equal(
      await counterValue(running.metrics.get("clip-recorder"), "messagesDeadLettered", {
        subject_kind: "alerts",
      }),
      1,
    );
    assert.ok(running.logs.some((line) => line.includes('"level":"error"') && line.includes("ghost-1-50")));

    const clip = await clipOf("cam-local");
    assert.deepEqual(clip.alertIds, [alert.id]);
    assert.ok(clip.url.startsWith("file://"), clip.url);
    const file = fileURLToPath(clip.url);
    assert.equal(file, path.join(clipsDir, clip.key));
    const probe = await ffprobe(file);
    assert.equal(probe.codec, "h264");
    assert.ok(Math.abs(probe.frames - CLIP_FRAMES) <= 2, `${probe.frames} frames`);
    const results = JSON.parse(await readFile(path.join(clipsDir, clip.jsonKey), "utf8")) as ClipResults;
    assert.equal(results.per_frame.length, clip.frames);
    assert.equal(clip.annotatedKey, "", "clip_annotated is off");
    const delivery = await deliveryOf(alert.id, "stored");
    assert.equal(delivery.clipUrl, clip.url);
  });

  it("records every alert as clip 'disabled' when clip_duration is 0", async () => {
    await stopService();
    await startService(
      parseConfig({
        alerts: { clip_duration: 0 },
        storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool-local") },
      }),
    );
    const alert = Alert.fromPartial({
      id: "cam-off-1-3",
      camera: "cam-off",
      trackId: 1,
      seq: 3,
      timeMs: Date.now(),
    });
    await publishMessage(observer.js, subject("alerts", "cam-off"), Alert, alert, { msgId: alert.id });
    const delivery = await deliveryOf(alert.id, "disabled");
    assert.equal(delivery.clipKey, "");
  });

  it("redoes the clip of an alert whose recorder process was killed (SIGKILL) mid-recording, and stores it once", async () => {
    // The recorder as a real process (as `facetracker up` and a deployment run it), local storage.
    await stopService();
    const configFile = path.join(dir, "crash.json");
    await writeFile(
      configFile,
      JSON.stringify(
        parseConfig({
          alerts: { clip_duration: CLIP_FRAMES },
          storage: { endpoint: path.join(dir, "crash-clips"), spool_path: path.join(dir, "crash-spool") },
          cameras: [{ id: "cam-crash", url: "rtsp://camera.invalid/crash", fps: FPS }],
        }),
      ),
    );
    const spawn = () =>
      spawnServiceProcess({
        name: "clip-recorder",
        configFile,
        env: { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "warn" },
      });
    let recorder = await spawn();
    try {
      const camera = runCamera("cam-crash", 45, [15]);
      // Kill it half a second into the post-roll: the alert is in hand, not acknowledged.
      await sleep(2000);
      assert.equal(clips.filter((c) => c.camera === "cam-crash").length, 0, "no clip yet");
      await recorder.kill();
      recorder = await spawn();
      const [alert] = (await camera) as [Alert];
      const clip = await clipOf("cam-crash");
      assert.deepEqual(clip.alertIds, [alert.id]);
      await deliveryOf(alert.id, "stored");
      await sleep(1000);
      assert.equal(clips.filter((c) => c.camera === "cam-crash").length, 1, "one ClipEvent");
      assert.equal(
        deliveries.filter((d) => d.alertId === alert.id && d.clipStatus !== "").length,
        1,
        "one clip record for the alert",
      );
      const probe = await ffprobe(path.join(dir, "crash-clips", clip.key));
      assert.ok(Math.abs(probe.frames - CLIP_FRAMES) <= 2, `${probe.frames} frames`);
    } finally {
      await recorder.stop(5000);
      await startService(s3Config());
    }
  });
});
