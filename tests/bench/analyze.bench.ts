/**
 * pnpm bench:analyze [VIDEO]: video analysis speed. Default VIDEO: ../shared/data/video/short_hamilton_clip.mp4
 * (with a gallery of its three people) when present, else a generated 640×360 clip.
 * Prints frames per second, per-stage milliseconds per frame and embeddings per detection with the ReID
 * expiration filter on and off; then frames per second of VIDEO and of a generated 720p clip (two faces,
 * a sound track) analysed alone and with an annotated copy (--annotate), and the old way of annotating
 * (frames drawn in JavaScript, piped to x264 veryfast) for comparison; then recall and cost of tiled
 * detection on a generated 1080p scene with faces 30–50 px wide.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { VideoSource, VideoWriter } from "@facetracker/media";
import type { FrameResult, RunStats } from "@facetracker/pipeline";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { FaceTracker } from "@facetracker/sdk";
import { drawLabelsRaw, FaceAnalyzer, faceLabel, iou, type RgbImage } from "@facetracker/vision";
import { facesDir, sharedData } from "../helpers/shared-data.ts";

const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-analyze-"));
const analyzer = await FaceAnalyzer.create();
const hamilton = path.join(sharedData, "video", "short_hamilton_clip.mp4");
let video = process.argv[2];
const gallery = path.join(tmp, "gallery");

async function generatedClip(): Promise<string> {
  const pictures = await sampleFaces(
    analyzer,
    samplePhotos(),
    [
      [0, 0],
      [5, 0],
      [2, 2],
    ],
    70,
  );
  const actors: Actor[] = [];
  for (const [i, picture] of pictures.entries()) {
    actors.push({
      name: `p${i}`,
      picture,
      faceInPicture: await locateFace(analyzer, picture),
      position: (f) => [40 + i * 200 + Math.sin(f / 20) * 30, 60 + i * 40],
    });
  }
  const file = path.join(tmp, "generated-640x360.mp4");
  await renderScene(file, { width: 640, height: 360, fps: 25, frames: 250, actors });
  return file;
}

if (!video) video = existsSync(hamilton) ? hamilton : await generatedClip();

async function run(config: object): Promise<RunStats> {
  const tracker = await FaceTracker.create({ db_path: gallery, ...config }, { analyzer });
  try {
    return (await tracker.findFacesInFile(video as string)).stats;
  } finally {
    await tracker.close();
  }
}

// Gallery: the clip's three people when it is the Hamilton clip.
{
  const tracker = await FaceTracker.create({ db_path: gallery }, { analyzer });
  if (video === hamilton) {
    for (const name of ["lin_manuel_miranda", "alex_lacamoire", "obama"]) {
      const dir = path.join(facesDir, "people", name);
      await tracker.recognizer.enroll(
        name,
        readdirSync(dir).map((f) => path.join(dir, f)),
      );
    }
  }
  await tracker.close();
}

const source = await VideoSource.open(video);
const { width, height, fps } = source.info;
let decoded = 0;
const t0 = performance.now();
for await (const _ of source.frames()) decoded++;
const decodeFps = (decoded * 1000) / (performance.now() - t0);
console.log(
  `bench:analyze: ${path.basename(video)} ${width}×${height} @ ${fps.toFixed(2)} fps, ${decoded} frames, ${os.cpus().length} cores`,
);
console.log(`decode only (ffmpeg → RGB pipe): ${decodeFps.toFixed(0)} frames/s`);

await run({}); // warm-up
const on = await run({});
const off = await run({ face_filters: { enable_reid_expiration_filter: false } });
const perFrame = (s: RunStats, ms: number) => (ms / s.frames).toFixed(2);
const row = (s: RunStats) => ({
  "frames/s": s.fps.toFixed(1),
  "decode ms": perFrame(s, s.stages.decode),
  "detect ms": perFrame(s, s.stages.detect),
  "track ms": perFrame(s, s.stages.track),
  "landmarks ms": perFrame(s, s.stages.landmarks),
  "align ms": perFrame(s, s.stages.align),
  "embed ms": perFrame(s, s.stages.embed),
  "match ms": perFrame(s, s.stages.match),
  detections: s.detections,
  embeddings: s.embeddings,
  "embeddings/detection": (s.embeddings / Math.max(1, s.detections)).toFixed(3),
});
console.log("per-stage milliseconds per frame (decode = waiting for the next frame):");
console.table({ "ReID filter on": row(on), "ReID filter off": row(off) });
console.log(
  `embeddings saved by the ReID expiration filter: ${(off.embeddings / Math.max(1, on.embeddings)).toFixed(1)}×`,
);

// Analysis alone and with an annotated copy, on VIDEO and on a generated 720p clip with sound.
async function clip720(): Promise<string> {
  const pictures = await sampleFaces(
    analyzer,
    samplePhotos(),
    [
      [0, 0],
      [5, 0],
    ],
    120,
  );
  const actors: Actor[] = [];
  for (const [i, picture] of pictures.entries()) {
    actors.push({
      name: `p${i}`,
      picture,
      faceInPicture: await locateFace(analyzer, picture, 1280, 720),
      position: (f) => [200 + i * 520 + 80 * Math.sin(f / 25 + i), 180 + 40 * Math.cos(f / 30)],
    });
  }
  const silent = path.join(tmp, "generated-1280x720-silent.mp4");
  await renderScene(silent, { width: 1280, height: 720, fps: 25, frames: 500, actors });
  const file = path.join(tmp, "generated-1280x720.mp4");
  execFileSync("ffmpeg", [
    ...[
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      silent,
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:duration=20",
    ],
    ...["-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", "-y", file],
  ]);
  return file;
}

const labelsOf = (r: FrameResult) =>
  r.tracks
    .filter((t) => t.state !== "lost")
    .map((t) =>
      t.identity
        ? faceLabel("known", t.box, {
            trackId: t.trackId,
            name: t.identity.name,
            similarity: t.identity.similarity,
          })
        : faceLabel(t.state === "tentative" ? "identifying" : "unknown", t.box, { trackId: t.trackId }),
    );

/**
 * CPU seconds used so far by this process (all its threads) and by its children that have ended (the
 * ffmpeg decoders and encoders): /proc/self/stat's utime, stime, cutime and cstime, in clock ticks of
 * 1/100 s.
 */
function cpuSeconds(): number {
  const fields = (readFileSync("/proc/self/stat", "utf8").split(") ")[1] ?? "").split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

/**
 * Frames per second over the whole call (analysis, and the annotated copy when asked), and CPU
 * milliseconds a frame (Node and ffmpeg together: what a loaded machine has to share).
 */
async function annotateRun(
  file: string,
  how: "none" | "copy" | "drawn",
): Promise<{ fps: number; cpuMs: number }> {
  const tracker = await FaceTracker.create({ db_path: gallery }, { analyzer });
  const output = path.join(tmp, `annotated-${how}.mp4`);
  let writer: VideoWriter | undefined;
  try {
    const t0 = performance.now();
    const cpu0 = cpuSeconds();
    const { stats } = await tracker.findFacesInFile(file, {
      ...(how === "copy" ? { annotate: { output, labels: labelsOf } } : {}),
      ...(how === "drawn"
        ? {
            // The old --annotate: each frame drawn in JavaScript (sharp, an SVG overlay) and piped to x264.
            onFrame: async (r: FrameResult) => {
              writer ??= await VideoWriter.open(output, { width: r.width, height: r.height, fps: 25 });
              await writer.write(await drawLabelsRaw(r.image, labelsOf(r)));
            },
          }
        : {}),
    });
    await writer?.close();
    return {
      fps: (stats.frames * 1000) / (performance.now() - t0),
      cpuMs: ((cpuSeconds() - cpu0) * 1000) / stats.frames,
    };
  } finally {
    await tracker.close();
  }
}

const annotated: Record<string, Record<string, string>> = {};
for (const file of [video, await clip720()]) {
  const probe = await VideoSource.open(file);
  const { info } = probe;
  await probe.close();
  await annotateRun(file, "none"); // warm-up
  const alone = await annotateRun(file, "none");
  const copy = await annotateRun(file, "copy");
  const drawn = file === video ? undefined : await annotateRun(file, "drawn");
  annotated[`${path.basename(file)} (${info.width}×${info.height})`] = {
    "analysis frames/s": alone.fps.toFixed(1),
    "with --annotate frames/s": copy.fps.toFixed(1),
    "time ×": (alone.fps / copy.fps).toFixed(2),
    "analysis CPU ms/frame": alone.cpuMs.toFixed(1),
    "with --annotate CPU ms/frame": copy.cpuMs.toFixed(1),
    "CPU ×": (copy.cpuMs / alone.cpuMs).toFixed(2),
    "old way frames/s": drawn === undefined ? "-" : drawn.fps.toFixed(1),
    "old way CPU ×": drawn === undefined ? "-" : (drawn.cpuMs / alone.cpuMs).toFixed(2),
  };
}
console.log(
  "\nanalysis alone and with an annotated copy (the whole call; CPU: Node and ffmpeg together; old way: frames drawn in JavaScript and piped to x264 veryfast)",
);
console.table(annotated);

// Tiled detection on 1080p with small faces.
const picks: [number, number][] = [
  [0, 0],
  [0, 2],
  [5, 0],
  [5, 1],
  [3, 0],
  [2, 2],
];
const actors: Actor[] = [];
for (const [i, pick] of picks.entries()) {
  const [picture] = (await sampleFaces(analyzer, samplePhotos(), [pick], 30 + 4 * i)) as [RgbImage];
  const faceInPicture = await locateFace(analyzer, picture, 1920, 1080, "auto");
  actors.push({
    name: `f${i}`,
    picture,
    faceInPicture,
    position: (f) => [150 + i * 290 + 2 * f, 200 + (i % 3) * 250],
  });
}
const hd = path.join(tmp, "small-faces-1080p.mp4");
const truth = await renderScene(hd, { width: 1920, height: 1080, fps: 25, frames: 50, actors });
const tiles: Record<string, Record<string, string>> = {};
for (const tiling of ["off", "auto"] as const) {
  const tracker = await FaceTracker.create({ db_path: gallery, detection: { tiling } }, { analyzer });
  let found = 0;
  let total = 0;
  for await (const r of tracker.predictBatch(hd)) {
    for (const t of truth[r.index] ?? []) {
      total++;
      if (r.tracks.some((k) => k.state !== "lost" && iou(k.box, t.box) >= 0.4)) found++;
    }
  }
  const s = tracker.lastStats as RunStats;
  tiles[tiling === "auto" ? "tiles (12 + whole frame)" : "whole frame only"] = {
    recall: (found / total).toFixed(3),
    "detect ms/frame": perFrame(s, s.stages.detect),
    "frames/s": s.fps.toFixed(1),
  };
  await tracker.close();
}
console.log("\n1080p, six faces 30–50 px wide, 50 frames: tiled detection");
console.table(tiles);
await rm(tmp, { recursive: true, force: true });
