/**
 * pnpm bench:visitors [THRESHOLD…]: how well visitors group unknown faces into people, on photos whose
 * people are known (../shared/data/faces: people/<name>/ and pairs/). Each photo's largest face becomes
 * one unknown track (its embedding, its face quality) of its own file source, remembered one at a time
 * (sorted by path) in a temporary face memory, nobody enrolled; then, per memory.visitor_threshold
 * (default: 0.3 0.35 0.4 0.45 0.5, the default 0.4 marked):
 *
 * - people/ (the person is the folder): purity (tracks in their visitor's majority person / tracks),
 *   completeness (tracks in their person's majority visitor / tracks), visitors against people;
 * - pairs/ (pairs.csv says Yes (same) or No for 300 pairs; a person is not named): same pairs grouped in
 *   one visitor, different pairs kept apart; visitors against the Yes-connected groups (an upper bound of
 *   the people: two groups may be one person);
 * - all photos together (people/ and pairs/ in one memory): the pair figures and people/'s purity and
 *   completeness again.
 * Also the similarity range: the lowest same-person and highest different-person cosine similarity.
 * Then video tracks: the Hamilton clip (../shared/data/video) analysed and remembered with the default
 * threshold, nobody enrolled; the tracks inside one shot (alex_lacamoire: frames 20–81, lin_manuel_miranda:
 * 80–219, the cuts being approximate) are labelled, the others (the wide shot, the audience) counted apart;
 * undetermined tracks (no face good enough: profiles, small faces) join no visitor.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_VISITOR_THRESHOLD, FaceMemory } from "@facetracker/face-memory";
import { type Actor, facePicture, locateFace, renderScene } from "@facetracker/samples";
import { FaceTracker } from "@facetracker/sdk";
import {
  assessFaceQuality,
  cosine,
  decodeImage,
  EMBEDDING_DIM,
  FaceAnalyzer,
  type RgbImage,
} from "@facetracker/vision";
import { facesDir, sharedData } from "../helpers/shared-data.ts";

if (!existsSync(path.join(facesDir, "people"))) {
  console.log(
    `bench:visitors: no real face photos at ${facesDir} (../shared/data beside the checkout): skipped`,
  );
  process.exit(0);
}
const thresholds = process.argv.slice(2).map(Number);
if (thresholds.some((t) => !(t > 0 && t < 1))) {
  console.error("usage: pnpm bench:visitors [THRESHOLD…] (each between 0 and 1)");
  process.exit(2);
}
if (thresholds.length === 0) thresholds.push(0.3, 0.35, 0.4, 0.45, 0.5);

interface Photo {
  file: string;
  /** people/: the folder's person; pairs/: undefined. */
  person?: string;
  vector: Float32Array;
  quality: number;
}

const analyzer = await FaceAnalyzer.create();
async function embed(file: string, person?: string): Promise<Photo | undefined> {
  const [face] = await analyzer.analyze(await decodeImage(file), { largestOnly: true });
  if (!face?.embedding) return undefined;
  return {
    file,
    ...(person ? { person } : {}),
    vector: face.embedding,
    quality: assessFaceQuality(face).score,
  };
}

const people: Photo[] = [];
for (const name of readdirSync(path.join(facesDir, "people")).sort())
  for (const f of readdirSync(path.join(facesDir, "people", name)).sort()) {
    const p = await embed(path.join(facesDir, "people", name, f), name);
    if (p) people.push(p);
  }
const pairsDir = path.join(facesDir, "pairs", "images");
const pairPhotos: Photo[] = [];
for (const f of readdirSync(pairsDir).sort()) {
  const p = await embed(path.join(pairsDir, f));
  if (p) pairPhotos.push(p);
}
const pairs = readFileSync(path.join(facesDir, "pairs", "pairs.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => line.trim().split(","))
  .map(([x, y, d]) => ({
    x: path.join(pairsDir, x as string),
    y: path.join(pairsDir, y as string),
    same: d === "Yes",
  }))
  .filter((p) => pairPhotos.some((q) => q.file === p.x) && pairPhotos.some((q) => q.file === p.y));

/** Yes-connected groups of the pair photos. */
function pairGroups(): number {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const r = find(p);
    parent.set(x, r);
    return r;
  };
  for (const p of pairs) if (p.same) parent.set(find(p.x), find(p.y));
  return new Set(pairPhotos.map((p) => find(p.file))).size;
}

/** Remembers the photos one at a time as unknown tracks; returns each photo's visitor. */
async function group(photos: readonly Photo[], threshold: number): Promise<Map<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bench-visitors-"));
  const memory = FaceMemory.open(dir, {
    dimension: EMBEDDING_DIM,
    visitorThreshold: threshold,
    retentionDays: 0,
  });
  try {
    const out = new Map<string, number>();
    photos.forEach((p, i) => {
      const [id] = memory.rememberSource({ kind: "file", name: p.file }, [
        {
          trackId: 1,
          firstMs: i,
          lastMs: i,
          identity: null,
          closest: null,
          undetermined: false,
          thumbnail: null,
          embeddings: [{ vector: p.vector, quality: p.quality }],
        },
      ]);
      out.set(p.file, memory.visitorOfTrack(id as number) as number);
    });
    return out;
  } finally {
    memory.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Share of items that are in the majority `b` of their `a` group. */
function majorityShare(items: readonly { a: string | number; b: string | number }[]): number {
  const groups = new Map<string | number, Map<string | number, number>>();
  for (const { a, b } of items) {
    const g = groups.get(a) ?? new Map<string | number, number>();
    g.set(b, (g.get(b) ?? 0) + 1);
    groups.set(a, g);
  }
  let kept = 0;
  for (const g of groups.values()) kept += Math.max(...g.values());
  return kept / items.length;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function peopleFigures(visitorOf: Map<string, number>) {
  const items = people.map((p) => ({ person: p.person as string, visitor: visitorOf.get(p.file) as number }));
  return {
    purity: majorityShare(items.map((i) => ({ a: i.visitor, b: i.person }))),
    completeness: majorityShare(items.map((i) => ({ a: i.person, b: i.visitor }))),
    visitors: new Set(items.map((i) => i.visitor)).size,
  };
}

function pairFigures(visitorOf: Map<string, number>) {
  const same = pairs.filter((p) => p.same);
  const different = pairs.filter((p) => !p.same);
  return {
    together: same.filter((p) => visitorOf.get(p.x) === visitorOf.get(p.y)).length / same.length,
    apart: different.filter((p) => visitorOf.get(p.x) !== visitorOf.get(p.y)).length / different.length,
    visitors: new Set(pairPhotos.map((p) => visitorOf.get(p.file))).size,
  };
}

// The similarity range the threshold sits in.
const sameSims: number[] = [];
const differentSims: number[] = [];
for (let i = 0; i < people.length; i++)
  for (let j = i + 1; j < people.length; j++) {
    const a = people[i] as Photo;
    const b = people[j] as Photo;
    (a.person === b.person ? sameSims : differentSims).push(cosine(a.vector, b.vector));
  }
for (const p of pairs) {
  const x = pairPhotos.find((q) => q.file === p.x) as Photo;
  const y = pairPhotos.find((q) => q.file === p.y) as Photo;
  (p.same ? sameSims : differentSims).push(cosine(x.vector, y.vector));
}
console.log(
  `photos: people/ ${people.length} of ${new Set(people.map((p) => p.person)).size} people; pairs/ ${pairPhotos.length} (${pairs.filter((p) => p.same).length} same, ${pairs.filter((p) => !p.same).length} different pairs, ${pairGroups()} Yes-connected groups)`,
);
console.log(
  `cosine similarity: same person ≥ ${Math.min(...sameSims).toFixed(3)} (${sameSims.length} pairs), different people ≤ ${Math.max(...differentSims).toFixed(3)} (${differentSims.length} pairs)`,
);
console.log(
  "\nthreshold | people/: purity  completeness  visitors/people | pairs/: same together  different apart  visitors | all: purity  completeness  same together  different apart",
);
for (const threshold of thresholds) {
  const p = peopleFigures(await group(people, threshold));
  const q = pairFigures(await group(pairPhotos, threshold));
  const all = await group([...people, ...pairPhotos], threshold);
  const ap = peopleFigures(all);
  const aq = pairFigures(all);
  const mark = threshold === DEFAULT_VISITOR_THRESHOLD ? " (default)" : "";
  console.log(
    `${threshold.toFixed(2)}${mark} | ${pct(p.purity)}  ${pct(p.completeness)}  ${p.visitors}/${new Set(people.map((x) => x.person)).size} | ${pct(q.together)}  ${pct(q.apart)}  ${q.visitors} | ${pct(ap.purity)}  ${pct(ap.completeness)}  ${pct(aq.together)}  ${pct(aq.apart)}`,
  );
}

// Video tracks: the Hamilton clip.
const clip = path.join(sharedData, "video", "short_hamilton_clip.mp4");
if (!existsSync(clip)) console.log(`\nHamilton clip: not found at ${clip}, skipped`);
else {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bench-visitors-clip-"));
  try {
    const tracker = await FaceTracker.create({ db_path: dir }, { analyzer });
    const result = await tracker.findFacesInFile(clip, { remember: true });
    await tracker.close();
    const memory = FaceMemory.open(dir, { dimension: EMBEDDING_DIM });
    const tracks = memory.list().map((t) => {
      const face = result.faces.find((f) => f.trackId === t.trackId);
      const first = face?.firstFrame ?? -1;
      const last = face?.lastFrame ?? -1;
      const person =
        first >= 20 && last < 82
          ? "alex_lacamoire"
          : first >= 80 && last < 220
            ? "lin_manuel_miranda"
            : undefined;
      return { person, visitor: memory.visitorOfTrack(t.id), undetermined: t.undetermined };
    });
    memory.close();
    const labelled = tracks.filter((t) => t.person !== undefined && t.visitor !== undefined);
    const items = labelled.map((t) => ({ person: t.person as string, visitor: t.visitor as number }));
    const purity = majorityShare(items.map((i) => ({ a: i.visitor, b: i.person })));
    const completeness = majorityShare(items.map((i) => ({ a: i.person, b: i.visitor })));
    console.log(
      `\nHamilton clip (threshold ${DEFAULT_VISITOR_THRESHOLD}): ${tracks.length} tracks (${tracks.filter((t) => t.undetermined).length} undetermined: no visitor), ${labelled.length} unknown tracks within one shot of ${new Set(items.map((i) => i.person)).size} people: purity ${pct(purity)}, completeness ${pct(completeness)}, ${new Set(items.map((i) => i.visitor)).size} visitors; all ${tracks.filter((t) => t.visitor !== undefined).length} unknown tracks: ${new Set(tracks.flatMap((t) => (t.visitor === undefined ? [] : [t.visitor]))).size} visitors`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// A generated scene: the people/ photos' six people, each coming back three times (another photo of them
// when they have one), one at a time, 1.6 s each with a 0.4 s empty gap (their tracks end between visits),
// drifting a little; analysed and remembered with the default threshold, nobody enrolled. Each track's
// person is the one on screen during its frames.
{
  const FPS = 25;
  const VISIT = 40;
  const SLOT = 50;
  const VISITS = 3;
  const names = readdirSync(path.join(facesDir, "people")).sort();
  const pictures = new Map<
    string,
    { picture: RgbImage; faceInPicture: [number, number, number, number] }[]
  >();
  for (const name of names) {
    const list = [];
    for (const f of readdirSync(path.join(facesDir, "people", name)).sort()) {
      const image = await decodeImage(path.join(facesDir, "people", name, f));
      const [face] = await analyzer.analyze(image, { largestOnly: true, embed: false });
      if (!face) continue;
      const picture = facePicture(image, face.box, 90);
      list.push({ picture, faceInPicture: await locateFace(analyzer, picture) });
    }
    if (list.length > 0) pictures.set(name, list);
  }
  const schedule: { person: string; slot: number; photo: number }[] = [];
  for (let v = 0; v < VISITS; v++)
    for (const [i, name] of [...pictures.keys()].entries()) {
      schedule.push({ person: name, slot: v * pictures.size + i, photo: v });
    }
  const actors: Actor[] = schedule.map((s) => {
    const shots = pictures.get(s.person) as {
      picture: RgbImage;
      faceInPicture: [number, number, number, number];
    }[];
    const shot = shots[s.photo % shots.length] as (typeof shots)[number];
    return {
      name: `${s.person}#${s.slot}`,
      picture: shot.picture,
      faceInPicture: shot.faceInPicture,
      position: (f: number) => {
        const t = f - s.slot * SLOT;
        return t >= 0 && t < VISIT ? [120 + 3 * t + (s.slot % 3) * 60, 60 + (s.slot % 2) * 40] : null;
      },
    };
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bench-visitors-scene-"));
  try {
    const video = path.join(dir, "scene.mp4");
    await renderScene(video, { width: 640, height: 360, fps: FPS, frames: schedule.length * SLOT, actors });
    const db = path.join(dir, "db");
    const tracker = await FaceTracker.create({ db_path: db }, { analyzer });
    const result = await tracker.findFacesInFile(video, { remember: true });
    await tracker.close();
    const memory = FaceMemory.open(db, { dimension: EMBEDDING_DIM });
    const tracks = memory.list().map((t) => {
      const face = result.faces.find((f) => f.trackId === t.trackId);
      const slot = Math.floor(((face?.firstFrame ?? 0) + (face?.lastFrame ?? 0)) / 2 / SLOT);
      return {
        person: schedule.find((s) => s.slot === slot)?.person ?? "?",
        visitor: memory.visitorOfTrack(t.id),
        undetermined: t.undetermined,
      };
    });
    memory.close();
    const assigned = tracks.filter((t) => t.visitor !== undefined);
    const items = assigned.map((t) => ({ person: t.person, visitor: t.visitor as number }));
    const purity = majorityShare(items.map((i) => ({ a: i.visitor, b: i.person })));
    const completeness = majorityShare(items.map((i) => ({ a: i.person, b: i.visitor })));
    console.log(
      `\nGenerated scene (threshold ${DEFAULT_VISITOR_THRESHOLD}): ${pictures.size} people × ${VISITS} visits (${schedule.length}), ${tracks.length} tracks (${tracks.filter((t) => t.undetermined).length} undetermined: no visitor), ${assigned.length} unknown tracks: purity ${pct(purity)}, completeness ${pct(completeness)}, ${new Set(items.map((i) => i.visitor)).size} visitors for ${new Set(items.map((i) => i.person)).size} people`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
