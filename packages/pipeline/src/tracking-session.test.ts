import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import { type FrameObservations, type Identification, TrackingSession } from "./tracking-session.ts";

// Stage logic with scripted detections and scripted embeddings (no models): batching, schedule, splits.
const unit = (axis: number): Float32Array => {
  const v = new Float32Array(8);
  v[axis] = 1;
  return v;
};
const face: RgbImage = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) };
const points: Point[] = [
  [40, 50],
  [70, 50],
  [55, 70],
  [45, 90],
  [68, 90],
];

function frame(index: number, boxes: Box[], sceneCut = false): FrameObservations {
  return {
    index,
    pts: index / 25,
    width: 640,
    height: 360,
    sceneCut,
    detections: boxes.map((box) => ({ box, score: 0.95 })),
    landmarks: async () => points,
    aligned: async () => face,
  };
}

describe("TrackingSession (scripted detections and embeddings)", () => {
  it("identifies all due faces of a frame in one batch and names tracks after credence", async () => {
    const batches: number[] = [];
    const session = new TrackingSession(parseConfig({ credence_count: 2 }), {
      frameRate: 25,
      identify: async (faces) => {
        batches.push(faces.length);
        return faces.map(
          (): Identification => ({
            embedding: unit(0),
            matches: [{ identityId: "a", name: "alice", attributes: { team: "x" }, similarity: 0.8 }],
          }),
        );
      },
    });
    let last: Awaited<ReturnType<TrackingSession["process"]>> | undefined;
    for (let f = 0; f < 40; f++) {
      last = await session.process(
        frame(f, [
          [100, 100, 160, 170],
          [300, 100, 360, 170],
        ]),
      );
    }
    assert.equal(batches[0], 2, "both new faces in the first batch");
    assert.ok(batches.every((n) => n <= 2));
    assert.ok(
      session.counters.embeddings < 40,
      `backoff: ${session.counters.embeddings} embeddings for 80 detections`,
    );
    assert.deepEqual(
      last?.tracks.map((t) => [t.trackId, t.identity?.name, t.identity?.attributes]),
      [
        [1, "alice", { team: "x" }],
        [2, "alice", { team: "x" }],
      ],
    );
  });

  it("splits a track whose face becomes someone else at a shot cut", async () => {
    let person = 0;
    const session = new TrackingSession(parseConfig({ credence_count: 1 }), {
      frameRate: 25,
      identify: async (faces) =>
        faces.map(() => ({
          embedding: unit(person),
          matches: [{ identityId: `p${person}`, name: `person${person}`, attributes: {}, similarity: 0.9 }],
        })),
    });
    const box: Box = [100, 100, 160, 170];
    for (let f = 0; f < 10; f++) await session.process(frame(f, [box]));
    person = 1; // the same box now shows another face, right after a cut
    const cut = await session.process(frame(10, [box], true));
    assert.deepEqual(cut.ended, [1]);
    assert.equal(cut.tracks[0]?.trackId, 2);
    assert.equal(cut.tracks[0]?.identity?.name, "person1");
    assert.equal(session.counters.splits, 1);
    const summaries = await session.summaries();
    assert.deepEqual(
      summaries.map((s) => [s.trackId, s.identity?.name, s.firstFrame, s.lastFrame]),
      [
        [1, "person0", 0, 10],
        [2, "person1", 10, 10],
      ],
    );
  });
});
