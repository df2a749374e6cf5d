import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import { addToSegments, type TrackSegment } from "./track-memory.ts";
import {
  type FrameObservations,
  type Identification,
  IdentificationUnavailableError,
  TrackingSession,
} from "./tracking-session.ts";

// Stage logic with scripted detections and scripted embeddings (no models): batching, schedule, splits.
const unit = (axis: number): Float32Array => {
  const v = new Float32Array(8);
  v[axis] = 1;
  return v;
};
/** A 112×112 "aligned crop" with detail (a checkerboard), so that the quality gate finds it sharp; `mark` fills data[0]. */
const textured = (mark = 0): RgbImage => {
  const data = new Uint8Array(112 * 112 * 3);
  for (let i = 0; i < 112 * 112; i++)
    data.fill((((i % 112) ^ Math.floor(i / 112)) & 1) * 160 + 40, 3 * i, 3 * i + 3);
  data[0] = mark;
  return { width: 112, height: 112, data };
};
const face = textured();
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

  it("an unknown face keeps the identity it came closest to; a track's face is the mean of its recent embeddings", async () => {
    let turn = 0;
    const session = new TrackingSession(parseConfig({ credence_count: 2 }), {
      frameRate: 25,
      identify: async (faces) =>
        faces.map((): Identification => {
          turn++;
          const embedding = new Float32Array(8);
          embedding[0] = 1;
          embedding[1] = turn % 2 ? 0.5 : -0.5;
          const n = Math.hypot(1, 0.5);
          embedding[0] /= n;
          embedding[1] /= n;
          return {
            embedding,
            matches: [
              { identityId: "o", name: "obama", attributes: {}, similarity: 0.28 },
              { identityId: "b", name: "biden", attributes: {}, similarity: 0.1 },
            ],
          };
        }),
    });
    let last: Awaited<ReturnType<TrackingSession["process"]>> | undefined;
    for (let f = 0; f < 20; f++) last = await session.process(frame(f, [[100, 100, 160, 170]]));
    const track = last?.tracks[0];
    assert.equal(track?.identity, null);
    assert.equal(track?.identifying, false, "settled as unknown");
    assert.equal(track?.closest?.name, "obama");
    assert.ok(Math.abs((track?.closest?.similarity ?? 0) - 0.28) < 1e-9, `${track?.closest?.similarity}`);
    const mean = session.faceEmbedding(track?.trackId ?? -1);
    assert.ok(mean, "a live embedded track has a face");
    const [x = 0, y = 0] = mean ?? [];
    assert.ok(Math.abs(Math.hypot(...(mean ?? [])) - 1) < 1e-6, "L2-normalised");
    assert.ok(x > 0.98 && Math.abs(y) < 0.2, `the mean of ±0.45 turns, not one of them: ${x}, ${y}`);
    assert.equal(session.faceEmbedding(99), undefined, "no such track");
    const [summary] = await session.summaries();
    assert.equal(summary?.closest?.name, "obama");
  });

  it("says where each track was on screen: segments split where it was unseen for over a second", async () => {
    const session = new TrackingSession(parseConfig({ credence_count: 1, tracker: { track_buffer: 200 } }), {
      frameRate: 25,
      identify: async (faces) => faces.map(() => ({ embedding: unit(0), matches: [] })),
    });
    const box: Box = [100, 100, 160, 170];
    // On screen 0–0.76 s, gone 0.8–1.96 s (1.2 s), back at 2.00 s, a short blink (0.2 s) at 2.4 s, to 3.16 s.
    for (let f = 0; f < 80; f++) {
      const seen = f < 20 || (f >= 50 && !(f >= 60 && f < 65));
      await session.process(frame(f, seen ? [box] : []));
    }
    const [summary, other] = await session.summaries();
    assert.equal(other, undefined, "one track all along");
    assert.deepEqual(summary?.segments, [
      { firstFrame: 0, lastFrame: 19, firstTime: 0, lastTime: 0.76 },
      { firstFrame: 50, lastFrame: 79, firstTime: 2, lastTime: 3.16 },
    ]);
    assert.equal(summary?.frames, 45);
    // A session restored from a snapshot carries them on.
    const restored = new TrackingSession(parseConfig({ credence_count: 1, tracker: { track_buffer: 200 } }), {
      frameRate: 25,
      identify: async (faces) => faces.map(() => ({ embedding: unit(0), matches: [] })),
    });
    restored.restore(JSON.parse(JSON.stringify(session.snapshot())));
    assert.deepEqual((await restored.summaries())[0]?.segments, summary?.segments);
  });

  it("keeps at most a few hundred segments a track: the closest ones merge", () => {
    const segments: TrackSegment[] = [];
    for (const [frame, time] of [
      [0, 0],
      [1, 0.5],
      [10, 5],
      [14, 7.5],
      [30, 15],
    ] as const)
      addToSegments(segments, frame, time, 1, 2);
    // At most 2: at 7.5 s, 5 and 7.5 merge (a 2.5 s gap, the shortest); at 15 s, 0–0.5 and 5–7.5 (4.5 s).
    assert.deepEqual(
      segments.map((g) => [g.firstFrame, g.lastFrame, g.firstTime, g.lastTime]),
      [
        [0, 14, 0, 7.5],
        [30, 30, 15, 15],
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

  it("an identification nobody can answer (IdentificationUnavailableError) is no evidence: tracks go on, a new one stays identifying, a named one keeps its name, and both are asked again", async () => {
    let available = true;
    let calls = 0;
    // Each face's crop carries its detection index, so the scripted embedder tells amy (0) from bob (1).
    const crops = [0, 1].map((i): RgbImage => textured(i));
    const person = (crop: RgbImage): Identification =>
      crop.data[0] === 0
        ? { embedding: unit(0), matches: [{ identityId: "a", name: "amy", attributes: {}, similarity: 0.8 }] }
        : {
            embedding: unit(1),
            matches: [{ identityId: "b", name: "bob", attributes: {}, similarity: 0.7 }],
          };
    const session = new TrackingSession(parseConfig({ credence_count: 2 }), {
      frameRate: 25,
      identify: async (faces) => {
        calls++;
        if (!available) throw new IdentificationUnavailableError("no server answers requests on ft.embed");
        return faces.map(person);
      },
    });
    const boxes: Box[] = [
      [100, 100, 160, 170],
      [300, 100, 360, 170],
    ];
    const run = (f: number, n: number) =>
      session.process({ ...frame(f, boxes.slice(0, n)), aligned: async (i) => crops[i] as RgbImage });

    for (let f = 0; f < 10; f++) await run(f, 1);
    available = false;
    const embeddingsBefore = session.counters.embeddings;
    const callsBefore = calls;
    let during = await run(10, 2);
    for (let f = 11; f < 30; f++) {
      during = await run(f, 2);
      const [amy, bob] = during.tracks;
      assert.deepEqual(
        [amy?.identity?.name, amy?.identifying],
        ["amy", false],
        `frame ${f}: amy keeps her name`,
      );
      assert.equal(bob?.identity, null, `frame ${f}: bob is not unknown, only not identified yet`);
      assert.equal(bob?.identifying, true, `frame ${f}: bob is identifying`);
    }
    assert.deepEqual(
      during.tracks.map((t) => [t.trackId, t.state]),
      [
        [1, "confirmed"],
        [2, "confirmed"],
      ],
      "tracking went on: bob got his ID while no worker answered",
    );
    assert.equal(session.counters.embeddings, embeddingsBefore, "no evidence added meanwhile");
    assert.ok(calls - callsBefore >= 19, "bob's identification asked for again on each frame");

    available = true;
    let after = await run(30, 2);
    for (let f = 31; f < 33; f++) after = await run(f, 2);
    assert.deepEqual(
      after.tracks.map((t) => [t.trackId, t.identity?.name ?? "unknown", t.identifying]),
      [
        [1, "amy", false],
        [2, "bob", false],
      ],
    );

    const broken = new TrackingSession(parseConfig({}), {
      frameRate: 25,
      identify: async () => {
        throw new Error("the embedder crashed");
      },
    });
    await assert.rejects(broken.process(frame(0, [boxes[0] as Box])), /the embedder crashed/);
  });
});
