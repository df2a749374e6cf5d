/**
 * pnpm bench:pipeline [SECONDS] [--single-process] [--cameras 1,2,4,6] [--scene busy|entrance]: N simulated
 * cameras (a generated 720p scene at 15 fps, paced in real time, looping) through the pipeline services on
 * a private nats-server. Scenes (tests/helpers/camera-scenes.ts): "busy" (default), three faces always in
 * view and moving; "entrance", a still hallway that people walk through (a face in view about a third of
 * the time, the light drifting slowly). By default each service is its own process (as `facetracker up`
 * runs them); with --single-process they share this one. Prints per run: frames/s per camera, dropped
 * frames, latency from capture to the track snapshot (p50, p95), embed requests per second, and CPU (cores
 * busy) and RSS per service process (and of nats-server).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connectBus, consumeMessages, ensureStreams } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { EmbeddedGallery } from "@facetracker/gallery";
import { TrackSnapshot } from "@facetracker/proto";
import {
  loadServiceFactory,
  processUsage,
  SERVICES,
  type ServiceFactory,
  type ServiceName,
  type ServiceProcess,
  spawnServiceProcess,
} from "@facetracker/service-host";
import type { ServiceMetrics } from "@facetracker/service-kit";
import { startNatsServer } from "@facetracker/testing/bus";
import { FaceAnalyzer } from "@facetracker/vision";
import { CAMERA_SCENES, type CameraScene, renderCameraScene } from "../helpers/camera-scenes.ts";
import { counterValue, startPipeline } from "../helpers/pipeline-harness.ts";
import { metricSum } from "../helpers/prometheus-text.ts";

const args = process.argv.slice(2);
const singleProcess = args.includes("--single-process");
const camerasArg = args.indexOf("--cameras");
const cameraCounts = camerasArg >= 0 ? (args[camerasArg + 1] ?? "").split(",").map(Number) : [1, 2, 4, 6];
const seconds = Number(
  args.find((a) => /^\d+(\.\d+)?$/.test(a) && args[args.indexOf(a) - 1] !== "--cameras") ?? 20,
);
const sceneArg = args.indexOf("--scene");
const scene = (sceneArg >= 0 ? args[sceneArg + 1] : "busy") as CameraScene;
if (!CAMERA_SCENES.includes(scene)) {
  console.error(
    `bench:pipeline: --scene must be one of ${CAMERA_SCENES.join(", ")}, got ${JSON.stringify(scene)}`,
  );
  process.exit(2);
}
const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-pipeline-"));
const analyzer = await FaceAnalyzer.create();
const video = path.join(tmp, `camera-720p-${scene}.mp4`);
const rendered = await renderCameraScene(video, scene, analyzer);

/**
 * The entrance scene's cameras are not in step (people walk through one site, then another): camera k of n
 * loops a copy of the scene started k/n of the way through it. The busy scene is the same at any time.
 */
const shifted = new Map<number, string>();
function sceneVideo(k: number, n: number): string {
  const start = scene === "entrance" ? Math.round((k * rendered.frames) / n) % rendered.frames : 0;
  if (start === 0) return video;
  let copy = shifted.get(start);
  if (!copy) {
    copy = path.join(tmp, `camera-720p-${scene}-from-${start}.mp4`);
    execFileSync("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-i", video, "-filter_complex"],
      `[0]split[a][b];[a]trim=start_frame=${start},setpts=PTS-STARTPTS[tail];[b]trim=end_frame=${start},setpts=PTS-STARTPTS[head];[tail][head]concat=n=2:v=1[v]`,
      ...["-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-y", copy],
    ]);
    shifted.set(start, copy);
  }
  return copy;
}

/** The services measured (frames to tracks and alerts), in the catalog's start order. */
const BENCHED: ServiceName[] = ["embed", "alert", "track", "detect", "ingest"];
const benched = SERVICES.map((s) => s.name).filter((name) => BENCHED.includes(name));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : Number.NaN;
};

/** Counters of a run, whatever its mode. */
interface Probe {
  frames(): Promise<number>;
  tracked(): Promise<number>;
  embeds(): Promise<number>;
  dropped(): Promise<number>;
  /** Seconds spent in the detect stage, and how many frames (Prometheus histogram sum and count). */
  detectSeconds(): Promise<{ sum: number; count: number }>;
  /** Per service: CPU seconds and RSS now. */
  usage(): Record<string, { cpuSeconds: number; rssBytes: number }>;
  stop(): Promise<void>;
}

async function startInProcess(
  natsUrl: string,
  config: ReturnType<typeof parseConfig>,
  galleryDir: string,
): Promise<Probe> {
  const gallery = await EmbeddedGallery.open(galleryDir);
  const factories = await Promise.all(
    benched.map(
      async (name): Promise<[string, ServiceFactory]> => [
        name,
        await loadServiceFactory(name, (p) => import(p)),
      ],
    ),
  );
  const pipeline = await startPipeline(natsUrl, config, factories, gallery);
  const get = (name: string) => pipeline.metrics.get(name) as ServiceMetrics;
  return {
    frames: () => counterValue(get("ingest"), "messagesOut", { subject_kind: "frames" }),
    tracked: () => counterValue(get("track"), "messagesIn", { subject_kind: "detections" }),
    embeds: () => counterValue(get("embed"), "messagesIn", { subject_kind: "embed" }),
    dropped: async () => (await get("ingest").messagesDropped.get()).values.reduce((s, v) => s + v.value, 0),
    detectSeconds: async () => {
      const { values } = await get("detect").stage.get();
      const pick = (suffix: string) =>
        values.find((v) => v.metricName?.endsWith(suffix) && v.labels.stage === "detect")?.value ?? 0;
      return { sum: pick("_sum"), count: pick("_count") };
    },
    usage: () => {
      const cpu = process.cpuUsage();
      return {
        "all services": { cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss },
      };
    },
    stop: async () => {
      await pipeline.stop();
      await gallery.close();
    },
  };
}

async function startProcesses(
  natsUrl: string,
  config: ReturnType<typeof parseConfig>,
  file: string,
): Promise<Probe> {
  await writeFile(file, JSON.stringify(config));
  const env = { FACETRACKER_NATS__URL: natsUrl, FACETRACKER_LOG_LEVEL: "warn" };
  const children = new Map<ServiceName, ServiceProcess>();
  try {
    for (const name of benched) {
      children.set(
        name,
        await spawnServiceProcess({
          name,
          configFile: file,
          env,
          onLine: (line, stream) => {
            if (stream === "stderr" || /"level":"(warn|error)"/.test(line))
              console.error(`[${name}] ${line}`);
          },
        }),
      );
    }
  } catch (error) {
    for (const c of children.values()) await c.stop();
    throw error;
  }
  const metricsOf = async (name: ServiceName) =>
    (await fetch(`${(children.get(name) as ServiceProcess).httpUrl}/metrics`)).text();
  return {
    frames: async () =>
      metricSum(await metricsOf("ingest"), "facetracker_messages_out_total", { subject_kind: "frames" }),
    tracked: async () =>
      metricSum(await metricsOf("track"), "facetracker_messages_in_total", { subject_kind: "detections" }),
    embeds: async () =>
      metricSum(await metricsOf("embed"), "facetracker_messages_in_total", { subject_kind: "embed" }),
    dropped: async () => metricSum(await metricsOf("ingest"), "facetracker_messages_dropped_total"),
    detectSeconds: async () => {
      const text = await metricsOf("detect");
      return {
        sum: metricSum(text, "facetracker_stage_seconds_sum", { stage: "detect" }),
        count: metricSum(text, "facetracker_stage_seconds_count", { stage: "detect" }),
      };
    },
    usage: () =>
      Object.fromEntries(
        [...children.entries()].map(([name, c]) => [name, c.usage() ?? { cpuSeconds: 0, rssBytes: 0 }]),
      ),
    stop: async () => {
      for (const name of [...benched].reverse()) await children.get(name)?.stop();
    },
  };
}

const rows: Record<string, Record<string, string>> = {};
const perService: Record<string, Record<string, string>> = {};
for (const n of cameraCounts) {
  const nats = await startNatsServer();
  const galleryDir = path.join(tmp, `gallery-${n}`);
  await EmbeddedGallery.open(galleryDir).then((g) => g.close());
  const cameras = Array.from({ length: n }, (_, i) => ({
    id: `cam${i + 1}`,
    url: sceneVideo(i, n),
    loop: true,
  }));
  const config = parseConfig({ db_path: galleryDir, cameras, alerts: { alert_mode: "ON_ALL" } });
  const observer = await connectBus({ servers: [nats.url], name: "bench-observer" });
  await ensureStreams(observer.jsm);
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
  const probe = singleProcess
    ? await startInProcess(nats.url, config, galleryDir)
    : await startProcesses(nats.url, config, path.join(tmp, `config-${n}.json`));
  await new Promise((r) => setTimeout(r, 3000)); // warm-up
  const take = async () => ({
    frames: await probe.frames(),
    tracked: await probe.tracked(),
    embeds: await probe.embeds(),
    dropped: await probe.dropped(),
    detect: await probe.detectSeconds(),
    usage: probe.usage(),
    nats: processUsage(nats.pid) ?? { cpuSeconds: 0, rssBytes: 0 },
  });
  const start = await take();
  latencies.length = 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const end = await take();
  const label = `${n} camera${n > 1 ? "s" : ""}`;
  let cores = 0;
  const services: Record<string, string> = {};
  for (const [name, u] of Object.entries({ ...end.usage, "nats-server": end.nats })) {
    const before = name === "nats-server" ? start.nats : start.usage[name];
    const busy = (u.cpuSeconds - (before?.cpuSeconds ?? 0)) / wall;
    cores += busy;
    services[name] = `${busy.toFixed(2)} cores, ${(u.rssBytes / 2 ** 20).toFixed(0)} MiB`;
  }
  perService[label] = services;
  rows[label] = {
    "published fps/camera": ((end.frames - start.frames) / wall / n).toFixed(1),
    "tracked fps/camera": ((end.tracked - start.tracked) / wall / n).toFixed(1),
    "dropped at ingest": String(end.dropped - start.dropped),
    "latency p50 ms": quantile(latencies, 0.5).toFixed(0),
    "latency p95 ms": quantile(latencies, 0.95).toFixed(0),
    "detect ms/frame": (
      (1000 * (end.detect.sum - start.detect.sum)) /
      Math.max(1, end.detect.count - start.detect.count)
    ).toFixed(1),
    "embed req/s": ((end.embeds - start.embeds) / wall).toFixed(1),
    "CPU cores (all)": cores.toFixed(2),
  };
  await probe.stop();
  await watcher.stop();
  await observer.close();
  await nats.stop();
  console.log(`${label}:`, rows[label], services);
}
console.log(
  `\nbench:pipeline: ${scene} scene (faces in view on ${(100 * rendered.facesPresent).toFixed(0)} % of its ${rendered.frames} frames), 720p cameras at 15 fps, ${seconds} s each, ${singleProcess ? "all services in one process" : "one process per service"}, ${os.cpus().length} cores`,
);
console.table(rows);
console.log("CPU (cores busy) and RSS per service:");
console.table(perService);
await rm(tmp, { recursive: true, force: true });
