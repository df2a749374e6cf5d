import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { detectFaces, randomLinearFaces } from "@facetracker/testing/tracking";
import { ByteTracker, type ByteTrackerSnapshot } from "./byte-tracker.ts";
import { SnapshotError } from "./snapshot.ts";
import type { Detection, TrackerUpdate } from "./types.ts";

/** Seeded frames: faces on straight paths, some missed (lost and re-found tracks), one leaving early. */
function scene(frames: number): Detection[][] {
  const random = seededRandom(7);
  const faces = randomLinearFaces(random, { faces: 6, frames });
  return Array.from({ length: frames }, (_, i) => {
    const { detections, faceOfDetection } = detectFaces(faces, i + 1, random, {
      missRate: 0.15,
      jitter: 2,
      minScore: 0.3,
      maxScore: 0.95,
    });
    // Face 0 leaves after frame 30: its track is lost, then removed past the buffer.
    return detections.filter((_, k) => i < 30 || faceOfDetection[k] !== 0);
  });
}

const options = { trackBuffer: 15, credenceCount: 3 };

describe("ByteTracker snapshots", () => {
  it("a tracker restored from a JSON round trip of a snapshot goes on exactly as the original", () => {
    const frames = scene(120);
    const original = new ByteTracker(options);
    for (const detections of frames.slice(0, 40)) original.update(detections);
    const json = JSON.stringify(original.snapshot());
    const restored = new ByteTracker(options);
    restored.restore(JSON.parse(json) as ByteTrackerSnapshot);
    assert.equal(restored.frame, 40);
    assert.equal(JSON.stringify(restored.snapshot()), json, "the restored tracker snapshots the same");

    const a: TrackerUpdate[] = [];
    const b: TrackerUpdate[] = [];
    for (const detections of frames.slice(40)) {
      a.push(original.update(detections));
      b.push(restored.update(detections));
    }
    assert.deepEqual(b, a);
    // The scene did exercise what the state carries: lost tracks, removals, several IDs.
    assert.ok(a.some((u) => u.tracks.some((t) => t.state === "lost")));
    assert.ok(a.some((u) => u.removed.some((t) => t.id > 0)));
    assert.ok(Math.max(...a.flatMap((u) => u.tracks.map((t) => t.id))) >= 5);
  });

  it("restored IDs continue: a face seen after the restore gets the next ID, not 1", () => {
    const tracker = new ByteTracker({ credenceCount: 1 });
    tracker.update([{ box: [0, 0, 50, 50], score: 0.9 }]);
    const restored = new ByteTracker({ credenceCount: 1 });
    restored.restore(JSON.parse(JSON.stringify(tracker.snapshot())));
    const update = restored.update([
      { box: [1, 1, 51, 51], score: 0.9 },
      { box: [300, 300, 350, 350], score: 0.9 },
    ]);
    assert.deepEqual(
      update.tracks.map((t) => t.id),
      [1, 2],
    );
  });

  it("refuses a snapshot of another format version, or a malformed one, and keeps its state", () => {
    const tracker = new ByteTracker();
    for (const detections of scene(10)) tracker.update(detections);
    const before = JSON.stringify(tracker.snapshot());
    const future = { ...tracker.snapshot(), v: 2 } as unknown as ByteTrackerSnapshot;
    assert.throws(() => tracker.restore(future), {
      name: "SnapshotError",
      message: /unsupported format version 2 \(this build reads version 1\)/,
    });
    const broken = tracker.snapshot();
    (broken.tracks[0] as { mean: number[] }).mean = [1, 2, 3];
    assert.throws(() => tracker.restore(broken), SnapshotError);
    assert.throws(() => tracker.restore(null as unknown as ByteTrackerSnapshot), SnapshotError);
    assert.equal(JSON.stringify(tracker.snapshot()), before);
  });
});
