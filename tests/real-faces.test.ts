import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { analyzeOptionsFrom } from "@facetracker/pipeline";
import {
  bestThreshold,
  embedPhotoFace,
  FaceRecognizer,
  type RecognizedFace,
  statsAt,
} from "@facetracker/sdk";
import { cosine, FaceAnalyzer } from "@facetracker/vision";
import { facesDir, skipWithoutSharedData } from "./helpers/shared-data.ts";

const skip = skipWithoutSharedData();

const people = skip
  ? []
  : readdirSync(path.join(facesDir, "people"))
      .sort()
      .map((name) => ({
        name,
        photos: readdirSync(path.join(facesDir, "people", name))
          .sort()
          .map((f) => path.join(facesDir, "people", name, f)),
      }));

const area = (f: RecognizedFace) => (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
const byX = (faces: RecognizedFace[]) => [...faces].sort((a, b) => a.box[0] - b.box[0]);
const nameOf = (f: RecognizedFace | undefined) => f?.identity?.name ?? "unknown";

describe("recognition on real photos (../shared/data/faces)", { skip }, () => {
  let dir: string;
  let recognizer: FaceRecognizer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-real-"));
    recognizer = await FaceRecognizer.create({ db_path: path.join(dir, "gallery") });
    for (const person of people) {
      const report = await recognizer.enroll(person.name, [person.photos[0] as string]);
      assert.equal(report.enrolled, 1, `${person.name}: ${JSON.stringify(report.outcomes)}`);
    }
  });
  after(async () => {
    await recognizer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("names the person of every other photo in people/, and leaves everyone else unknown", async () => {
    let checked = 0;
    for (const person of people) {
      for (const photo of person.photos.slice(1)) {
        const faces = await recognizer.recognize(photo);
        assert.ok(faces.length >= 1, `${photo}: no face`);
        const main = faces.reduce((a, b) => (area(b) > area(a) ? b : a));
        assert.equal(nameOf(main), person.name, `${photo}: similarity ${main.bestSimilarity}`);
        for (const other of faces.filter((f) => f !== main))
          assert.equal(nameOf(other), "unknown", `${photo}: second face`);
        checked++;
      }
    }
    assert.ok(checked >= 6, `only ${checked} photos checked`);
  });

  it("names every known face in scenes/ and leaves unknown faces unknown", async () => {
    const scene = (f: string) => recognizer.recognize(path.join(facesDir, "scenes", f));
    assert.deepEqual((await scene("alex_lacamoire1.jpg")).map(nameOf), ["alex_lacamoire"]);
    assert.deepEqual((await scene("johnsnow_test1.jpg")).map(nameOf), ["kit_harington"]);
    assert.deepEqual((await scene("obama1.jpg")).map(nameOf), ["obama"]);
    assert.deepEqual(byX(await scene("kit_with_rose.jpg")).map(nameOf), ["rose_leslie", "kit_harington"]);
    assert.deepEqual(byX(await scene("two_people.jpg")).map(nameOf), ["obama", "biden"]);
    assert.deepEqual((await scene("obama_and_biden.jpg")).map(nameOf).sort(), ["biden", "obama", "unknown"]);
  });

  it("recognizeBatch gives the same answers as recognize, in input order", async () => {
    const files = readdirSync(path.join(facesDir, "scenes"))
      .sort()
      .map((f) => path.join(facesDir, "scenes", f));
    const batch = [];
    for await (const r of recognizer.recognizeBatch(files)) batch.push(r);
    assert.deepEqual(
      batch.map((r) => r.index),
      files.map((_, i) => i),
    );
    for (const r of batch) {
      assert.equal(r.error, undefined);
      const single = await recognizer.recognize(files[r.index] as string);
      assert.deepEqual(r.faces.map(nameOf), single.map(nameOf));
    }
  });
});

describe("verification on pairs.csv (../shared/data/faces/pairs)", { skip }, () => {
  it("reaches at least 99 % accuracy at the default cosine_similarity_threshold", async () => {
    const config = parseConfig({});
    const analyzer = await FaceAnalyzer.create();
    const pairsDir = path.join(facesDir, "pairs");
    const rows = readFileSync(path.join(pairsDir, "pairs.csv"), "utf8").trim().split(/\r?\n/).slice(1);
    const cache = new Map<string, Float32Array>();
    const embed = async (f: string) => {
      if (!cache.has(f)) {
        const found = await embedPhotoFace(
          analyzer,
          path.join(pairsDir, "images", f),
          analyzeOptionsFrom(config),
        );
        assert.ok(found, `no face in ${f}`);
        cache.set(f, found.face.embedding);
      }
      return cache.get(f) as Float32Array;
    };
    const scored = [];
    for (const row of rows) {
      const [x, y, decision] = row.split(",").map((s) => s.trim()) as [string, string, string];
      scored.push({ similarity: cosine(await embed(x), await embed(y)), same: decision === "Yes" });
    }
    assert.equal(scored.length, 300);
    const threshold = config.cosine_similarity_threshold;
    const at = statsAt(scored, threshold);
    const best = bestThreshold(scored);
    console.log(
      `pairs: accuracy ${at.accuracy} at ${threshold} (TMR ${at.trueMatchRate}, FMR ${at.falseMatchRate}); best ${best.threshold.toFixed(3)}`,
    );
    assert.ok(at.accuracy >= 0.99, `accuracy ${at.accuracy}`);
  });
});
