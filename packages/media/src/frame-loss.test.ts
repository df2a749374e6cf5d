import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DecodeTrouble } from "./decode-trouble.ts";
import {
  type DamagedRange,
  describeFrameLoss,
  FrameLossCounter,
  isDamaged,
  timelineOrigin,
} from "./frame-loss.ts";

/** Frames at 10 fps from stream time `from`, `count` of them. */
const run = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i / 10);

function lossOf(
  times: (number | undefined)[],
  troubles: DecodeTrouble[],
  options: { startS?: number; durationS?: number } = {},
) {
  const counter = new FrameLossCounter({ fps: 10, ...options });
  for (const t of times) counter.frame(t);
  return counter.finish(troubles);
}

const error = (beforeFrame: number): DecodeTrouble => ({ kind: "error", beforeFrame });
const rounded = (ranges: DamagedRange[]) =>
  ranges.map((r) => ({
    ...r,
    startS: Math.round(r.startS * 1000) / 1000,
    endS: Math.round(r.endS * 1000) / 1000,
  }));

describe("FrameLossCounter", () => {
  it("counts nothing lost when ffmpeg reported no trouble, even across a gap (variable frame rate)", () => {
    const loss = lossOf([...run(0, 10), ...run(3, 10)], [], { startS: 0, durationS: 4 });
    assert.deepEqual(loss, {
      decodedFrames: 20,
      lostFrames: 0,
      corruptFrames: 0,
      expectedFrames: 20,
      ranges: [],
    });
    assert.equal(isDamaged(loss), false);
  });

  it("counts the frames of a gap as lost, with where, when ffmpeg reported trouble", () => {
    // Frames 0-9 (0.0-0.9 s), then 2.0-2.9 s: 1.0-1.9 s is missing.
    const loss = lossOf([...run(5, 10), ...run(7, 10)], [error(10)], { startS: 5, durationS: 3 });
    assert.equal(loss.lostFrames, 10);
    assert.equal(loss.expectedFrames, 30);
    assert.deepEqual(rounded(loss.ranges), [{ startS: 1, endS: 2, frames: 10, kind: "lost" }]);
    assert.equal(describeFrameLoss(loss), "lost 10 of 30 frames: 1.00–2.00 s");
  });

  it("counts the gaps in time order when a delayed frame comes out last (B-frames around damage)", () => {
    // Frames of 0.0-0.9 s, 2.0-2.4 s, then the frame of 1.5 s flushed at the end.
    const loss = lossOf([...run(0, 10), ...run(2, 5), 1.5], [error(10)], { startS: 0, durationS: 2.5 });
    assert.equal(loss.lostFrames, 25 - 16);
    assert.deepEqual(rounded(loss.ranges), [
      { startS: 1, endS: 1.5, frames: 5, kind: "lost" },
      { startS: 1.6, endS: 2, frames: 4, kind: "lost" },
    ]);
  });

  it("counts a missing tail against the duration and a missing head against the stream's start", () => {
    const tail = lossOf(run(0, 10), [error(10)], { startS: 0, durationS: 3 });
    assert.deepEqual(rounded(tail.ranges), [{ startS: 1, endS: 3, frames: 20, kind: "lost" }]);
    // The first frame decoded is at 1.5 s of a stream starting at 0: times stay the file's.
    const head = lossOf(run(1.5, 15), [error(0)], { startS: 0, durationS: 3 });
    assert.deepEqual(rounded(head.ranges), [{ startS: 0, endS: 1.5, frames: 15, kind: "lost" }]);
    assert.equal(describeFrameLoss(head), "lost 15 of 30 frames: 0.00–1.50 s");
  });

  it("counts every frame lost when none decoded", () => {
    const loss = lossOf([], [error(0)], { startS: 0, durationS: 2 });
    assert.equal(loss.lostFrames, 20);
    assert.equal(loss.decodedFrames, 0);
  });

  it("places frames decoded with errors at the frame that followed the warning, runs joined", () => {
    const loss = lossOf(
      run(0, 30),
      [
        { kind: "corrupt", beforeFrame: 12 },
        { kind: "corrupt", beforeFrame: 13 },
        { kind: "corrupt", beforeFrame: 25 },
      ],
      { startS: 0, durationS: 3 },
    );
    assert.equal(loss.lostFrames, 0);
    assert.equal(loss.corruptFrames, 3);
    assert.deepEqual(rounded(loss.ranges), [
      { startS: 1.2, endS: 1.4, frames: 2, kind: "corrupt" },
      { startS: 2.5, endS: 2.6, frames: 1, kind: "corrupt" },
    ]);
    assert.equal(describeFrameLoss(loss), "3 frames decoded with errors: 1.20–1.40 s, 2.50 s");
  });

  it("counts packets that failed where no gap shows (frames duplicated by an fps override)", () => {
    const failed: DecodeTrouble[] = [
      { kind: "failed", beforeFrame: 4 },
      { kind: "failed", beforeFrame: 5 },
    ];
    const loss = lossOf(run(0, 20), failed, { startS: 0, durationS: 2 });
    assert.equal(loss.lostFrames, 2);
    assert.deepEqual(rounded(loss.ranges), [{ startS: 0.4, endS: 0.6, frames: 2, kind: "lost" }]);
  });

  it("names the first five places and how many more", () => {
    const times = Array.from({ length: 8 }, (_, k) => [k, k + 0.1]).flat();
    const loss = lossOf(times, [error(1)], { startS: 0, durationS: 8 });
    // Seven gaps of 8 frames, and 7.2-8.0 s at the end.
    assert.equal(loss.ranges.length, 8);
    assert.match(
      describeFrameLoss(loss),
      /^lost 64 of 80 frames: 0\.20–1\.00 s, (.*, ){3}4\.20–5\.00 s and 3 more$/,
    );
  });
});

describe("timelineOrigin", () => {
  it("is the stream's start only when frames are missing at the head", () => {
    assert.equal(timelineOrigin(5.04, 25, 5), 5.04);
    assert.equal(timelineOrigin(5.2, 25, 5), 5);
    assert.equal(timelineOrigin(5.2, 25, undefined), 5.2);
  });
});
