import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RecentFace, RecentFaces, recentFaceFromJson, recentFaceToJson } from "./recent-faces.ts";

/** A unit vector along axis `i` of 4, tilted towards axis 3 by `tilt` (cosine to the pure axis falls with it). */
function vector(i: number, tilt = 0): Float32Array {
  const v = new Float32Array(4);
  v[i] = Math.cos(tilt);
  v[3] = Math.sin(tilt);
  return v;
}

function face(trackId: number, over: Partial<RecentFace> = {}): RecentFace {
  return {
    camera: "door",
    trackId,
    identity: null,
    embedding: vector(0),
    lastSeenMs: 1_000,
    decided: `identified:${trackId}:1000`,
    alert: { id: `door-${trackId}-1`, camera: "door", trackId, timeMs: 1_000, identity: null },
    ...over,
  };
}

describe("RecentFaces", () => {
  it("finds the most similar alerted face of another track seen within the window, from the threshold", () => {
    const memory = new RecentFaces({ keepMs: 600_000 });
    memory.remember(face(1, { embedding: vector(0, 0.9) })); // cosine 0.62 to vector(0)
    memory.remember(face(2, { embedding: vector(0, 0.3) })); // cosine 0.96
    memory.remember(face(3, { embedding: vector(1) })); // another person
    memory.remember(face(4, { embedding: vector(0), alert: null })); // the same face, but no alert
    const self = { camera: "door", trackId: 9 };
    const best = memory.matchAlerted(vector(0), 2_000, 60_000, 0.5, self);
    assert.equal(best?.face.trackId, 2);
    assert.ok(best && Math.abs(best.similarity - Math.cos(0.3)) < 1e-6);
    assert.equal(memory.matchAlerted(vector(0), 2_000, 60_000, 0.97, self), undefined, "below the threshold");
    assert.equal(memory.matchAlerted(vector(0), 62_000, 60_000, 0.5, self), undefined, "seen too long ago");
    assert.equal(
      memory.matchAlerted(vector(0, 0.3), 2_000, 60_000, 0.99, { camera: "door", trackId: 2 })?.face.trackId,
      undefined,
      "a track never matches itself",
    );
  });

  it("forgets faces not seen for keepMs, and the least recently seen beyond maxFaces", () => {
    const memory = new RecentFaces({ keepMs: 10_000, maxFaces: 2 });
    memory.remember(face(1, { lastSeenMs: 0 }));
    assert.deepEqual(memory.remember(face(2, { lastSeenMs: 5_000 })), []);
    assert.deepEqual(memory.remember(face(3, { lastSeenMs: 10_001 })), ["door.1"], "not seen for 10 s");
    assert.deepEqual(memory.remember(face(4, { lastSeenMs: 10_002 })), ["door.2"], "beyond two faces");
    assert.deepEqual(
      memory.faces().map((f) => f.trackId),
      [3, 4],
    );
  });

  it("finds an identity's newest alert, also when the track was alerted as unknown and named later", () => {
    const memory = new RecentFaces({ keepMs: 600_000 });
    const alice = { id: "a", name: "alice" };
    memory.remember(
      face(1, { alert: { id: "door-1-5", camera: "door", trackId: 1, timeMs: 1_000, identity: alice } }),
    );
    assert.equal(memory.lastAlertOf("a")?.id, "door-1-5");
    memory.remember(
      face(2, {
        identity: alice,
        alert: { id: "hall-2-9", camera: "hall", trackId: 2, timeMs: 3_000, identity: null },
      }),
    );
    assert.equal(memory.lastAlertOf("a")?.id, "hall-2-9");
    assert.equal(memory.lastAlertOf("b"), undefined);
  });

  it("round-trips a face through JSON, embedding included, and names what is wrong in a damaged one", () => {
    const f = face(7, { identity: { id: "a", name: "alice" }, embedding: vector(2, 0.4) });
    const back = recentFaceFromJson(JSON.parse(JSON.stringify(recentFaceToJson(f))));
    assert.deepEqual(back, f);
    assert.equal(recentFaceFromJson(recentFaceToJson(face(8, { embedding: null }))).embedding, null);
    assert.throws(() => recentFaceFromJson({ ...recentFaceToJson(f), v: 9 }), /unsupported format version 9/);
    assert.throws(
      () => recentFaceFromJson({ ...recentFaceToJson(f), embedding: "abc" }, "ft_alert_memory/door.7"),
      /ft_alert_memory\/door\.7\.embedding: expected base64 of float32 values/,
    );
    assert.throws(
      () => recentFaceFromJson({ ...recentFaceToJson(f), alert: { id: 3 } }),
      /\.alert: expected/,
    );
  });
});
