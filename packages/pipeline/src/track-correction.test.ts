/**
 * correctTrack and undoCorrection with a real embedded gallery and face memory (small vectors): the
 * negative rule follows a correction and its undo, and a memory write that fails leaves nothing in the
 * gallery.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { FaceMemory, MemoryError } from "@facetracker/face-memory";
import { EmbeddedGallery } from "@facetracker/gallery";
import { correctTrack, undoCorrection } from "./track-correction.ts";

const D = 8;
const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
const unit = (...xs: number[]) => {
  const v = new Float32Array(D);
  xs.forEach((x, i) => {
    v[i] = x;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

it("a correction and its undo, and a failed memory write that takes the gallery part back", async () => {
  const dir = join(await mkdtemp(join(tmpdir(), "ft-track-correction-")), "gallery");
  roots.push(dir);
  const config = parseConfig({ db_path: dir });
  const gallery = await EmbeddedGallery.open(dir, { dimension: D });
  const amyFace = unit(1, 0.2);
  const beaFace = unit(0.6, 1); // cosine 0.6 with amy's face: named amy (wrongly)
  const amy = await gallery.enroll("amy", [{ vector: amyFace }]);
  const memory = FaceMemory.open(dir, { dimension: D, retentionDays: 0 });
  const [id] = memory.rememberSource({ kind: "file", name: "/v.mp4" }, [
    {
      trackId: 1,
      firstMs: 0,
      lastMs: 0,
      identity: { id: amy.identity.id, name: "amy", similarity: 0.6 },
      closest: null,
      undetermined: false,
      thumbnail: null,
      embeddings: [{ vector: beaFace, quality: 1 }],
    },
  ]) as [number];
  assert.equal((await gallery.search(beaFace, { k: 1 }))[0]?.name, "amy");

  const reader = FaceMemory.open(dir, { dimension: D, readOnly: true });
  await assert.rejects(correctTrack(gallery, config, reader, { track: id, kind: "not" }), MemoryError);
  assert.equal((await gallery.get("amy"))?.negativeCount, 0, "the memory's failure took the negatives back");

  const not = await correctTrack(gallery, config, memory, { track: id, kind: "not" });
  assert.equal(not.correction.negativeIds.length, 1);
  assert.deepEqual(await gallery.search(beaFace, { k: 1 }), []);
  assert.equal((await gallery.search(amyFace, { k: 1 }))[0]?.name, "amy");
  const undone = await undoCorrection(gallery, memory, not.correction.id);
  assert.deepEqual(undone.removed, { negatives: 1, embeddings: 0, identityDeleted: false });
  assert.equal((await gallery.search(beaFace, { k: 1 }))[0]?.name, "amy");

  const is = await correctTrack(gallery, config, memory, { track: id, kind: "is", name: "bea" });
  assert.equal(is.enrolled, 1);
  assert.equal((await gallery.search(beaFace, { k: 1 }))[0]?.name, "bea");
  assert.equal(memory.track(id)?.identity?.name, "bea");
  const back = await undoCorrection(gallery, memory, is.correction.id);
  assert.deepEqual(back.removed, { negatives: 1, embeddings: 1, identityDeleted: true });
  assert.equal(await gallery.get("bea"), undefined);
  assert.equal(memory.track(id)?.identity?.name, "amy");
  reader.close();
  memory.close();
  await gallery.close();
});
