import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector, vectorWithSimilarity } from "@facetracker/testing/gallery";
import { chooseRepresentatives } from "./representatives.ts";

describe("chooseRepresentatives", () => {
  const random = seededRandom(7);
  const front = randomUnitVector(64, random);
  const nearFront = vectorWithSimilarity(front, 0.95, random);
  const side = vectorWithSimilarity(front, 0.3, random);
  const other = vectorWithSimilarity(front, 0.6, random);

  it("takes the best face first, then the faces least like those taken", () => {
    const faces = [
      { name: "near front", vector: nearFront, quality: 0.5 },
      { name: "front", vector: front, quality: 0.9 },
      { name: "three-quarter", vector: other, quality: 0.4 },
      { name: "side", vector: side, quality: 0.2 },
    ];
    assert.deepEqual(
      chooseRepresentatives(faces, 3).map((f) => f.name),
      ["front", "side", "three-quarter"],
    );
    assert.deepEqual(
      chooseRepresentatives(faces, 1).map((f) => f.name),
      ["front"],
    );
    assert.equal(chooseRepresentatives(faces, 10).length, 4);
    assert.deepEqual(chooseRepresentatives(faces, 0), []);
    assert.deepEqual(chooseRepresentatives([], 3), []);
  });

  it("takes the earliest of equal quality, and never the same face twice", () => {
    const faces = [
      { name: "a", vector: front, quality: 0 },
      { name: "a again", vector: Float32Array.from(front), quality: 0 },
      { name: "b", vector: side, quality: 0 },
    ];
    assert.deepEqual(
      chooseRepresentatives(faces, 3).map((f) => f.name),
      ["a", "b"],
    );
  });
});
