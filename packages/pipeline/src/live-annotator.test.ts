import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FACE_COLORS } from "@facetracker/vision";
import { FrameRateCap } from "./frame-rate-cap.ts";
import type { ClipTrack, FrameTracks } from "./frame-tracks.ts";
import { encodeFrameJpeg } from "./jpeg.ts";
import { drawLiveFrame, liveLabels } from "./live-annotator.ts";

const T0 = 1_700_000_000_000;
const track = (over: Partial<ClipTrack>): ClipTrack => ({
  trackId: 1,
  state: "confirmed",
  box: [10, 10, 50, 50],
  identity: null,
  similarity: 0,
  ...over,
});
const snapshot = (seq: number, tracks: ClipTrack[] = [track({})]): FrameTracks => ({
  seq,
  timeMs: T0 + seq * 100,
  tracks,
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
        ["identifying", FACE_COLORS.identifying],
        ["#2 Alice", FACE_COLORS.known],
        ["#3 unknown", FACE_COLORS.unknown],
        ["#4 Bob (lost)", FACE_COLORS.lost],
      ],
    );
    assert.deepEqual(liveLabels(undefined), []);
  });

  it("a confirmed track still identifying (no embed worker answered yet) is labelled identifying, never unknown", () => {
    const labels = liveLabels(snapshot(1, [track({ trackId: 6, identifying: true })]));
    assert.deepEqual(
      labels.map((l) => [l.text, l.color]),
      [["#6 identifying", FACE_COLORS.identifying]],
    );
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
