import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RgbImage } from "@facetracker/vision";
import type { Pairing } from "./frame-snapshot-pairer.ts";
import { encodeFrameJpeg } from "./jpeg.ts";
import { type LiveDropReason, type LiveFrameOutput, LiveRestream } from "./live-restream.ts";

const T0 = 1_700_000_000_000;

/** An output that takes every frame (or none while `down`), and remembers what it got. */
function fakeOutput(): LiveFrameOutput & { images: RgbImage[]; stopped: boolean; isDown: boolean } {
  return {
    images: [],
    stopped: false,
    isDown: false,
    get down() {
      return this.isDown;
    },
    async write(image) {
      if (this.stopped) return false;
      this.images.push(image);
      return true;
    },
    async stop() {
      this.stopped = true;
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

describe("LiveRestream", () => {
  it("caps the frame rate, pairs each frame with its snapshot, draws it and hands it to the output", async () => {
    const jpeg = await encodeFrameJpeg({ width: 40, height: 30, data: new Uint8Array(40 * 30 * 3) }, 90);
    const output = fakeOutput();
    const drops: LiveDropReason[] = [];
    const pairings: Pairing[] = [];
    let out = 0;
    const restream = new LiveRestream({
      maxFps: 10,
      snapshotWaitMs: 1000,
      output,
      logger: { warn: () => {} },
      onDrop: (reason) => drops.push(reason),
      onPairing: (pairing) => pairings.push(pairing),
      onFrameOut: () => out++,
    });
    // 20 fps for 0.4 s, each frame's snapshot right after it: every other frame is kept at 10 fps.
    for (let i = 0; i < 8; i++) {
      const timeMs = T0 + i * 50;
      restream.addFrame({ seq: i + 1, timeMs, jpeg });
      restream.addSnapshot({ seq: i + 1, timeMs, tracks: [] });
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => out === 4, "the kept frames reach the output");
    assert.deepEqual(drops, Array(4).fill("rate_cap"));
    assert.deepEqual(pairings, Array(4).fill("exact"));
    assert.deepEqual(
      output.images.map((image) => `${image.width}x${image.height}`),
      Array(4).fill("40x30"),
    );

    let intakeStopped = false;
    await restream.stop(async () => {
      intakeStopped = true;
    });
    assert.ok(intakeStopped && output.stopped);
    restream.addFrame({ seq: 100, timeMs: T0 + 10_000, jpeg });
    assert.equal(out, 4, "nothing is published after stop");
  });

  it("drops frames while the output is down, before drawing them", async () => {
    const output = fakeOutput();
    output.isDown = true;
    const drops: LiveDropReason[] = [];
    const restream = new LiveRestream({
      maxFps: 10,
      snapshotWaitMs: 0,
      output,
      logger: { warn: () => {} },
      onDrop: (reason) => drops.push(reason),
    });
    restream.addFrame({ seq: 1, timeMs: T0, jpeg: new Uint8Array([1, 2, 3]) });
    await until(() => drops.length === 1, "the frame is dropped");
    assert.deepEqual(drops, ["publisher_down"], "not undecodable: it was not drawn");
    await restream.stop(async () => {});
  });
});
