import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClipTrack } from "./clip-results.ts";
import { KNOWN_COLOR, UNKNOWN_COLOR } from "./clip-results.ts";
import { FrameRateCap } from "./frame-rate-cap.ts";
import { encodeFrameJpeg } from "./jpeg.ts";
import {
  drawLiveFrame,
  IDENTIFYING_COLOR,
  LiveFramePairer,
  type LiveSnapshot,
  LOST_COLOR,
  liveLabels,
} from "./live-annotator.ts";

const T0 = 1_700_000_000_000;
/** Frame `seq` of a 10 fps camera. */
const frame = (seq: number) => ({ seq, timeMs: T0 + seq * 100 });
const track = (over: Partial<ClipTrack>): ClipTrack => ({
  trackId: 1,
  state: "confirmed",
  box: [10, 10, 50, 50],
  identity: null,
  similarity: 0,
  ...over,
});
const snapshot = (seq: number, tracks: ClipTrack[] = [track({})]): LiveSnapshot => ({
  seq,
  timeMs: T0 + seq * 100,
  tracks,
});

describe("LiveFramePairer", () => {
  it("holds a frame until its own snapshot comes, then releases it with that snapshot", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>({ waitMs: 300 });
    assert.deepEqual(pairer.addFrame(frame(1), 0), []);
    assert.deepEqual(pairer.addFrame(frame(2), 100), []);
    assert.equal(pairer.pending, 2);
    const out = pairer.addSnapshot(snapshot(1));
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [[1, "exact", 1]],
    );
    assert.equal(pairer.pending, 1);
  });

  it("releases a frame at once when its snapshot came first", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>();
    pairer.addSnapshot(snapshot(5));
    const [paired] = pairer.addFrame(frame(5), 0);
    assert.equal(paired?.pairing, "exact");
  });

  it("a frame whose snapshot was passed (a later one came) takes the nearest one, without waiting", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>({ waitMs: 300 });
    pairer.addFrame(frame(1), 0);
    pairer.addFrame(frame(2), 100);
    const out = pairer.addSnapshot(snapshot(2));
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [
        [1, "nearest", 2],
        [2, "exact", 2],
      ],
    );
  });

  it("past its wait a frame goes with the nearest snapshot in time, or none when all are stale", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>({ waitMs: 300, staleMs: 1000 });
    pairer.addSnapshot(snapshot(1));
    pairer.addFrame(frame(4), 1000);
    pairer.addFrame(frame(30), 1100);
    assert.equal(pairer.nextDeadline, 1300);
    assert.deepEqual(pairer.expire(1299), []);
    const out = pairer.expire(1400);
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [
        [4, "nearest", 1],
        [30, "none", undefined],
      ],
    );
    assert.equal(pairer.nextDeadline, undefined);
  });

  it("pairs by capture time too: a snapshot of another run with the same seq is not the frame's own", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>({ waitMs: 300 });
    pairer.addSnapshot({ seq: 3, timeMs: T0 - 60_000, tracks: [] });
    assert.deepEqual(pairer.addFrame(frame(3), 0), [], "waits for its own");
    const [paired] = pairer.expire(300);
    assert.equal(paired?.pairing, "none");
  });

  it("never holds more than maxPending frames", () => {
    const pairer = new LiveFramePairer<ReturnType<typeof frame>>({ maxPending: 2 });
    pairer.addFrame(frame(1), 0);
    pairer.addFrame(frame(2), 0);
    const out = pairer.addFrame(frame(3), 0);
    assert.deepEqual(
      out.map((p) => p.frame.seq),
      [1],
    );
    assert.equal(pairer.pending, 2);
    assert.deepEqual(
      pairer.flush().map((p) => p.frame.seq),
      [2, 3],
    );
  });
});

describe("FrameRateCap", () => {
  const kept = (cap: FrameRateCap, fps: number, seconds: number, jitterMs = 0) => {
    let n = 0;
    for (let i = 0; i < fps * seconds; i++) {
      if (cap.admit(T0 + Math.round((i * 1000) / fps) + (i % 2 ? jitterMs : -jitterMs))) n++;
    }
    return n;
  };

  it("keeps every frame of a camera at or below the cap, despite jitter", () => {
    assert.equal(kept(new FrameRateCap(15), 15, 4, 3), 60);
    assert.equal(kept(new FrameRateCap(15), 10, 4), 40);
  });

  it("thins a faster camera to the cap (one slot of slack at the end of a stretch)", () => {
    for (const [cap, fps, seconds] of [
      [15, 25, 4],
      [5, 30, 2],
      [15, 60, 3],
    ] as const) {
      const n = kept(new FrameRateCap(cap), fps, seconds);
      assert.ok(
        n >= cap * seconds && n <= cap * seconds + 1,
        `${fps} fps capped at ${cap}: ${n} in ${seconds} s`,
      );
    }
  });

  it("starts afresh after a gap or a clock jump back", () => {
    const cap = new FrameRateCap(10);
    assert.equal(cap.admit(T0), true);
    assert.equal(cap.admit(T0 + 50), false);
    assert.equal(cap.admit(T0 + 5000), true);
    assert.equal(cap.admit(T0 + 5010), false);
    assert.equal(cap.admit(T0 - 60_000), true);
  });
});

describe("liveLabels", () => {
  it("labels and colours tracks by state: identifying, known, unknown, lost", () => {
    const labels = liveLabels(
      snapshot(1, [
        track({ trackId: 0, state: "tentative" }),
        track({ trackId: 2, identity: { id: "a", name: "Alice" } }),
        track({ trackId: 3 }),
        track({ trackId: 4, state: "lost", identity: { id: "b", name: "Bob" } }),
        track({ trackId: 5, box: null }),
      ]),
    );
    assert.deepEqual(
      labels.map((l) => [l.text, l.color]),
      [
        ["identifying", IDENTIFYING_COLOR],
        ["#2 Alice", KNOWN_COLOR],
        ["#3 unknown", UNKNOWN_COLOR],
        ["#4 Bob (lost)", LOST_COLOR],
      ],
    );
    assert.deepEqual(liveLabels(undefined), []);
  });

  it("drawLiveFrame draws the box in its colour on the decoded frame", async () => {
    const width = 96;
    const height = 64;
    const grey = new Uint8Array(width * height * 3).fill(128);
    const jpeg = await encodeFrameJpeg({ width, height, data: grey }, 95);
    const drawn = await drawLiveFrame(
      jpeg,
      snapshot(1, [track({ box: [40, 30, 80, 60], identity: { id: "a", name: "A" } })]),
    );
    assert.equal(drawn.width, width);
    assert.equal(drawn.height, height);
    const at = (x: number, y: number) => [
      ...drawn.data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
    ];
    const [r, g, b] = at(40, 45) as [number, number, number]; // on the left edge of the box
    assert.ok(g > r + 40 && g > b + 40, `left edge is green, got ${[r, g, b]}`);
    const inside = at(60, 45) as [number, number, number];
    assert.ok(Math.abs(inside[1] - 128) < 10, `inside the box untouched, got ${inside}`);
    const plain = await drawLiveFrame(jpeg, undefined);
    assert.ok(Math.abs((plain.data[(45 * width + 40) * 3 + 1] as number) - 128) < 10, "no snapshot: no box");
  });
});
