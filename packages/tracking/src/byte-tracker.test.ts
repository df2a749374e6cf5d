import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { detectFaces, faceBox, type LinearFace, randomLinearFaces } from "@facetracker/testing/tracking";
import type { Box } from "./box.ts";
import { ByteTracker } from "./byte-tracker.ts";
import type { Detection, TrackerUpdate, TrackView } from "./types.ts";

function square(x: number, y: number, size = 60): Box {
  return [x, y, x + size, y + size];
}

function detection(box: Box, score = 0.9): Detection {
  return { box, score };
}

function trackOf(update: TrackerUpdate, detectionIndex: number): TrackView | undefined {
  return update.tracks.find((t) => t.detectionIndex === detectionIndex);
}

function onlyTrack(update: TrackerUpdate): TrackView {
  assert.equal(update.tracks.length, 1, `frame ${update.frame}: ${update.tracks.length} tracks`);
  return update.tracks[0] as TrackView;
}

/** Every matched track points at a distinct detection whose box and score it reports. */
function assertDetectionIndices(update: TrackerUpdate, detections: readonly Detection[]): void {
  const used = new Set<number>();
  for (const track of update.tracks) {
    if (track.detectionIndex === null) {
      assert.ok(track.framesSinceUpdate > 0);
      continue;
    }
    assert.ok(!used.has(track.detectionIndex), "a detection is used by one track at most");
    used.add(track.detectionIndex);
    const matched = detections[track.detectionIndex] as Detection;
    assert.deepEqual(track.box, matched.box);
    assert.equal(track.score, matched.score);
    assert.equal(track.framesSinceUpdate, 0);
    assert.equal(track.lastFrame, update.frame);
  }
}

describe("ByteTracker", () => {
  it("numbers frames from 1 and reports nothing for empty frames", () => {
    const tracker = new ByteTracker();
    assert.equal(tracker.frame, 0);
    assert.deepEqual(tracker.update([]), { frame: 1, tracks: [], removed: [] });
    assert.equal(tracker.frame, 1);
  });

  it("keeps the IDs of two faces crossing each other", () => {
    const tracker = new ByteTracker();
    const a: LinearFace = { x: 100, y: 300, size: 60, vx: 6, vy: 0 };
    const b: LinearFace = { x: 700, y: 315, size: 60, vx: -6, vy: 0 };
    const idsOfA = new Set<number>();
    const idsOfB = new Set<number>();
    for (let frame = 1; frame <= 100; frame++) {
      // Alternate the detection order so that the index really has to be followed.
      const order = frame % 2 === 0 ? [a, b] : [b, a];
      const detections = order.map((face) => detection(faceBox(face, frame)));
      const update = tracker.update(detections);
      assertDetectionIndices(update, detections);
      assert.deepEqual(update.removed, []);
      if (frame < 3) continue;
      idsOfA.add(trackOf(update, order.indexOf(a))?.id ?? -1);
      idsOfB.add(trackOf(update, order.indexOf(b))?.id ?? -1);
    }
    assert.equal(idsOfA.size, 1, `face A had IDs ${[...idsOfA]}`);
    assert.equal(idsOfB.size, 1, `face B had IDs ${[...idsOfB]}`);
    assert.deepEqual([...idsOfA, ...idsOfB].sort(), [1, 2]);
  });

  it("re-finds a face occluded for 10 frames with the same ID while within the buffer", () => {
    const tracker = new ByteTracker();
    const face: LinearFace = { x: 200, y: 200, size: 80, vx: 2, vy: 1 };
    let id = 0;
    for (let frame = 1; frame <= 40; frame++) {
      const occluded = frame > 20 && frame <= 30;
      const update = tracker.update(occluded ? [] : [detection(faceBox(face, frame))]);
      const track = onlyTrack(update);
      assert.deepEqual(update.removed, []);
      if (frame === 3) id = track.id;
      if (occluded) {
        assert.equal(track.state, "lost");
        assert.equal(track.framesSinceUpdate, frame - 20);
        assert.equal(track.detectionIndex, null);
        assert.deepEqual(track.box, track.smoothedBox, "a lost track reports its prediction");
      } else if (frame >= 3) {
        assert.equal(track.state, "confirmed");
        assert.equal(track.detectionIndex, 0);
      }
    }
    assert.equal(id, 1);
    assert.equal(onlyTrack(tracker.update([detection(faceBox(face, 41))])).id, id);
  });

  it("keeps a lost track for exactly trackBuffer missed frames", () => {
    const run = (missed: number): TrackerUpdate[] => {
      const tracker = new ByteTracker({ trackBuffer: 10 });
      const updates: TrackerUpdate[] = [];
      for (let frame = 1; frame <= 5 + missed + 1; frame++) {
        const visible = frame <= 5 || frame === 5 + missed + 1;
        updates.push(tracker.update(visible ? [detection(square(300, 300))] : []));
      }
      return updates;
    };
    const withinBuffer = run(10).at(-1) as TrackerUpdate;
    assert.equal(onlyTrack(withinBuffer).id, 1);
    assert.equal(onlyTrack(withinBuffer).state, "confirmed");

    const pastBuffer = run(11);
    const removal = pastBuffer.find((u) => u.removed.length > 0) as TrackerUpdate;
    assert.equal(removal.frame, 5 + 11, "removed on the 11th missed frame");
    assert.equal(removal.removed[0]?.id, 1);
    assert.equal(removal.removed[0]?.state, "lost");
    const after = pastBuffer.at(-1) as TrackerUpdate;
    assert.equal(onlyTrack(after).state, "tentative");
    assert.equal(onlyTrack(after).trackletId, 2);
  });

  it("gives a new ID to a face occluded for longer than the buffer", () => {
    const tracker = new ByteTracker({ trackBuffer: 5 });
    const face: LinearFace = { x: 200, y: 200, size: 80, vx: 1, vy: 0 };
    const idsSeen = new Set<number>();
    let removedId = 0;
    for (let frame = 1; frame <= 40; frame++) {
      const occluded = frame > 20 && frame <= 30;
      const update = tracker.update(occluded ? [] : [detection(faceBox(face, frame))]);
      for (const t of update.removed) removedId = t.id;
      for (const t of update.tracks) if (t.id > 0) idsSeen.add(t.id);
    }
    assert.equal(removedId, 1);
    assert.deepEqual([...idsSeen], [1, 2]);
  });

  it("scales the buffer with the frame rate", () => {
    assert.equal(new ByteTracker().lostTrackBuffer, 30);
    assert.equal(new ByteTracker({ frameRate: 15 }).lostTrackBuffer, 15);
    assert.equal(new ByteTracker({ frameRate: 25, trackBuffer: 40 }).lostTrackBuffer, 33);
  });

  it("confirms a track after credenceCount matched frames", () => {
    const tracker = new ByteTracker({ credenceCount: 3 });
    const states = [1, 2, 3, 4].map((frame) =>
      onlyTrack(tracker.update([detection(square(100 + frame, 100))])),
    );
    assert.deepEqual(
      states.map((t) => [t.state, t.id, t.hits, t.age]),
      [
        ["tentative", 0, 1, 0],
        ["tentative", 0, 2, 1],
        ["confirmed", 1, 3, 2],
        ["confirmed", 1, 4, 3],
      ],
    );
    assert.equal(states[2]?.confirmedAt, 3);
    assert.equal(states[0]?.confirmedAt, undefined);

    const immediate = new ByteTracker({ credenceCount: 1 });
    const first = onlyTrack(immediate.update([detection(square(100, 100))]));
    assert.deepEqual([first.state, first.id, first.confirmedAt], ["confirmed", 1, 1]);
  });

  it("removes a one-frame false positive without confirming it or spending an ID", () => {
    const tracker = new ByteTracker();
    const face = square(100, 100);
    for (let frame = 1; frame <= 4; frame++) tracker.update([detection(face)]);
    const withFalsePositive = tracker.update([detection(face), detection(square(800, 500), 0.95)]);
    const falsePositive = trackOf(withFalsePositive, 1) as TrackView;
    assert.equal(falsePositive.state, "tentative");
    assert.equal(falsePositive.id, 0);
    const next = tracker.update([detection(face)]);
    assert.deepEqual(
      next.removed.map((t) => [t.trackletId, t.state, t.id]),
      [[falsePositive.trackletId, "tentative", 0]],
    );
    assert.deepEqual(
      next.tracks.map((t) => t.id),
      [1],
    );
    // The next real face gets ID 2: confirmed IDs stay dense.
    let last = next;
    for (let frame = 0; frame < 3; frame++)
      last = tracker.update([detection(face), detection(square(600, 200))]);
    assert.equal(trackOf(last, 1)?.id, 2);
  });

  it("continues a track with low-score detections but never starts one from them", () => {
    const tracker = new ByteTracker();
    for (let frame = 1; frame <= 5; frame++) tracker.update([detection(square(100 + 2 * frame, 100))]);
    for (let frame = 6; frame <= 15; frame++) {
      const detections = [detection(square(700, 400), 0.2), detection(square(100 + 2 * frame, 100), 0.2)];
      const update = tracker.update(detections);
      const track = onlyTrack(update);
      assert.deepEqual([track.id, track.state, track.detectionIndex, track.score], [1, "confirmed", 1, 0.2]);
    }
    // Between highThreshold and newTrackThreshold: can continue tracks, cannot start them.
    const fresh = new ByteTracker();
    for (let frame = 1; frame <= 5; frame++) {
      assert.deepEqual(fresh.update([detection(square(300, 300), 0.55)]).tracks, []);
    }
  });

  it("does not let low-score detections re-find a lost track", () => {
    const tracker = new ByteTracker();
    for (let frame = 1; frame <= 5; frame++) tracker.update([detection(square(100, 100))]);
    tracker.update([]);
    const update = tracker.update([detection(square(100, 100), 0.3)]);
    assert.equal(onlyTrack(update).state, "lost");
    assert.equal(onlyTrack(tracker.update([detection(square(100, 100))])).state, "confirmed");
  });

  it("never reuses an ID, also across reset()", () => {
    const tracker = new ByteTracker({ trackBuffer: 2 });
    const ids: number[] = [];
    const removedIds: number[] = [];
    const record = (update: TrackerUpdate) => {
      for (const t of update.tracks) if (t.id > 0 && !ids.includes(t.id)) ids.push(t.id);
      for (const t of update.removed) if (t.id > 0) removedIds.push(t.id);
    };
    // Faces come and go at the same place, each one removed before the next appears.
    for (let face = 0; face < 5; face++) {
      for (let frame = 0; frame < 4; frame++) record(tracker.update([detection(square(200, 200))]));
      for (let frame = 0; frame < 4; frame++) record(tracker.update([]));
    }
    tracker.reset();
    assert.equal(tracker.frame, 0);
    const afterReset = tracker.update([detection(square(200, 200))]);
    assert.equal(afterReset.frame, 1);
    assert.equal(afterReset.tracks[0]?.trackletId, 6);
    for (let frame = 0; frame < 3; frame++) record(tracker.update([detection(square(200, 200))]));
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(removedIds, [1, 2, 3, 4, 5]);
  });

  it("removes a lost track that drifts onto an older tracked face (duplicate)", () => {
    const tracker = new ByteTracker();
    const still = square(400, 300);
    const mover: LinearFace = { x: 100, y: 300, size: 60, vx: 10, vy: 0 };
    let removedOnFrame = 0;
    for (let frame = 1; frame <= 40; frame++) {
      const detections = [detection(still)];
      if (frame <= 20) detections.push(detection(faceBox(mover, frame)));
      const update = tracker.update(detections);
      assert.equal(trackOf(update, 0)?.id ?? 0, frame >= 3 ? 1 : 0, "the still face keeps ID 1");
      if (update.removed.length > 0) {
        assert.equal(removedOnFrame, 0);
        removedOnFrame = frame;
        assert.deepEqual(
          update.removed.map((t) => [t.id, t.state]),
          [[2, "lost"]],
        );
        assert.ok((update.removed[0]?.framesSinceUpdate as number) < tracker.lostTrackBuffer);
      }
    }
    assert.ok(removedOnFrame > 20, "removed as a duplicate, before its buffer ran out");
  });

  it("reports the matched detection's box and the Kalman box separately", () => {
    const tracker = new ByteTracker({ credenceCount: 1 });
    tracker.update([detection(square(100, 100))]);
    const box: Box = [110, 100, 170, 160];
    const track = onlyTrack(tracker.update([detection(box)]));
    assert.deepEqual(track.box, box);
    assert.ok(
      track.smoothedBox[0] > 100 && track.smoothedBox[0] < 110,
      "smoothed between prediction and detection",
    );
  });

  it("ignores degenerate boxes, boxes under minBoxArea and non-finite scores", () => {
    const tracker = new ByteTracker({ credenceCount: 1, minBoxArea: 400 });
    const update = tracker.update([
      detection([10, 10, 5, 40]),
      detection([10, 10, 20, 20]),
      detection([0, 0, Number.NaN, 50]),
      { box: square(300, 300), score: Number.NaN },
      detection(square(100, 100, 30)),
    ]);
    assert.deepEqual(
      update.tracks.map((t) => t.detectionIndex),
      [4],
    );
  });

  it("rejects invalid options", () => {
    assert.throws(() => new ByteTracker({ credenceCount: 0 }), RangeError);
    assert.throws(() => new ByteTracker({ trackBuffer: 1.5 }), RangeError);
    assert.throws(() => new ByteTracker({ lowThreshold: 0.6, highThreshold: 0.5 }), RangeError);
    assert.throws(() => new ByteTracker({ matchThreshold: Number.NaN }), RangeError);
    assert.throws(() => new ByteTracker({ frameRate: 0 }), RangeError);
  });

  it("keeps one stable track for a static face with ±2 px jitter over 300 frames", () => {
    const tracker = new ByteTracker();
    const random = seededRandom(3);
    const face: LinearFace = { x: 500, y: 300, size: 90, vx: 0, vy: 0 };
    for (let frame = 1; frame <= 300; frame++) {
      const { detections } = detectFaces([face], frame, random, { jitter: 2, minScore: 0.6, maxScore: 0.95 });
      const update = tracker.update(detections);
      const track = onlyTrack(update);
      assert.equal(track.trackletId, 1);
      assert.equal(track.detectionIndex, 0);
      assert.equal(track.state, frame >= 3 ? "confirmed" : "tentative");
      assert.deepEqual(update.removed, []);
    }
  });

  it("assigns ≥ 95 % of detections to the right ID: 10 faces on random paths, 5 % missed", () => {
    const frames = 300;
    const random = seededRandom(2024);
    const faces = randomLinearFaces(random, { faces: 10, frames });
    const tracker = new ByteTracker();
    const idOfFace = new Map<number, number>();
    let detectionCount = 0;
    let correct = 0;
    for (let frame = 1; frame <= frames; frame++) {
      const { detections, faceOfDetection } = detectFaces(faces, frame, random, {
        missRate: 0.05,
        jitter: 1,
      });
      const update = tracker.update(detections);
      assertDetectionIndices(update, detections);
      detectionCount += detections.length;
      faceOfDetection.forEach((face, index) => {
        const id = trackOf(update, index)?.id ?? 0;
        if (id === 0) return; // unmatched or still tentative: counted as wrong
        if (!idOfFace.has(face)) idOfFace.set(face, id);
        if (idOfFace.get(face) === id) correct++;
      });
    }
    const ratio = correct / detectionCount;
    assert.ok(ratio >= 0.95, `only ${(ratio * 100).toFixed(1)} % of detections on the right ID`);
    assert.equal(new Set(idOfFace.values()).size, 10, "one distinct ID per face");
  });
});

describe("ByteTracker.predict", () => {
  it("carries a moving face by its Kalman filter over frames without detection, state and ID kept", () => {
    const tracker = new ByteTracker({ credenceCount: 2 });
    let x = 100;
    for (let f = 0; f < 6; f++, x += 10) tracker.update([detection(square(x, 100))]);
    const before = onlyTrack(tracker.update([detection(square(x, 100))]));
    assert.equal(before.state, "confirmed");
    // Two frames predicted: the box moves on at about 10 px a frame, the track stays confirmed.
    for (let k = 1; k <= 2; k++) {
      const p = onlyTrack(tracker.predict());
      assert.equal(p.state, "confirmed");
      assert.equal(p.id, before.id);
      assert.equal(p.detectionIndex, null);
      // Within a tenth of the face's size (the filter's velocity still converging).
      assert.ok(
        Math.abs(p.box[0] - (x + 10 * k)) < 6,
        `predicted x ${p.box[0]}, moving face at ${x + 10 * k}`,
      );
    }
    // The next detection continues the same track.
    const after = onlyTrack(tracker.update([detection(square(x + 30, 100))]));
    assert.equal(after.id, before.id);
    assert.equal(after.state, "confirmed");
  });

  it("a still face restored from a snapshot taken after a predicted frame stays still (a restarted track service)", () => {
    const tracker = new ByteTracker({ credenceCount: 2 });
    for (let f = 0; f < 20; f++) tracker.update([detection(square(450, 170, 70))]);
    tracker.predict(); // the snapshot comes after a frame without detection: no matched box
    const restored = new ByteTracker({ credenceCount: 2 });
    restored.restore(JSON.parse(JSON.stringify(tracker.snapshot())));
    const id = onlyTrack(restored.update([detection(square(450, 170, 70))])).id;
    for (let k = 0; k < 3; k++) {
      const p = onlyTrack(restored.predict());
      assert.ok(Math.abs(p.smoothedBox[0] - 450) < 2, `carried to x ${p.smoothedBox[0]}, the face is at 450`);
    }
    assert.equal(onlyTrack(restored.update([detection(square(450, 170, 70))])).id, id);
  });

  it("removes a lost track once past the buffer, counting predicted frames", () => {
    const tracker = new ByteTracker({ credenceCount: 1, trackBuffer: 3 });
    tracker.update([detection(square(0, 0))]);
    assert.equal(onlyTrack(tracker.update([])).state, "lost"); // frame 2; last seen on frame 1
    tracker.predict();
    assert.equal(onlyTrack(tracker.predict()).state, "lost"); // frame 4: 3 frames since
    const gone = tracker.predict(); // frame 5: past the buffer
    assert.equal(gone.tracks.length, 0);
    assert.equal(gone.removed.length, 1);
  });
});

describe("ByteTracker.split", () => {
  it("replaces a track by a new confirmed one with a new ID that the next frames follow", () => {
    const tracker = new ByteTracker({ credenceCount: 2 });
    const at = (x: number) => [{ box: [x, 50, x + 40, 100] as [number, number, number, number], score: 0.9 }];
    tracker.update(at(10));
    const confirmed = tracker.update(at(12)).tracks[0];
    assert.equal(confirmed?.id, 1);
    const replacement = tracker.split(confirmed?.trackletId as number);
    assert.equal(replacement?.id, 2);
    assert.equal(replacement?.state, "confirmed");
    assert.equal(replacement?.detectionIndex, 0);
    const next = tracker.update(at(14));
    assert.deepEqual(
      next.tracks.map((t) => t.id),
      [2],
    );
    assert.deepEqual(next.removed, []);
    assert.equal(tracker.split(9999), undefined);
  });
});
