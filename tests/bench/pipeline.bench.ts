/**
 * pnpm bench:pipeline [SECONDS]: N simulated cameras (a generated 720p video at 15 fps, paced in real time,
 * looping) through the pipeline services in one process on a private nats-server, for N = 1, 2, 4, 6.
 * Prints per run: frames/s per camera, dropped frames, latency from capture to the track snapshot (p50,
 * p95), embed requests per second, CPU (cores busy) and RSS of the process.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connectBus, consumeMessages } from "@facetracker/bus";
import { startNatsServer } from "@facetracker/bus/testing";
import { samplePhotos } from "@facetracker/cli/sample-faces";
import { type Actor, locateFace, renderScene, sampleFaces } from "@facetracker/cli/synthetic-video";
import { parseConfig } from "@facetracker/config";
import { EmbeddedGallery } from "@facetracker/gallery";
import { TrackSnapshot } from "@facetracker/proto";
import { startAlertService } from "@facetracker/service-alert";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { counterValue, startPipeline } from "../helpers/pipeline-harness.ts";

const seconds = Number(process.argv[2] ?? 20);
const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-pipeline-"));
const analyzer = await FaceAnalyzer.create();
const pictures = (await sampleFaces(
  analyzer,
  samplePhotos(),
  [
    [0, 0],
    [5, 0],
    [2, 2],
  ],
  110,
)) as RgbImage[];
const actors: Actor[] = [];
for (const [i, picture] of pictures.entries()) {
  actors.push({
    name: `p${i}`,
    picture,
    faceInPicture: await locateFace(analyzer, picture, 1280, 720),
    position: (f) => [100 + i * 380 + 60 * Math.sin(f / 15), 150 + i * 60],
  });
}
const video = path.join(tmp, "camera-720p.mp4");
await renderScene(video, { width: 1280, height: 720, fps: 15, frames: 150, actors });

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : Number.NaN;
};

const rows: Record<string, Record<string, string>> = {};
for (const n of [1, 2, 4, 6]) {
  const nats = await startNatsServer();
  const gallery = await EmbeddedGallery.open(path.join(tmp, `gallery-${n}`));
  const cameras = Array.from({ length: n }, (_, i) => ({ id: `cam${i + 1}`, url: video, loop: true }));
  const config = parseConfig({
    db_path: path.join(tmp, `gallery-${n}`),
    cameras,
    alerts: { alert_mode: "ON_ALL" },
  });
  const pipeline = await startPipeline(
    nats.url,
    config,
    [
      ["embed", startEmbedService],
      ["alert", startAlertService],
      ["track", startTrackService],
      ["detect", startDetectService],
    ],
    gallery,
  );
  const observer = await connectBus({ servers: [nats.url], name: "bench-observer" });
  const latencies: number[] = [];
  const watcher = await consumeMessages({
    js: observer.js,
    stream: "FT_SNAPSHOTS",
    filterSubject: "ft.snapshots.>",
    deliverPolicy: "new",
    type: TrackSnapshot,
    handler: (s) => {
      latencies.push(Date.now() - s.timeMs);
    },
  });
  const ingest = await startPipeline(nats.url, config, [["ingest", startIngestService]]);
  await new Promise((r) => setTimeout(r, 3000)); // warm-up
  const m = () => ({
    frames: counterValue(ingest.metrics.get("ingest"), "messagesOut", { subject_kind: "frames" }),
    tracked: counterValue(pipeline.metrics.get("track"), "messagesIn", { subject_kind: "detections" }),
    embeds: counterValue(pipeline.metrics.get("embed"), "messagesIn", { subject_kind: "embed" }),
  });
  const droppedNow = async () => {
    const { values } = await (ingest.metrics.get("ingest")?.messagesDropped.get() ??
      Promise.resolve({ values: [] }));
    return values.reduce((s, v) => s + v.value, 0);
  };
  const start = {
    frames: await m().frames,
    tracked: await m().tracked,
    embeds: await m().embeds,
    dropped: await droppedNow(),
  };
  latencies.length = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const end = {
    frames: await m().frames,
    tracked: await m().tracked,
    embeds: await m().embeds,
    dropped: await droppedNow(),
  };
  rows[`${n} camera${n > 1 ? "s" : ""}`] = {
    "published fps/camera": ((end.frames - start.frames) / wall / n).toFixed(1),
    "tracked fps/camera": ((end.tracked - start.tracked) / wall / n).toFixed(1),
    "dropped at ingest": String(end.dropped - start.dropped),
    "latency p50 ms": quantile(latencies, 0.5).toFixed(0),
    "latency p95 ms": quantile(latencies, 0.95).toFixed(0),
    "embed req/s": ((end.embeds - start.embeds) / wall).toFixed(1),
    "CPU cores": ((cpu.user + cpu.system) / 1e6 / wall).toFixed(2),
    "RSS MiB": (process.memoryUsage().rss / 2 ** 20).toFixed(0),
  };
  await ingest.stop();
  await watcher.stop();
  await observer.close();
  await pipeline.stop();
  await gallery.close();
  await nats.stop();
  console.log(`${n} camera(s):`, rows[`${n} camera${n > 1 ? "s" : ""}`]);
}
console.log(
  `\nbench:pipeline: 720p cameras at 15 fps, ${seconds} s each, all services in one process, ${os.cpus().length} cores`,
);
console.table(rows);
await rm(tmp, { recursive: true, force: true });
