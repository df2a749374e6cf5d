/**
 * Issue 14, items 4–6 through the real CLI on the real photos of ../shared/data: the subject of a photo
 * (the large face covering the centre, else the largest; --face / --box pick another; the JSON says which),
 * enrollment that checks itself (photos under one name must agree; a blurred face is refused; --force).
 * Most checks go through the library (models loaded once); the CLI runs only for its output. verify --pairs
 * on pairs.csv (FAR / FRR) is tested in cli.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { FaceChoiceError, FaceRecognizer, type PhotoFaceChoice } from "@facetracker/sdk";
import sharp from "sharp";
import { facesDir, skipWithoutSharedData } from "./helpers/shared-data.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const main = path.join(root, "packages/cli/src/main.ts");
const skip = skipWithoutSharedData();

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, FACETRACKER_CONFIG: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const people = (name: string, file: string) => path.join(facesDir, "people", name, file);
const scene = (file: string) => path.join(facesDir, "scenes", file);
type Box = [number, number, number, number];
const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);
interface FaceJson {
  index: number;
  count: number;
  chosen_by: string;
  box: Box;
}
interface VerifyJson {
  similarity: number | null;
  same: boolean | null;
  face_x: FaceJson | null;
  face_y: FaceJson | null;
}

describe("the subject of a photo and enrollment that checks itself (real photos)", { skip }, () => {
  let dir: string;
  /** Obama's face at the centre of the canvas, Biden's larger face off-centre to the right. */
  let composed: string;
  let blurred: string;
  /** One recognizer (models loaded once) for the checks made through the library. */
  let recognizer: FaceRecognizer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-subject-"));
    recognizer = await FaceRecognizer.create({ db_path: path.join(dir, "g-verify") });
    // Regions around each face of two real portraits (faces: Obama 220×315 px, Biden 251×369 px).
    const obama = await sharp(people("obama", "train_obama.jpg"))
      .extract({ left: 283, top: 0, width: 420, height: 560 })
      .toBuffer();
    const biden = await sharp(people("biden", "train_biden.jpg"))
      .extract({ left: 340, top: 91, width: 451, height: 609 })
      .toBuffer();
    composed = path.join(dir, "composed.jpg");
    // Canvas 1600×1000: Obama's face centre (493, 247 in his photo) on the canvas centre (800, 500).
    await sharp({ create: { width: 1600, height: 1000, channels: 3, background: "#8a8f96" } })
      .composite([
        { input: obama, left: 800 - (493 - 283), top: 500 - 247 },
        { input: biden, left: 1100, top: 150 },
      ])
      .jpeg({ quality: 92 })
      .toFile(composed);
    blurred = path.join(dir, "obama-blurred.jpg");
    await sharp(people("obama", "train_obama.jpg")).blur(12).jpeg().toFile(blurred);
  });
  after(async () => {
    await recognizer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("verify takes the face at the centre where the largest-face rule would take a bystander; --face / --box pick another", async () => {
    const obama2 = people("obama", "train_obama2.jpg");
    const subject = await recognizer.verify(composed, obama2);
    const [x, y] = subject.faces as [PhotoFaceChoice, PhotoFaceChoice];
    assert.deepEqual([x.index, x.count, x.chosenBy], [1, 2, "centre"]);
    assert.ok(x.box[0] < 800 && x.box[2] > 800 && x.box[1] < 500 && x.box[3] > 500, "covers the centre");
    assert.equal(subject.same, true, `similarity ${subject.similarity}`);
    assert.deepEqual([y.count, y.chosenBy], [1, "only"]);

    // Face 2 (the right one) is the larger: what the largest-face rule took, the wrong person.
    const other = await recognizer.verify(composed, obama2, { a: { index: 2 } });
    const bystander = other.faces[0] as PhotoFaceChoice;
    assert.deepEqual([bystander.index, bystander.count, bystander.chosenBy], [2, 2, "index"]);
    assert.ok(area(bystander.box) > area(x.box), `face 2 is not larger than face 1`);
    assert.equal(other.same, false, `similarity ${other.similarity}`);

    // The same bystander by a loose box around it is Biden.
    const [bx1, by1, bx2, by2] = bystander.box;
    const box: Box = [bx1 - 30, by1 - 30, bx2 + 30, by2 + 30];
    const byBox = await recognizer.verify(composed, people("biden", "train_biden2.jpg"), { a: { box } });
    assert.deepEqual([byBox.faces[0]?.index, byBox.faces[0]?.chosenBy], [2, "box"]);
    assert.equal(byBox.same, true, `similarity ${byBox.similarity}`);
  });

  it("real photos with two people: Biden's portrait with a second person, Kit Harington with Rose Leslie", async () => {
    const biden = people("biden", "train_biden.jpg");
    const withOther = people("biden", "train_biden2.jpg");
    const second = await recognizer.verify(biden, withOther);
    const taken = second.faces[1] as PhotoFaceChoice;
    assert.equal(taken.count, 2);
    assert.equal(second.same, true, `similarity ${second.similarity}`);
    const stranger = await recognizer.verify(biden, withOther, { b: { index: 3 - taken.index } });
    assert.equal(stranger.same, false, "the other face of train_biden2.jpg is not Biden");
    // kit_with_rose: Rose Leslie left (face 1), Kit Harington right and larger; neither covers the centre.
    const kit = await recognizer.verify(
      scene("kit_with_rose.jpg"),
      people("kit_harington", "train_john1.jpeg"),
    );
    assert.deepEqual([kit.faces[0]?.index, kit.faces[0]?.chosenBy, kit.same], [2, "largest", true]);
    const rose = await recognizer.verify(
      scene("kit_with_rose.jpg"),
      people("rose_leslie", "train_img2.jpg"),
      {
        a: { index: 1 },
      },
    );
    assert.equal(rose.same, true, `similarity ${rose.similarity}`);
    await assert.rejects(
      recognizer.verify(scene("kit_with_rose.jpg"), biden, { a: { index: 3 } }),
      (e: Error) => e instanceof FaceChoiceError && /the photo has 2 faces/.test(e.message),
    );
  });

  it("verify --json says which face was taken and how many there were; text names it; a wrong number is one line", () => {
    const r = cli("verify", "--json", "--face", "2", composed, people("obama", "train_obama2.jpg"));
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as VerifyJson;
    assert.deepEqual(Object.keys(doc), ["file_x", "file_y", "similarity", "same", "face_x", "face_y"]);
    assert.deepEqual(Object.keys(doc.face_x as FaceJson), ["index", "count", "chosen_by", "box"]);
    assert.deepEqual(
      [doc.face_x?.index, doc.face_x?.count, doc.face_x?.chosen_by, doc.same],
      [2, 2, "index", false],
    );
    assert.deepEqual([doc.face_y?.index, doc.face_y?.count, doc.face_y?.chosen_by], [1, 1, "only"]);
    const text = cli("verify", composed, people("obama", "train_obama2.jpg"));
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^similarity 0\.\d{3}: same person \(threshold 0\.36\)$/m);
    assert.match(text.out, /composed\.jpg: face 1 of 2 \(the large face at the centre\)/);
    const bad = cli("verify", "--face", "3", scene("kit_with_rose.jpg"), composed);
    assert.equal(bad.code, 1);
    assert.match(
      bad.err.trim(),
      /^facetracker: .*kit_with_rose\.jpg: face 3 asked for, but the photo has 2 faces \(numbered 1–2 from left to right\)$/,
    );
  });

  it("enroll refuses a photo of someone else under one name, naming the pair and the similarity (text, --json)", () => {
    const db = path.join(dir, "g-mixed");
    const obama = [people("obama", "train_obama.jpg"), people("obama", "train_obama2.jpg")];
    const biden = people("biden", "train_biden.jpg");
    const r = cli("enroll", "--db", db, "--name", "mixed", ...obama, biden);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /train_obama\.jpg: enrolled\n.*train_obama2\.jpg: enrolled\nmixed: created, 2 of 3 photos enrolled/,
    );
    assert.match(
      r.err,
      /train_biden\.jpg: mismatch: the face does not look like the other faces of 'mixed': closest .*obama.*\.jpg, similarity -?0\.\d{3} \(below the threshold 0\.36\); --force/,
    );
    // Against the faces already enrolled: refused alone, with the enrolled photo named.
    const again = cli("enroll", "--db", db, "--name", "mixed", "--json", biden);
    assert.equal(again.code, 1);
    const report = JSON.parse(again.out) as {
      enrolled: number;
      outcomes: { status: string; closest: string; similarity: number; face: { chosen_by: string } }[];
    };
    assert.equal(report.enrolled, 0);
    const [o] = report.outcomes;
    assert.equal(o?.status, "mismatch");
    assert.match(o?.closest ?? "", /obama.*\.jpg \(already enrolled\)$/);
    assert.ok((o?.similarity as number) < 0.36);
    assert.equal(o?.face.chosen_by, "only");
  });

  it("forced, the photo unlike the others is enrolled all the same", async () => {
    const db = await FaceRecognizer.create(
      { db_path: path.join(dir, "g-forced") },
      { analyzer: recognizer.analyzer },
    );
    try {
      const photos = [people("obama", "train_obama.jpg"), people("biden", "train_biden.jpg")];
      const refused = await db.enroll("mixed", photos);
      assert.deepEqual(
        refused.outcomes.map((o) => o.status),
        ["enrolled", "mismatch"],
      );
      const forced = await db.enroll("mixed", [photos[1] as string], { force: true });
      assert.deepEqual(
        forced.outcomes.map((o) => o.status),
        ["enrolled"],
      );
    } finally {
      await db.close();
    }
  });

  it("two photos of one person are enrolled together; a photo's subject, or the face picked, is what is enrolled", async () => {
    const db = await FaceRecognizer.create(
      { db_path: path.join(dir, "g-people") },
      { analyzer: recognizer.analyzer },
    );
    try {
      const obama = await db.enroll("obama", [
        people("obama", "train_obama.jpg"),
        people("obama", "train_obama2.jpg"),
      ]);
      assert.deepEqual(
        obama.outcomes.map((o) => o.status),
        ["enrolled", "enrolled"],
      );
      const withOther = people("biden", "train_biden2.jpg");
      const biden = await db.enroll("biden", [withOther]);
      const [b] = biden.outcomes;
      assert.equal(b?.status, "enrolled");
      const face = (b && "face" in b ? b.face : undefined) as PhotoFaceChoice;
      assert.deepEqual([face.count, face.chosenBy], [2, "centre"]);
      // kit_with_rose: Kit Harington (face 2, the largest) by default, Rose Leslie picked as face 1.
      const kit = await db.enroll("kit", [scene("kit_with_rose.jpg")]);
      const kitFace = kit.outcomes[0] && "face" in kit.outcomes[0] ? kit.outcomes[0].face : undefined;
      assert.deepEqual([kit.enrolled, kitFace?.index, kitFace?.chosenBy], [1, 2, "largest"]);
      const rose = await db.enroll("rose", [scene("kit_with_rose.jpg")], { face: { index: 1 } });
      const roseFace = rose.outcomes[0] && "face" in rose.outcomes[0] ? rose.outcomes[0].face : undefined;
      assert.deepEqual([rose.enrolled, roseFace?.index, roseFace?.chosenBy], [1, 1, "index"]);
      const [named] = await db.recognize(people("rose_leslie", "train_img2.jpg"));
      assert.equal(named?.identity?.name, "rose", "the face enrolled as rose is Rose Leslie's");
    } finally {
      await db.close();
    }
  });

  it("enroll refuses a face below the quality bar with the reason, unless forced", async () => {
    const db = await FaceRecognizer.create(
      { db_path: path.join(dir, "g-quality") },
      { analyzer: recognizer.analyzer },
    );
    try {
      const refused = await db.enroll("obama", [blurred]);
      const [o] = refused.outcomes;
      assert.equal(o?.status, "poor_quality");
      assert.ok(o?.status === "poor_quality" && o.problems.includes("blurred"), JSON.stringify(o));
      assert.match(o && "reason" in o ? o.reason : "", /not good enough to enroll: .*blurred.*; --force/);
      const forced = await db.enroll("obama", [blurred], { force: true });
      assert.equal(forced.enrolled, 1);
    } finally {
      await db.close();
    }
  });
});
