/**
 * pnpm bench:quality: the face-quality gate measured (docs/benchmarks.md, docs/tracking.md).
 *
 * 1. Why each bar: every face the detector finds in the Hamilton clip (../shared/data/video), with the
 *    person the clip's shots say it is, embedded and compared with that person's photos: below each bar of
 *    face_quality, how many faces still reached cosine_similarity_threshold (could be recognised), above it.
 * 2. The negative set (packages/samples/negatives): the share of its detections judged no human face, and
 *    of its pictures that become a confirmed track (8-frame stills, as tests/negatives-never-confirmed),
 *    with the gate and without.
 * 3. Real faces: the shared photos (people/, scenes/) as 8-frame stills through the tracking path (every
 *    face detected: confirmed? named right? undetermined?), and the Hamilton clip tracked with the gate and
 *    without: frames of lin_manuel_miranda's frontal segment named, wrong names, tracks, and time-to-name
 *    (first frame each person is named).
 *
 * Without ../shared/data, parts 1 and 3 are skipped (said so); part 2 always runs.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "@facetracker/config";
import { VideoSource } from "@facetracker/media";
import { FaceTracker } from "@facetracker/sdk";
import {
  assessFaceQuality,
  cosine,
  DEFAULT_FACE_QUALITY,
  decodeImage,
  FaceAnalyzer,
  type FaceQualitySignals,
  type RgbImage,
} from "@facetracker/vision";
import { facesDir, sharedData } from "../helpers/shared-data.ts";

const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-quality-"));
const analyzer = await FaceAnalyzer.create();
const threshold = parseConfig({}).cosine_similarity_threshold;
const clip = path.join(sharedData, "video", "short_hamilton_clip.mp4");
const haveShared = existsSync(path.join(facesDir, "people")) && existsSync(clip);
const negatives = path.resolve(import.meta.dirname, "..", "..", "packages", "samples", "negatives");
const pct = (a: number, b: number) => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)} %`);
const CLIP_PEOPLE = ["lin_manuel_miranda", "alex_lacamoire", "obama"];

/** Each person's photos' largest face embeddings. */
async function personEmbeddings(): Promise<Map<string, Float32Array[]>> {
  const out = new Map<string, Float32Array[]>();
  for (const name of CLIP_PEOPLE) {
    const dir = path.join(facesDir, "people", name);
    const list: Float32Array[] = [];
    for (const f of readdirSync(dir)) {
      const [face] = await analyzer.analyze(await decodeImage(path.join(dir, f)), { largestOnly: true });
      if (face?.embedding) list.push(face.embedding);
    }
    out.set(name, list);
  }
  return out;
}

/** Who the clip's shots say a face is (../shared/data/README.md; cuts at frames 20, 82, 211), or null. */
function clipTruth(frame: number, box: number[]): string | null {
  if (frame < 20) return (box[0] as number) > 300 ? "lin_manuel_miranda" : "alex_lacamoire";
  if (frame < 82) return "alex_lacamoire";
  if (frame < 211) return "lin_manuel_miranda";
  return null;
}

async function barTable(): Promise<void> {
  const people = await personEmbeddings();
  const rows: { s: FaceQualitySignals; recognisable: boolean }[] = [];
  const source = await VideoSource.open(clip);
  let frame = 0;
  for await (const image of source.frames()) {
    for (const face of await analyzer.analyze(image, { embed: false, scoreThreshold: 0.5 })) {
      const truth = clipTruth(frame, face.box);
      if (!truth) continue;
      const { embedding, norm } = await analyzer.embedder.embedWithNorm(face.aligned);
      const best = Math.max(...(people.get(truth) ?? []).map((e) => cosine(e, embedding)));
      const s = assessFaceQuality({ ...face, embedding, embeddingNorm: norm }).signals;
      rows.push({ s, recognisable: best >= threshold });
    }
    frame++;
  }
  const d = DEFAULT_FACE_QUALITY;
  const bars: [string, (s: FaceQualitySignals) => number, "min" | "max", number][] = [
    ["min_eye_distance", (s) => s.eyeDistance, "min", d.min_eye_distance],
    ["min_sharpness", (s) => s.sharpness ?? 0, "min", d.min_sharpness],
    ["min_embedding_norm", (s) => s.embeddingNorm ?? 0, "min", d.min_embedding_norm],
    ["min_detector_score", (s) => s.detectorScore, "min", d.min_detector_score],
    ["max_yaw", (s) => Math.abs(s.yaw), "max", d.max_yaw],
    ["max_pitch", (s) => Math.abs(s.pitch), "max", d.max_pitch],
    ["max_roll", (s) => Math.abs(s.roll), "max", d.max_roll],
    ["max_non_face_similarity", (s) => s.nonFaceSimilarity ?? 0, "max", d.max_non_face_similarity],
  ];
  const all = rows.filter((r) => r.recognisable).length;
  console.log(
    `\n1. Bars, on the ${rows.length} faces of the Hamilton clip with a known person (${all} of them reach the threshold ${threshold} against that person's photos):`,
  );
  console.log(
    "| bar | value | faces failing it | of those recognisable | faces passing | of those recognisable |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, value, kind, bar] of bars) {
    const fails = rows.filter((r) => (kind === "min" ? value(r.s) < bar : value(r.s) > bar));
    const passes = rows.filter((r) => !fails.includes(r));
    const rec = (list: typeof rows) => list.filter((r) => r.recognisable).length;
    console.log(
      `| ${name} | ${bar} | ${fails.length} | ${rec(fails)} (${pct(rec(fails), fails.length)}) | ${passes.length} | ${rec(passes)} (${pct(rec(passes), passes.length)}) |`,
    );
  }
  const good = rows.filter((r) => assessFaceQualityOk(r.s));
  console.log(
    `all bars: ${good.length} faces good, ${good.filter((r) => r.recognisable).length} of them recognisable; ${rows.length - good.length} below a bar, ${rows.filter((r) => !good.includes(r) && r.recognisable).length} of them recognisable`,
  );
}

function assessFaceQualityOk(s: FaceQualitySignals): boolean {
  const d = DEFAULT_FACE_QUALITY;
  return (
    s.eyeDistance >= d.min_eye_distance &&
    (s.sharpness ?? 1) >= d.min_sharpness &&
    (s.embeddingNorm ?? 9) >= d.min_embedding_norm &&
    s.detectorScore >= d.min_detector_score &&
    Math.abs(s.yaw) <= d.max_yaw &&
    Math.abs(s.pitch) <= d.max_pitch &&
    Math.abs(s.roll) <= d.max_roll &&
    (s.nonFaceSimilarity ?? 0) <= d.max_non_face_similarity &&
    s.landmarkImplausibility < 1
  );
}

async function pitchCalibration(): Promise<void> {
  const dir = path.join(facesDir, "pairs", "images");
  if (!existsSync(dir)) return;
  const pitches: number[] = [];
  for (const f of readdirSync(dir)) {
    const [face] = await analyzer.analyze(await decodeImage(path.join(dir, f)), {
      embed: false,
      largestOnly: true,
    });
    if (face) pitches.push(assessFaceQuality(face).signals.pitch);
  }
  pitches.sort((a, b) => a - b);
  console.log(
    `pitch of the largest face of the ${pitches.length} portraits of faces/pairs: median ${pitches[Math.floor(pitches.length / 2)]?.toFixed(1)}° (0 when the frontal nose height is right)`,
  );
}

/** The picture as an 8-frame still with a little noise: how many tracks get a public ID. */
async function stillTracks(tracker: FaceTracker, image: RgbImage, frames = 8) {
  const seq = Array.from({ length: frames }, (_, f) => {
    const data = new Uint8Array(image.data);
    let state = (f + 1) * 2654435761;
    for (let i = 0; i < data.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      data[i] = Math.max(0, Math.min(255, (data[i] as number) + ((state >>> 24) % 7) - 3));
    }
    return { width: image.width, height: image.height, data, index: f };
  });
  const tracks = new Map<number, { name: string | null; undetermined: boolean }>();
  for await (const r of tracker.predictBatch(seq, { frameRate: 10 })) {
    for (const t of r.tracks) {
      if (t.trackId > 0)
        tracks.set(t.trackId, { name: t.identity?.name ?? null, undetermined: t.undetermined });
    }
  }
  return [...tracks.values()];
}

async function negativeSet(): Promise<void> {
  const gated = await FaceTracker.create({ db_path: path.join(tmp, "neg-a") }, { analyzer });
  const open = await FaceTracker.create(
    { db_path: path.join(tmp, "neg-b"), face_quality: { enabled: false } },
    { analyzer },
  );
  console.log("\n2. Negative set (packages/samples/negatives):");
  console.log(
    "| source | pictures | detections | judged no human face | pictures with a confirmed track, gate on | gate off |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const sub of ["drawings", "emoji"]) {
    const files = readdirSync(path.join(negatives, sub)).filter((f) => f.endsWith(".jpg"));
    let detections = 0;
    let rejected = 0;
    let confirmedOn = 0;
    let confirmedOff = 0;
    for (const f of files) {
      const image = await decodeImage(path.join(negatives, sub, f));
      for (const face of await analyzer.analyze(image, { embed: false, scoreThreshold: 0.5 })) {
        const { embedding, norm } = await analyzer.embedder.embedWithNorm(face.aligned);
        detections++;
        if (!assessFaceQuality({ ...face, embedding, embeddingNorm: norm }).faceLike) rejected++;
      }
      if ((await stillTracks(gated, image)).length > 0) confirmedOn++;
      if ((await stillTracks(open, image)).length > 0) confirmedOff++;
    }
    console.log(
      `| ${sub} | ${files.length} | ${detections} | ${rejected} (${pct(rejected, detections)}) | ${confirmedOn} | ${confirmedOff} |`,
    );
  }
  await gated.close();
  await open.close();
}

async function realPhotos(gate: boolean): Promise<void> {
  const tracker = await FaceTracker.create(
    { db_path: path.join(tmp, gate ? "photos-on" : "photos-off"), face_quality: { enabled: gate } },
    { analyzer },
  );
  for (const name of readdirSync(path.join(facesDir, "people"))) {
    const dir = path.join(facesDir, "people", name);
    await tracker.recognizer.enroll(
      name,
      readdirSync(dir).map((f) => path.join(dir, f)),
      { force: true },
    );
  }
  let faces = 0;
  let confirmed = 0;
  let undetermined = 0;
  const names: string[] = [];
  for (const f of readdirSync(path.join(facesDir, "scenes")).sort()) {
    const image = await decodeImage(path.join(facesDir, "scenes", f));
    faces += (await analyzer.analyze(image, { embed: false })).length;
    const tracks = await stillTracks(tracker, image);
    confirmed += tracks.length;
    for (const t of tracks) {
      if (t.name) names.push(`${f.replace(/\.jpg$/, "")}: ${t.name}`);
      if (t.undetermined) undetermined++;
    }
  }
  await tracker.close();
  console.log(
    `| ${gate ? "on" : "off"} | ${faces} | ${confirmed} | ${names.length} | ${undetermined} | ${names.join("; ")} |`,
  );
}

async function hamilton(gate: boolean) {
  const tracker = await FaceTracker.create(
    { db_path: path.join(tmp, gate ? "ham-on" : "ham-off"), face_quality: { enabled: gate } },
    { analyzer },
  );
  for (const name of CLIP_PEOPLE) {
    const dir = path.join(facesDir, "people", name);
    await tracker.recognizer.enroll(
      name,
      readdirSync(dir).map((f) => path.join(dir, f)),
      { force: true },
    );
  }
  const appears: Record<string, [number, number][]> = {
    lin_manuel_miranda: [
      [0, 19],
      [82, 210],
    ],
    alex_lacamoire: [[0, 81]],
    obama: [[211, 274]],
  };
  let lin219 = 0;
  let lin210 = 0;
  const wrong: string[] = [];
  const firstNamed = new Map<string, number>();
  const tracks = new Set<number>();
  const undeterminedTracks = new Set<number>();
  const unknownTracks = new Set<number>();
  for await (const r of tracker.predictBatch(clip)) {
    const named = r.tracks.filter((t) => t.identity && t.state !== "lost");
    const lin = named.some((t) => t.identity?.name === "lin_manuel_miranda");
    if (lin && r.index >= 90 && r.index <= 219) lin219++;
    if (lin && r.index >= 90 && r.index <= 210) lin210++;
    for (const t of r.tracks) {
      if (t.trackId === 0) continue;
      tracks.add(t.trackId);
      if (t.undetermined) undeterminedTracks.add(t.trackId);
      else undeterminedTracks.delete(t.trackId);
      if (!t.identity && !t.identifying) unknownTracks.add(t.trackId);
    }
    for (const t of named) {
      const name = t.identity?.name as string;
      if (!firstNamed.has(name)) firstNamed.set(name, r.index);
      if (!(appears[name] ?? []).some(([a, b]) => r.index >= a && r.index <= b))
        wrong.push(`frame ${r.index}: #${t.trackId} ${name}`);
    }
  }
  const stats = tracker.lastStats;
  await tracker.close();
  return { lin219, lin210, wrong, firstNamed, tracks, undeterminedTracks, unknownTracks, stats };
}

console.log(`face_quality defaults: ${JSON.stringify(DEFAULT_FACE_QUALITY)}`);
if (haveShared) {
  await barTable();
  await pitchCalibration();
} else {
  console.log(`\n1. skipped: ${sharedData} not found`);
}
await negativeSet();
if (haveShared) {
  console.log(
    "\n3a. The photos of faces/scenes as 8-frame stills through the tracking path (gallery: every photo of people/):",
  );
  console.log("| gate | faces detected | confirmed tracks | named | undetermined | names |");
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const gate of [false, true]) await realPhotos(gate);
  console.log("\n3b. The Hamilton clip (275 frames), gate on and off:");
  console.log(
    "| gate | lin named, frames 90–219 | 90–210 | wrong names | confirmed tracks | unknown at some point | undetermined at the end | embeddings | first frame named (lin / alex / obama) |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const gate of [false, true]) {
    const h = await hamilton(gate);
    const first = CLIP_PEOPLE.map((p) => h.firstNamed.get(p) ?? "never").join(" / ");
    console.log(
      `| ${gate ? "on" : "off"} | ${h.lin219}/130 | ${h.lin210}/121 | ${h.wrong.length} | ${h.tracks.size} | ${h.unknownTracks.size} | ${h.undeterminedTracks.size} | ${h.stats?.embeddings} | ${first} |`,
    );
    if (h.wrong.length) console.log(`   wrong: ${h.wrong.slice(0, 5).join("; ")}`);
  }
} else {
  console.log(`\n3. skipped: ${sharedData} not found`);
}
await rm(tmp, { recursive: true, force: true });
