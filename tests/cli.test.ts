import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { samplePhotos, writeSampleFaceVariants } from "@facetracker/samples";
import { decodeImage, FaceAnalyzer } from "@facetracker/vision";
import sharp from "sharp";
import { facesDir, skipWithoutSharedData } from "./helpers/shared-data.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const main = path.join(root, "packages/cli/src/main.ts");

/** Runs the real CLI in a child process. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, FACETRACKER_CONFIG: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exit code non-zero and exactly one line on stderr that matches. */
function assertOneLineError(r: ReturnType<typeof cli>, pattern: RegExp) {
  assert.notEqual(r.code, 0, `expected failure, got: ${r.out}`);
  const lines = r.err.trim().split("\n");
  assert.match(lines[0] as string, pattern);
  assert.ok(!/\n\s+at /.test(r.err), `stack trace printed: ${r.err}`);
}

describe("facetracker CLI (sample photos from the registry)", () => {
  let dir: string;
  let db: string;
  let people: string[];
  let samples: string[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-cli-"));
    db = path.join(dir, "gallery");
    people = await writeSampleFaceVariants(await FaceAnalyzer.create({ threads: 1 }), dir);
    samples = samplePhotos();
    assert.equal(people.length, 3);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("enrolls people and reports what it did", () => {
    for (const [i, file] of people.entries()) {
      const r = cli("enroll", "--db", db, "--name", `person-${i + 1}`, "--attr", "team=demo", file);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`person-${i + 1}: created, 1 of 1 photos enrolled`));
    }
  });

  it("recognize --json prints one JSON document with boxes, scores and identities", () => {
    const r = cli("recognize", "--db", db, "--json", samples[0] as string, samples[1] as string);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as Array<{
      file: string;
      faces: Array<{ box: number[]; score: number; identity: { name: string; similarity: number } | null }>;
    }>;
    assert.equal(doc.length, 2);
    assert.equal(doc[0]?.file, samples[0]);
    const first = [...(doc[0]?.faces ?? [])].sort((a, b) => (a.box[0] as number) - (b.box[0] as number));
    assert.deepEqual(
      first.map((f) => f.identity?.name),
      ["person-1", "person-2", "person-3"],
    );
    for (const f of first) {
      assert.equal(f.box.length, 4);
      assert.ok(f.score > 0.9 && f.score <= 1);
      assert.ok((f.identity?.similarity as number) >= 0.36);
    }
    assert.ok((doc[1]?.faces.length ?? 0) >= 2);
    assert.ok(
      doc[1]?.faces.every((f) => f.identity === null),
      "people of sample2 are not enrolled",
    );
  });

  it("recognize --annotate writes a labelled copy of each photo", async () => {
    const out = path.join(dir, "annotated");
    const r = cli("recognize", "--db", db, "--annotate", out, samples[0] as string);
    assert.equal(r.code, 0, r.err);
    const file = path.join(out, "sample1.annotated.jpg");
    const [original, annotated] = [await decodeImage(samples[0] as string), await decodeImage(file)];
    assert.equal(annotated.width, original.width);
    assert.equal(annotated.height, original.height);
    let changed = 0;
    for (let i = 0; i < original.data.length; i += 3 * 97)
      if (Math.abs((original.data[i] as number) - (annotated.data[i] as number)) > 60) changed++;
    assert.ok(changed > 20, `only ${changed} sampled pixels changed: no boxes drawn`);
  });

  it("is a command: bin/facetracker from another directory, paths relative to it, '-' as stdin, only JSON on stdout", async () => {
    const cwd = path.join(dir, "elsewhere");
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, "alice.jpg"), await readFile(people[0] as string));
    const ft = (args: string[], input?: Buffer) => {
      const r = spawnSync(path.join(root, "bin/facetracker"), args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, FACETRACKER_CONFIG: "" },
        ...(input ? { input } : {}),
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const version = ft(["--version"]);
    assert.equal(version.code, 0, version.err);
    assert.match(version.out, /^facetracker \d+\.\d+\.\d+\n$/);
    // The default gallery is ./data/gallery of this directory: not there yet.
    const none = ft(["gallery", "list"]);
    assert.equal(none.code, 1);
    assert.match(none.err, /^facetracker: no gallery at \.\/data\/gallery: enroll someone first/);
    const enrolled = ft(["enroll", "--name", "alice", "--attr", "camelKey=x", "alice.jpg"]);
    assert.equal(enrolled.code, 0, enrolled.err);
    const list = ft(["gallery", "list", "--json"]);
    assert.equal(list.code, 0, list.err);
    assert.equal(list.err, "");
    const [alice] = JSON.parse(list.out) as Record<string, unknown>[];
    assert.deepEqual(
      Object.keys(alice ?? {}).filter((k) => k !== "negative_count"),
      ["id", "name", "attributes", "embedding_count", "created_at"],
    );
    assert.deepEqual(alice?.attributes, { camelKey: "x" }, "user attribute keys kept");
    const shown = JSON.parse(ft(["gallery", "show", "--json", "alice"]).out);
    assert.equal(shown.embeddings[0].identity_id, alice?.id);
    const fromStdin = ft(["recognize", "--json", "-"], await readFile(path.join(cwd, "alice.jpg")));
    assert.equal(fromStdin.code, 0, fromStdin.err);
    const [result] = JSON.parse(fromStdin.out);
    assert.equal(result.file, "-");
    assert.equal(result.faces[0].identity.name, "alice");
    const twice = ft(["verify", "-", "-"], Buffer.from("x"));
    assert.equal(twice.code, 2);
    assert.match(twice.err, /IMG_B and IMG_A cannot both read standard input/);
  });

  it("gallery list, show, rename and delete", () => {
    let r = cli("gallery", "list", "--db", db);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^person-1\t1 embedding\(s\)\t[0-9a-f-]{36}\tteam=demo$/m);
    r = cli("gallery", "rename", "--db", db, "person-3", "carol");
    assert.equal(r.code, 0, r.err);
    r = cli("gallery", "show", "--db", db, "--json", "carol");
    assert.equal(JSON.parse(r.out).name, "carol");
    assertOneLineError(cli("gallery", "rename", "--db", db, "carol", "person-1"), /person-1/);
    r = cli("gallery", "delete", "--db", db, "carol");
    assert.equal(r.code, 0, r.err);
    r = cli("gallery", "list", "--db", db, "--json");
    assert.deepEqual(
      (JSON.parse(r.out) as Array<{ name: string }>).map((i) => i.name),
      ["person-1", "person-2"],
    );
    assertOneLineError(cli("gallery", "delete", "--db", db, "carol"), /no identity 'carol'/);
  });

  it("gallery list and rename work while another process has the gallery open (as `facetracker up` does)", async () => {
    const gallery = pathToFileURL(path.join(root, "packages/gallery/src/index.ts")).href;
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { EmbeddedGallery } = await import(process.argv[1]);
         const gallery = await EmbeddedGallery.open(process.argv[2]);
         process.stdout.write((await gallery.list()).length + "\\n");
         process.stdin.on("data", async () => process.stdout.write((await gallery.list()).map((i) => i.name).join(",") + "\\n"));`,
        gallery,
        db,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: holder.stdout })[Symbol.asyncIterator]();
    try {
      assert.equal((await lines.next()).value, "2", "the other process has the gallery open");
      let r = cli("gallery", "list", "--db", db);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^person-2\t1 embedding\(s\)/m);
      r = cli("gallery", "rename", "--db", db, "person-2", "bea");
      assert.equal(r.code, 0, r.err);
      holder.stdin.write("list\n");
      assert.equal((await lines.next()).value, "bea,person-1", "the other process sees the rename");
      r = cli("gallery", "rename", "--db", db, "bea", "person-2");
      assert.equal(r.code, 0, r.err);
    } finally {
      holder.kill();
      if (holder.exitCode === null && holder.signalCode === null) await once(holder, "exit");
    }
  });

  it("refuses to enroll a face that already belongs to someone else, and a repeated photo", () => {
    const r = cli("enroll", "--db", db, "--name", "impostor", people[0] as string);
    assert.equal(r.code, 1);
    assert.match(r.err, /conflict: the face matches identity 'person-1'/);
    const again = cli("enroll", "--db", db, "--name", "person-1", people[0] as string);
    assert.equal(again.code, 1);
    assert.match(again.err, /duplicate: already enrolled for 'person-1'/);
  });

  it("verify compares the subjects of two images", () => {
    const same = cli("verify", people[1] as string, samples[0] as string);
    assert.equal(same.code, 0, same.err);
    const r = cli("verify", "--json", people[0] as string, people[1] as string);
    const doc = JSON.parse(r.out);
    assert.equal(doc.same, false);
    assert.ok(doc.similarity < 0.36);
    assert.equal(doc.face_x.count, 1);
    assert.equal(doc.face_x.chosen_by, "only");
  });

  it("verify --pairs measures a pair list and finds the best threshold", async () => {
    // The shared data's layout: the photos in images/ beside the CSV, found without --images.
    const csv = path.join(dir, "pairs", "pairs.csv");
    const images = path.join(dir, "pairs", "images");
    await mkdir(images, { recursive: true });
    // Two different pictures of each person (a variant and another variant), and pairs of different people.
    for (const [i, p] of people.entries()) {
      await writeFile(path.join(images, `a${i}.jpg`), await readFile(p));
      await writeFile(
        path.join(images, `b${i}.jpg`),
        await sharp(p).resize({ width: 150 }).jpeg({ quality: 70 }).toBuffer(),
      );
    }
    await writeFile(
      csv,
      "file_x,file_y,Decision\na0.jpg,b0.jpg,Yes\na1.jpg,b1.jpg,Yes\na2.jpg,b2.jpg,Yes\na0.jpg,b1.jpg,No\na1.jpg,b2.jpg,No\na2.jpg,b0.jpg,No\n",
    );
    const r = cli("verify", "--pairs", csv);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pairs: 6 \(3 same, 3 different\), 0 without a face/);
    assert.match(
      r.out,
      /at threshold 0\.36: accuracy 100\.00 %, false accepts 0\.00 % \(FAR: 0 of 3 different pairs\), false rejects 0\.00 % \(FRR: 0 of 3 same pairs\)/,
    );
    assert.match(r.out, /best threshold on this data: 0\.\d+ \(accuracy 100\.00 %/);
    // 3 different pairs resolve a FAR down to 33 % only: the default target (0.1 %) is below it.
    assert.match(r.out, /for FAR ≤ 0\.10 %: threshold 0\.\d+ \(FAR 0\.00 %, FRR 0\.00 %\)/);
    assert.match(r.out, /note: 3 different pairs cannot measure a FAR below 1\/3 = 33\.33 %/);
    const json = cli("verify", "--pairs", csv, "--images", images, "--json");
    const doc = JSON.parse(json.out);
    assert.equal(doc.pairs.length, 6);
    assert.deepEqual(Object.keys(doc.pairs[0]), ["file_x", "file_y", "same", "similarity"]);
    assert.deepEqual(doc.counts, { pairs: 6, same: 3, different: 3, without_face: 0 });
    assert.equal(doc.at_threshold.far, 0);
    assert.equal(doc.for_far.below_resolution, true);
  });

  it("verify --pairs --json on the real pair list of ../shared/data: FAR and FRR, honestly", {
    skip: skipWithoutSharedData(),
  }, () => {
    const pairs = path.join(facesDir, "pairs");
    const r = cli(
      "verify",
      "--pairs",
      path.join(pairs, "pairs.csv"),
      "--images",
      path.join(pairs, "images"),
      "--json",
      "--far",
      "0.001",
    );
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as {
      pairs: { same: boolean; similarity: number | null }[];
      counts: { different: number; same: number };
      threshold: number;
      at_threshold: { far: number; frr: number; false_accepts: number; false_rejects: number };
      for_far: { target_far: number; threshold: number; resolution: number; below_resolution: boolean };
    };
    assert.equal(doc.pairs.length, 300);
    assert.ok(doc.pairs.every((row) => typeof row.similarity === "number"));
    assert.deepEqual([doc.counts.same, doc.counts.different], [38, 262]);
    // The rates recomputed from the pairs themselves: FAR over different pairs, FRR over same pairs.
    const scores = doc.pairs as { same: boolean; similarity: number }[];
    const accepted = (t: number) => scores.filter((p) => !p.same && p.similarity >= t).length;
    const rejected = (t: number) => scores.filter((p) => p.same && p.similarity < t).length;
    assert.equal(doc.at_threshold.false_accepts, accepted(doc.threshold));
    assert.equal(doc.at_threshold.far, accepted(doc.threshold) / 262);
    assert.equal(doc.at_threshold.false_rejects, rejected(doc.threshold));
    assert.equal(doc.at_threshold.frr, rejected(doc.threshold) / 38);
    // 0.1 % is below what 262 different pairs can measure: the threshold accepts none of them, and is the
    // lowest such (halfway between the highest different-pair score and the next score above it).
    assert.equal(doc.for_far.target_far, 0.001);
    assert.equal(doc.for_far.below_resolution, true);
    assert.equal(doc.for_far.resolution, 1 / 262);
    assert.equal(accepted(doc.for_far.threshold), 0);
    const maxDifferent = Math.max(...scores.filter((p) => !p.same).map((p) => p.similarity));
    const next = Math.min(...scores.map((p) => p.similarity).filter((s) => s > maxDifferent));
    assert.ok(
      Math.abs(doc.for_far.threshold - (maxDifferent + next) / 2) < 1e-4,
      String(doc.for_far.threshold),
    );
  });

  describe("bad input: one clear line, non-zero exit, gallery intact", () => {
    const listNames = () =>
      (JSON.parse(cli("gallery", "list", "--db", db, "--json").out) as Array<{ name: string }>).map(
        (i) => i.name,
      );

    it("a missing file", () => {
      assertOneLineError(
        cli("recognize", "--db", db, path.join(dir, "nope.jpg")),
        /nope\.jpg: file not found/,
      );
      assertOneLineError(
        cli("enroll", "--db", db, "--name", "x", path.join(dir, "nope.jpg")),
        /nope\.jpg: file not found/,
      );
    });

    it("a file that is not an image, and a corrupt image", async () => {
      const text = path.join(dir, "readme.jpg");
      await writeFile(text, "plain text");
      assertOneLineError(cli("recognize", "--db", db, text), /readme\.jpg: not a supported image/);
      const cut = path.join(dir, "cut.jpg");
      await writeFile(cut, (await readFile(samples[0] as string)).subarray(0, 20_000));
      assertOneLineError(cli("recognize", "--db", db, cut), /cut\.jpg: corrupt or truncated jpeg image/);
    });

    it("no face when enrolling", async () => {
      const blank = path.join(dir, "wall.png");
      await sharp({ create: { width: 320, height: 240, channels: 3, background: "#777" } })
        .png()
        .toFile(blank);
      const r = cli("enroll", "--db", db, "--name", "nobody", blank);
      assertOneLineError(r, /wall\.png: no face found/);
      assert.match(r.out, /nobody: nothing enrolled/);
    });

    it("an unwritable gallery path", async () => {
      const file = path.join(dir, "plain-file");
      await writeFile(file, "x");
      assertOneLineError(
        cli("enroll", "--db", path.join(file, "gallery"), "--name", "x", people[0] as string),
        /plain-file\/gallery/,
      );
      if (process.getuid?.() !== 0) {
        const ro = path.join(dir, "read-only");
        await mkdir(ro);
        await chmod(ro, 0o500);
        assertOneLineError(
          cli("enroll", "--db", path.join(ro, "g"), "--name", "x", people[0] as string),
          /read-only\/g/,
        );
      }
    });

    it("an unknown option, an unknown command, a missing argument", () => {
      assertOneLineError(
        cli("recognize", "--db", db, "--jsn", samples[0] as string),
        /unknown option '--jsn'/,
      );
      assertOneLineError(cli("frobnicate"), /unknown command 'frobnicate'/);
      assertOneLineError(cli("enroll", "--db", db, people[0] as string), /--name is required/);
      assertOneLineError(
        cli("recognize", "--db", path.join(dir, "no-gallery"), samples[0] as string),
        /no gallery at/,
      );
    });

    it("a wrong configuration value names the key", async () => {
      const cfg = path.join(dir, "bad.yaml");
      await writeFile(cfg, "cosine_similarity_threshold: 2\n");
      assertOneLineError(
        cli("recognize", "--config", cfg, "--db", db, samples[0] as string),
        /cosine_similarity_threshold: .*1/,
      );
    });

    it("left the gallery as it was", () => {
      assert.deepEqual(listNames(), ["person-1", "person-2"]);
    });
  });
});
