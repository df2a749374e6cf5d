import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, tempDir, testVideo, wipeVideoPackets } from "@facetracker/testing/media";
import { describeFrameLoss } from "./frame-loss.ts";
import { type VideoFrame, VideoSource } from "./video-source.ts";

let dir = "";
let cleanup = async () => {};
/** 4 s at 25 fps (100 frames, one key frame, no B-frames), moov at the end. */
let clean = "";

before(async () => {
  ({ dir, cleanup } = await tempDir());
  clean = await testVideo(join(dir, "clean.mp4"), { seconds: 4 });
});

after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

async function readAll(path: string) {
  const source = await VideoSource.open(path);
  const frames: VideoFrame[] = [];
  for await (const frame of source.frames()) frames.push(frame);
  return { source, frames };
}

const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual}, expected ${expected}`);

describe("VideoSource.frameLoss", () => {
  it("a clean file: every frame decoded, nothing lost", async () => {
    const { source, frames } = await readAll(clean);
    assert.equal(frames.length, 100);
    assert.deepEqual(source.frameLoss, {
      decodedFrames: 100,
      lostFrames: 0,
      corruptFrames: 0,
      expectedFrames: 100,
      ranges: [],
    });
  });

  it("frames whose bytes were overwritten: counted as lost, where they were on the frames' timeline", async () => {
    const damaged = await wipeVideoPackets(clean, join(dir, "wiped.mp4"), { from: 40, to: 60 });
    const { source, frames } = await readAll(damaged);
    assert.equal(frames.length, 80);
    const loss = source.frameLoss;
    assert.ok(loss);
    assert.equal(loss.lostFrames, 20);
    assert.equal(loss.expectedFrames, 100);
    assert.equal(loss.ranges.length, 1);
    const [range] = loss.ranges;
    assert.equal(range?.kind, "lost");
    near(range?.startS ?? 0, 1.6, "start");
    near(range?.endS ?? 0, 2.4, "end");
    // The frame after the gap keeps its time: the ranges and the frames share one timeline.
    near(frames[40]?.pts ?? 0, 2.4, "pts of the first frame after the gap");
    assert.equal(describeFrameLoss(loss), "lost 20 of 100 frames: 1.60–2.40 s");
  });

  it("a cut-off copy (index at the front): the missing end is counted against the duration", async () => {
    const faststart = await testVideo(join(dir, "faststart.mp4"), {
      seconds: 4,
      extra: ["-movflags", "+faststart"],
    });
    const bytes = await readFile(faststart);
    const cut = join(dir, "cut.mp4");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { source, frames } = await readAll(cut);
    const loss = source.frameLoss;
    assert.ok(loss && loss.lostFrames > 0, `loss ${JSON.stringify(loss)}`);
    assert.equal(loss.decodedFrames, frames.length);
    assert.equal(loss.expectedFrames, 100);
    const last = loss.ranges.at(-1);
    assert.equal(last?.kind, "lost");
    near(last?.endS ?? 0, 4, "end of the last range");
  });

  it("is undefined when the run was stopped before the end", async () => {
    const source = await VideoSource.open(clean);
    for await (const frame of source.frames()) {
      if (frame.index === 3) break;
    }
    assert.equal(source.frameLoss, undefined);
  });
});
