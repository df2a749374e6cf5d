import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import { type CameraDetections, CameraTrackStage, type TrackStageOutput } from "./track-stage.ts";
import type { Identification } from "./tracking-session.ts";

// The track stage of one camera (session + track events) resumed from a JSON snapshot, with scripted
// detections and a scripted embedder (no models): same tracks and same events as without the restart.

const names = ["alice", null, "bob"] as const;
// The scripted crops are flat colours: the quality gate is off here (see tracking-session-quality.test.ts).
const config = parseConfig({
  credence_count: 2,
  face_filters: { reid_expiration_frames: 6 },
  face_quality: { enabled: false },
});

const landmarksOf = ([x1, y1, x2, y2]: Box): Point[] => {
  const w = x2 - x1;
  const h = y2 - y1;
  return [
    [x1 + 0.3 * w, y1 + 0.35 * h],
    [x1 + 0.7 * w, y1 + 0.35 * h],
    [x1 + 0.5 * w, y1 + 0.55 * h],
    [x1 + 0.35 * w, y1 + 0.75 * h],
    [x1 + 0.65 * w, y1 + 0.75 * h],
  ];
};

describe("CameraTrackStage snapshots", () => {
  /** One aligned "crop" per person; the scripted embedder knows the person from the crop it is given. */
  const crops: Uint8Array[] = [];
  let sequence: CameraDetections[];

  before(async () => {
    for (let person = 0; person < names.length; person++) {
      const data = new Uint8Array(112 * 112 * 3).fill(40 + 60 * person);
      crops.push(data);
    }
    // Three faces moving on straight lines, each missed now and then (lost, found); the unknown one
    // (face 1) leaves after frame 35 (lost, then ended).
    const paths = [
      { x: 100, y: 100, vx: 4, vy: 1 },
      { x: 600, y: 300, vx: -3, vy: 2 },
      { x: 900, y: 80, vx: 1, vy: 3 },
    ];
    sequence = Array.from({ length: 90 }, (_, seq) => ({
      seq,
      pts: seq / 25,
      width: 1280,
      height: 720,
      sceneCut: false,
      faces: paths
        .map((p, face) => ({ p, face }))
        .filter(({ face }) => (seq + 3 * face) % 11 !== 0 && (seq < 35 || face !== 1))
        .map(({ p, face }) => {
          const box: Box = [p.x + p.vx * seq, p.y + p.vy * seq, p.x + p.vx * seq + 80, p.y + p.vy * seq + 90];
          return {
            box,
            score: 0.8 + 0.01 * ((seq * 7 + face) % 15),
            landmarks: landmarksOf(box),
            alignedRgb: crops[face] as Uint8Array,
          };
        }),
    }));
  });

  const identify = async (faces: RgbImage[]): Promise<Identification[]> =>
    faces.map((face) => {
      const person = crops.indexOf(face.data);
      assert.ok(person >= 0, "the stage hands the embedder the crops it was given");
      const embedding = new Float32Array(8);
      embedding[person] = 1;
      const name = names[person];
      return {
        embedding,
        matches: name ? [{ identityId: `id-${name}`, name, attributes: {}, similarity: 0.8 }] : [],
      };
    });

  const stage = () => new CameraTrackStage("gate", config, { frameRate: 25, identify });

  it("a stage restored from a JSON round trip of a snapshot gives the same tracks and events", async () => {
    for (const at of [1, 40]) {
      const original = stage();
      for (const d of sequence.slice(0, at)) await original.run(d);
      const json = JSON.stringify(original.snapshot());
      const restored = stage();
      restored.restore(JSON.parse(json));
      assert.equal(JSON.stringify(restored.snapshot()), json);
      const a: TrackStageOutput[] = [];
      const b: TrackStageOutput[] = [];
      for (const d of sequence.slice(at)) {
        a.push(await original.run(d));
        b.push(await restored.run(d));
      }
      assert.deepEqual(b, a, `resumed after ${at} frames`);
      const types = new Set(a.flatMap((o) => o.events.map((e) => e.type)));
      if (at === 40) {
        // No "confirmed" again for the tracks confirmed before the snapshot: only the ending and re-finding.
        assert.ok(!types.has("confirmed"), `events after the restore: ${[...types]}`);
        assert.ok(types.has("ended") && types.has("lost"));
      } else assert.ok(types.has("confirmed") && types.has("identified"));
    }
  });

  it("refuses a snapshot of another format version or of another camera, and keeps its state", async () => {
    const s = stage();
    for (const d of sequence.slice(0, 10)) await s.run(d);
    const before = JSON.stringify(s.snapshot());
    assert.throws(
      () => s.restore({ ...s.snapshot(), v: 3 } as unknown as ReturnType<CameraTrackStage["snapshot"]>),
      /CameraTrackStage snapshot: unsupported format version 3 \(this build reads version 1\)/,
    );
    assert.throws(() => s.restore({ ...s.snapshot(), camera: "lobby" }), /of camera "lobby", not gate/);
    const badEvents = s.snapshot();
    (badEvents.events as { v: number }).v = 2;
    assert.throws(() => s.restore(badEvents), /TrackEventDeriver snapshot: unsupported format version 2/);
    assert.equal(JSON.stringify(s.snapshot()), before);
  });
});
