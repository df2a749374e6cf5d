import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { EmbeddedGallery } from "@facetracker/gallery";
import { EMBEDDING_DIM, type FaceQuality, l2normalize } from "@facetracker/vision";
import { agreeingGroups, type EnrollmentCandidate, reviewEnrollment } from "./enrollment-policy.ts";

/**
 * A unit vector at `angle` degrees in the plane of axes `a` and `b`: two such vectors in one plane have
 * cosine cos(Δangle), so their similarity is chosen exactly.
 */
function vec(a: number, b: number, angle: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  v[a] = Math.cos((angle * Math.PI) / 180);
  v[b] = Math.sin((angle * Math.PI) / 180);
  return l2normalize(v);
}
// Threshold 0.36 ≈ cos 68.9°: 0° and 30° agree (0.866), 0° and 80° do not (0.174).
const config = parseConfig({ cosine_similarity_threshold: 0.36 });
const face = (label: string, vector: Float32Array, extra: Partial<EnrollmentCandidate> = {}) => ({
  label,
  vector,
  ...extra,
});

describe("reviewEnrollment: faces enrolled under one name must agree", () => {
  let dir: string;
  let gallery: EmbeddedGallery;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-policy-"));
    gallery = await EmbeddedGallery.open(path.join(dir, "g"));
    await gallery.enroll("ann", [{ vector: vec(0, 1, 0), source: "ann1.jpg" }]);
    await gallery.enroll("ben", [{ vector: vec(2, 3, 0), source: "ben1.jpg" }]);
  });
  after(async () => {
    await gallery.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a new name: the photos that agree are kept, the one unlike them is refused naming the closest and the similarity", async () => {
    const decisions = await reviewEnrollment(gallery, config, "new", [
      face("x1.jpg", vec(4, 5, 0)),
      face("x2.jpg", vec(4, 5, 30)),
      face("y.jpg", vec(4, 5, 110)), // −0.34 to x1, 0.17 to x2: below 0.36 for both
    ]);
    assert.deepEqual(
      decisions.map((d) => d.status),
      ["accepted", "accepted", "mismatch"],
    );
    const refused = decisions[2];
    assert.equal(refused?.status, "mismatch");
    if (refused?.status !== "mismatch") return;
    assert.equal(refused.closest, "x2.jpg");
    assert.ok(Math.abs(refused.similarity - Math.cos((80 * Math.PI) / 180)) < 1e-5);
    assert.match(
      refused.reason,
      /does not look like the other faces of 'new': closest x2\.jpg, similarity 0\.174 \(below the threshold 0\.36\); --force/,
    );
  });

  it("agreement is transitive, and on a tie the first photo says who the person is", async () => {
    // a–b agree (0.77), b–c agree (0.77), a–c do not (0.17): one group.
    const chain = await reviewEnrollment(gallery, config, "new", [
      face("a", vec(4, 5, 0)),
      face("b", vec(4, 5, 40)),
      face("c", vec(4, 5, 80)),
    ]);
    assert.deepEqual(
      chain.map((d) => d.status),
      ["accepted", "accepted", "accepted"],
    );
    const tie = await reviewEnrollment(gallery, config, "new", [
      face("p", vec(4, 5, 0)),
      face("q", vec(6, 7, 0)),
    ]);
    assert.deepEqual(
      tie.map((d) => d.status),
      ["accepted", "mismatch"],
    );
    // The larger group wins over the first photo.
    const larger = await reviewEnrollment(gallery, config, "new", [
      face("odd", vec(6, 7, 0)),
      face("m1", vec(4, 5, 0)),
      face("m2", vec(4, 5, 20)),
    ]);
    assert.deepEqual(
      larger.map((d) => d.status),
      ["mismatch", "accepted", "accepted"],
    );
  });

  it("an existing name: a face unlike every stored face is refused naming the stored photo; one like them is taken", async () => {
    // other.jpg: 0.087 to the stored face, 0.079 to ann2.jpg.
    const [unlike, like] = await reviewEnrollment(gallery, config, "ann", [
      face("other.jpg", vec(0, 10, 85)),
      face("ann2.jpg", vec(0, 1, 25)),
    ]);
    assert.equal(like?.status, "accepted");
    assert.equal(unlike?.status, "mismatch");
    if (unlike?.status !== "mismatch") return;
    assert.equal(unlike.closest, "ann1.jpg (already enrolled)");
    assert.match(unlike.reason, /closest ann1\.jpg \(already enrolled\), similarity 0\.087/);
    // A photo that agrees with a new photo that agrees with the stored face is kept too.
    const through = await reviewEnrollment(gallery, config, "ann", [
      face("ann2.jpg", vec(0, 1, 40)),
      face("ann3.jpg", vec(0, 1, 80)),
    ]);
    assert.deepEqual(
      through.map((d) => d.status),
      ["accepted", "accepted"],
    );
  });

  it("forced: every face is taken but repeats; faces of one group (a track) agree by construction", async () => {
    const forced = await reviewEnrollment(
      gallery,
      config,
      "ann",
      [face("other.jpg", vec(0, 1, 85)), face("again", vec(0, 1, 0))],
      { force: true },
    );
    assert.deepEqual(
      forced.map((d) => d.status),
      ["accepted", "duplicate"],
    );
    const track = await reviewEnrollment(gallery, config, "new", [
      face("track 1", vec(8, 9, 0), { group: 1 }),
      face("track 1", vec(8, 9, 85), { group: 1 }),
    ]);
    assert.deepEqual(
      track.map((d) => d.status),
      ["accepted", "accepted"],
    );
  });

  it("another identity's face is a conflict before any agreement is checked", async () => {
    const [d] = await reviewEnrollment(gallery, config, "ann", [face("ben.jpg", vec(2, 3, 10))]);
    assert.equal(d?.status, "conflict");
  });

  it("a face below the quality bar is refused with the reasons, unless forced", async () => {
    const poor: FaceQuality = {
      score: 0.1,
      good: false,
      faceLike: true,
      reasons: ["blurred", "profile"],
      signals: {} as FaceQuality["signals"],
    };
    const [d] = await reviewEnrollment(gallery, config, "new", [
      face("blur.jpg", vec(4, 5, 0), { quality: poor }),
    ]);
    assert.equal(d?.status, "poor_quality");
    if (d?.status !== "poor_quality") return;
    assert.deepEqual(d.problems, ["blurred", "profile"]);
    assert.match(d.reason, /not good enough to enroll: blurred, profile; --force/);
    const [forced] = await reviewEnrollment(
      gallery,
      config,
      "new",
      [face("blur.jpg", vec(4, 5, 0), { quality: poor })],
      { force: true },
    );
    assert.equal(forced?.status, "accepted");
  });
});

describe("agreeingGroups", () => {
  it("finds the connected groups, each in order, ordered by their first item", () => {
    const edges = new Set(["0-3", "3-4", "1-2"]);
    const groups = agreeingGroups(6, (a, b) => edges.has(`${a}-${b}`));
    assert.deepEqual(groups, [[0, 3, 4], [1, 2], [5]]);
  });
});
