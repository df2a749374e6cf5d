import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeFrameJpeg } from "@facetracker/pipeline";
import { FACE_COLORS } from "@facetracker/vision";
import { decodeClipFrame } from "./clip-frames.ts";
import {
  buildClipResults,
  type ClipSnapshot,
  chooseClipFps,
  DEFAULT_CLIP_FPS,
  estimateFps,
  snapshotLabels,
  windowCoverage,
} from "./clip-results.ts";

const T0 = 1_700_000_000_000;

describe("clip frame rate", () => {
  it("estimates the rate from the median step, ignoring gaps and repeats", () => {
    assert.equal(estimateFps([0, 0.1, 0.2, 0.3, 0.4]), 10);
    assert.equal(estimateFps([0, 0.1, 0.2, 0.5, 0.6, 0.6, 0.7]), 10, "a dropped stretch does not skew it");
    assert.equal(estimateFps([10, 10 + 1 / 29.97, 10 + 2 / 29.97]), 29.97);
    assert.equal(estimateFps([1]), undefined);
    assert.equal(estimateFps([0, 0, 0]), undefined);
    assert.equal(estimateFps([0, 0.001]), undefined, "1000 fps is not a camera");
  });

  it("prefers the configured rate, then pts, then capture times", () => {
    const frames = [0, 1, 2, 3].map((i) => ({ pts: i * 0.04, timeMs: T0 + i * 100 }));
    assert.deepEqual(chooseClipFps(12, frames), { fps: 12, source: "config" });
    assert.deepEqual(chooseClipFps(undefined, frames), { fps: 25, source: "pts" });
    const noPts = frames.map((f) => ({ ...f, pts: 0 }));
    assert.deepEqual(chooseClipFps(undefined, noPts), { fps: 10, source: "capture_time" });
    assert.deepEqual(chooseClipFps(undefined, noPts.slice(0, 1)), {
      fps: DEFAULT_CLIP_FPS,
      source: "default",
    });
  });
});

const snapshot = (seq: number): ClipSnapshot => ({
  seq,
  tracks: [
    {
      trackId: 3,
      state: "confirmed",
      box: [10, 20, 50, 70],
      identity: { id: "id-amy", name: "amy" },
      similarity: 0.61,
    },
    { trackId: 4, state: "confirmed", box: [100, 20, 140, 70], identity: null, similarity: 0 },
    { trackId: 0, state: "tentative", box: [200, 20, 240, 70], identity: null, similarity: 0 },
    { trackId: 5, state: "lost", box: [0, 0, 5, 5], identity: null, similarity: 0 },
  ],
});

describe("annotated copy labels", () => {
  it("labels confirmed tracks with their ID and name or unknown", () => {
    assert.deepEqual(snapshotLabels(snapshot(1)), [
      { box: [10, 20, 50, 70], text: "#3 amy", color: FACE_COLORS.known },
      { box: [100, 20, 140, 70], text: "#4 unknown", color: FACE_COLORS.unknown },
    ]);
    assert.deepEqual(snapshotLabels(undefined), []);
  });
});

describe("clip side file", () => {
  it("describes the clip, its alerts and the results of every frame", () => {
    const frames = [6, 7, 8, 10, 11].map((seq) => ({ seq, pts: seq / 10, timeMs: T0 + seq * 100 }));
    const snapshots = new Map([6, 7, 10, 11].map((seq) => [seq, snapshot(seq)]));
    const results = buildClipResults({
      camera: "door",
      key: "door/2023-11-14/221320-a",
      alerts: [
        { id: "a", seq: 8, timeMs: T0 + 800 },
        { id: "b", seq: 9, timeMs: T0 + 900 },
      ],
      window: { firstSeq: 4, lastSeq: 13 },
      frames,
      fps: 10,
      fpsSource: "config",
      width: 320,
      height: 240,
      closedBy: "stalled",
      snapshots,
      annotated: false,
    });
    assert.deepEqual(results.alert_ids, ["a", "b"]);
    assert.deepEqual(
      results.alerts.map((a) => a.frame_index),
      [2, null],
      "frame 9 never came",
    );
    assert.equal(results.start_ms, T0 + 600);
    assert.equal(results.end_ms, T0 + 1100);
    assert.equal(results.frames, 5);
    assert.deepEqual(results.window, {
      first_seq: 4,
      last_seq: 13,
      requested_frames: 10,
      missing_before: 2,
      missing_inside: 1,
      missing_after: 2,
      complete: false,
    });
    assert.equal(results.frames_without_results, 1);
    assert.equal(results.per_frame[2]?.tracks, null);
    assert.deepEqual(results.per_frame[0]?.tracks?.[0], {
      track_id: 3,
      state: "confirmed",
      box: [10, 20, 50, 70],
      identity: { id: "id-amy", name: "amy" },
      similarity: 0.61,
    });
    assert.equal(results.per_frame[4]?.seq, 11);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(results)));
    assert.throws(() => buildClipResults({ ...resultsInputWithoutFrames() }), /no frame/);
  });

  it("counts a window with nothing recorded as all missing before", () => {
    assert.deepEqual(windowCoverage({ firstSeq: 5, lastSeq: 24 }, []), {
      missingBefore: 20,
      missingInside: 0,
      missingAfter: 0,
    });
    assert.deepEqual(windowCoverage({ firstSeq: 5, lastSeq: 24 }, [5, 6, 7]), {
      missingBefore: 0,
      missingInside: 0,
      missingAfter: 17,
    });
  });
});

function resultsInputWithoutFrames() {
  return {
    camera: "door",
    key: "door/x",
    alerts: [],
    window: { firstSeq: 1, lastSeq: 2 },
    frames: [],
    fps: 10,
    fpsSource: "config" as const,
    width: 2,
    height: 2,
    closedBy: "window" as const,
    snapshots: new Map(),
    annotated: false,
  };
}

describe("decodeClipFrame", () => {
  it("decodes a frame of the clip's size as is and fits one of another size", async () => {
    const red = { width: 32, height: 24, data: new Uint8Array(32 * 24 * 3).fill(200) };
    const same = await decodeClipFrame(await encodeFrameJpeg(red, 95), 32, 24);
    assert.equal(same.data.length, 32 * 24 * 3);
    assert.ok(Math.abs((same.data[0] as number) - 200) < 8);
    const wide = { width: 64, height: 24, data: new Uint8Array(64 * 24 * 3).fill(200) };
    const fitted = await decodeClipFrame(await encodeFrameJpeg(wide, 95), 32, 24);
    assert.equal(fitted.width, 32);
    assert.equal(fitted.data.length, 32 * 24 * 3);
    assert.ok((fitted.data[0] as number) < 20, "letterboxed: the top row is black");
    await assert.rejects(decodeClipFrame(new Uint8Array([1, 2, 3]), 32, 24));
  });
});
