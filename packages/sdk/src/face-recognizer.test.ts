import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveFile } from "@facetracker/models";
import { cropImage, decodeImage, FaceAnalyzer } from "@facetracker/vision";
import sharp from "sharp";
import { FaceRecognizer } from "./face-recognizer.ts";

// Real models on the registry sample photos: enroll outcomes and recognition in one process.
describe("FaceRecognizer (real models, registry sample photos)", () => {
  let dir: string;
  let recognizer: FaceRecognizer;
  let faceFile: string;
  const sample1 = () => resolveFile("sample1");

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-sdk-"));
    const yaml = path.join(dir, "config.yaml");
    await writeFile(yaml, `db_path: ${path.join(dir, "gallery")}\ncosine_similarity_threshold: 0.4\n`);
    recognizer = await FaceRecognizer.fromConfig(
      { file: yaml, env: {} },
      { analyzer: await FaceAnalyzer.create() },
    );
    const image = await decodeImage(sample1());
    const [face] = (await recognizer.detectFaces(image, { embed: false })).sort(
      (a, b) => a.box[0] - b.box[0],
    );
    assert.ok(face);
    const [x1, y1, x2, y2] = face.box;
    const crop = cropImage(image, [x1 - 80, y1 - 80, x2 + 80, y2 + 80]);
    faceFile = path.join(dir, "face.jpg");
    await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
      .flop()
      .jpeg()
      .toFile(faceFile);
  });
  after(async () => {
    await recognizer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes its configuration from the YAML file", () => {
    assert.equal(recognizer.threshold, 0.4);
    assert.equal(recognizer.config.db_path, path.join(dir, "gallery"));
  });

  it("enrolls, reporting every photo it could not use", async () => {
    const blank = path.join(dir, "blank.png");
    await sharp({ create: { width: 200, height: 200, channels: 3, background: "#333" } })
      .png()
      .toFile(blank);
    const report = await recognizer.enroll(
      "alice",
      [faceFile, blank, path.join(dir, "missing.jpg"), faceFile],
      {
        attributes: { role: "staff" },
      },
    );
    assert.equal(report.created, true);
    assert.equal(report.enrolled, 1);
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ["enrolled", "no_face", "error", "duplicate"],
    );
    const identity = await recognizer.gallery.get("alice");
    assert.deepEqual(identity?.attributes, { role: "staff" });
    const [embedding] = await recognizer.gallery.embeddings("alice");
    assert.ok(embedding?.hasThumbnail);
    const thumb = await recognizer.gallery.thumbnail(embedding.id);
    assert.equal((await sharp(thumb).metadata()).width, 112);
  });

  it("recognizes the enrolled face in the original photo and nobody else", async () => {
    const faces = (await recognizer.recognize(sample1())).sort((a, b) => a.box[0] - b.box[0]);
    assert.equal(faces.length, 3);
    assert.equal(faces[0]?.identity?.name, "alice");
    assert.deepEqual(faces[0]?.identity?.attributes, { role: "staff" });
    assert.equal(faces[1]?.identity, null);
    assert.equal(faces[2]?.identity, null);
    assert.ok((faces[1]?.bestSimilarity as number) < 0.4);
  });

  it("refuses a face that belongs to another identity unless forced", async () => {
    const refused = await recognizer.enroll("bob", [faceFile]);
    assert.equal(refused.enrolled, 0);
    assert.equal(refused.outcomes[0]?.status, "conflict");
    assert.equal(await recognizer.gallery.get("bob"), undefined, "nothing created for a refused enrollment");
    const forced = await recognizer.enroll("bob", [faceFile], { force: true });
    assert.equal(forced.enrolled, 1);
  });

  it("verify compares the subjects of two photos, or the faces picked, and says which it took", async () => {
    const result = await recognizer.verify(faceFile, faceFile);
    assert.ok((result.similarity as number) > 0.99);
    assert.equal(result.same, true);
    assert.deepEqual(
      result.faces.map((f) => [f?.index, f?.count, f?.chosenBy]),
      [
        [1, 1, "only"],
        [1, 1, "only"],
      ],
    );
    // sample1 has three people; face 1 (the leftmost) is the person of faceFile, face 3 is not.
    const picked = await recognizer.verify(faceFile, sample1(), { b: { index: 1 } });
    assert.deepEqual(
      [picked.faces[1]?.index, picked.faces[1]?.count, picked.faces[1]?.chosenBy],
      [1, 3, "index"],
    );
    assert.equal(picked.same, true, `similarity ${picked.similarity}`);
    const other = await recognizer.verify(faceFile, sample1(), { b: { index: 3 } });
    assert.equal(other.same, false, `similarity ${other.similarity}`);
  });
});
