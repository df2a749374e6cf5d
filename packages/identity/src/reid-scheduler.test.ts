import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { faceChanged, ReidScheduler } from "./reid-scheduler.ts";

/** Frames on which a track is embedded over `frames` frames, with no resets. */
function embeddedFrames(s: ReidScheduler, frames: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    if (s.isDue(f)) {
      s.recordEmbedding(f);
      out.push(f);
    }
  }
  return out;
}

describe("ReidScheduler", () => {
  it("embeds at once, then after gaps of 1, 2, 4, 8 … capped at maxGap", () => {
    const s = new ReidScheduler({ maxGap: 16, enabled: true });
    assert.deepEqual(embeddedFrames(s, 80), [0, 1, 3, 7, 15, 31, 47, 63, 79]);
  });

  it("embeds every frame when disabled", () => {
    const s = new ReidScheduler({ maxGap: 16, enabled: false });
    assert.equal(embeddedFrames(s, 50).length, 50);
  });

  it("restarts the backoff on a reset", () => {
    const s = new ReidScheduler({ maxGap: 30, enabled: true });
    embeddedFrames(s, 16); // 0 1 3 7 15: gap now 16
    assert.equal(s.gap, 16);
    s.recordEmbedding(31, "identity_changed");
    assert.equal(s.gap, 1);
    assert.equal(s.isDue(32), true);
    assert.equal(s.resets, 1);
  });

  it("expire() makes the track due at once", () => {
    const s = new ReidScheduler({ maxGap: 30, enabled: true });
    embeddedFrames(s, 10);
    assert.equal(s.isDue(10), false);
    s.expire();
    assert.equal(s.isDue(10), true);
  });

  it("stays due while a due embedding was not made", () => {
    const s = new ReidScheduler({ maxGap: 8, enabled: true });
    s.recordEmbedding(0);
    assert.equal(s.isDue(1), true);
    assert.equal(s.isDue(2), true, "frame 1 was skipped (e.g. filtered): still due on frame 2");
  });

  it("refuses a gap below 1", () => {
    assert.throws(() => new ReidScheduler({ maxGap: 0, enabled: true }), /maxGap/);
  });
});

describe("faceChanged", () => {
  it("flags a size change or a jump, not ordinary motion", () => {
    assert.equal(faceChanged([100, 100, 150, 160], [104, 102, 154, 162]), false);
    assert.equal(faceChanged([100, 100, 150, 160], [100, 100, 190, 210]), true);
    assert.equal(faceChanged([100, 100, 150, 160], [200, 100, 250, 160]), true);
  });
});
