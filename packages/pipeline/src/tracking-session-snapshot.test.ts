import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { seededRandom } from "@facetracker/infra";
import { detectFaces, randomLinearFaces } from "@facetracker/testing/tracking";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import {
  type FrameObservations,
  type Identification,
  type SessionFrame,
  TrackingSession,
  type TrackingSessionSnapshot,
} from "./tracking-session.ts";

// A seeded synthetic sequence with scripted embeddings (no models): faces on straight paths, some missed
// detections (lost / found), one face leaving (ended), one face swapped for another person at a shot cut
// (split), named and unknown people.

const FRAMES = 110;
const CUT = 70;
const EMBEDDING_SIZE = 16;
const names = ["alice", "bob", null, "carol", "dan"] as const;

interface Scripted {
  frames: FrameObservations[];
}

/** The person behind face `face` on frame `index` (face 1 becomes person 4 at the cut). */
const personOf = (face: number, index: number) => (face === 1 && index >= CUT ? 4 : face);

function script(): Scripted {
  const random = seededRandom(11);
  const faces = randomLinearFaces(random, { faces: 4, frames: FRAMES, width: 1280, height: 720 });
  const frames = Array.from({ length: FRAMES }, (_, index): FrameObservations => {
    const { detections, faceOfDetection } = detectFaces(faces, index + 1, random, {
      missRate: 0.12,
      jitter: 1.5,
    });
    const keep = detections.map((_, k) => index < 40 || faceOfDetection[k] !== 0); // face 0 leaves
    const kept = detections.filter((_, k) => keep[k]);
    const faceOf = faceOfDetection.filter((_, k) => keep[k]);
    const landmarks = (i: number): Point[] => {
      const [x1, y1, x2, y2] = (kept[i] as { box: Box }).box;
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
    /** An "aligned crop" that tells the scripted embedder who is in it, and on which frame. */
    const aligned = (i: number): RgbImage => {
      const data = new Uint8Array(4 * 4 * 3);
      data[0] = personOf(faceOf[i] as number, index);
      data[1] = index;
      return { width: 4, height: 4, data };
    };
    return {
      index,
      pts: index / 25,
      width: 1280,
      height: 720,
      sceneCut: index === CUT,
      detections: kept,
      landmarks: async (i) => landmarks(i),
      aligned: async (i) => aligned(i),
      faceCrop: (i) => aligned(i),
    };
  });
  return { frames };
}

/** A pure embedder: the person's axis plus a small wobble that depends on the frame. */
async function identify(faces: RgbImage[]): Promise<Identification[]> {
  return faces.map((face): Identification => {
    const person = face.data[0] as number;
    const index = face.data[1] as number;
    const embedding = new Float32Array(EMBEDDING_SIZE);
    embedding[person] = 1;
    embedding[(person + 7) % EMBEDDING_SIZE] = 0.05 * Math.sin(index);
    const name = names[person];
    const wobble = 0.05 * Math.cos(index + person);
    return {
      embedding,
      matches: name
        ? [
            { identityId: `id-${name}`, name, attributes: { team: `t${person}` }, similarity: 0.7 + wobble },
            { identityId: "id-zed", name: "zed", attributes: {}, similarity: 0.2 },
          ]
        : [{ identityId: "id-zed", name: "zed", attributes: {}, similarity: 0.15 + wobble }],
    };
  });
}

// The scripted crops carry no face detail: the quality gate is off here (its own tests are in
// tracking-session-quality.test.ts; its per-track record is in the snapshot all the same).
const config = parseConfig({
  credence_count: 2,
  face_filters: { reid_expiration_frames: 8 },
  face_quality: { enabled: false },
});

/** Counters without the wall-clock timings. */
function counts(session: TrackingSession) {
  const { frames, detections, embeddings, splits } = session.counters;
  return { frames, detections, embeddings, splits };
}

async function checkResume(keepSummaries: boolean, at: number) {
  const { frames } = script();
  const original = new TrackingSession(config, { frameRate: 25, identify, keepSummaries });
  for (const frame of frames.slice(0, at)) await original.process(frame);
  const json = JSON.stringify(original.snapshot());
  const restored = new TrackingSession(config, { frameRate: 25, identify, keepSummaries });
  restored.restore(JSON.parse(json) as TrackingSessionSnapshot);
  assert.equal(JSON.stringify(restored.snapshot()), json, "the restored session snapshots the same");

  const a: SessionFrame[] = [];
  const b: SessionFrame[] = [];
  for (const frame of frames.slice(at)) {
    a.push(await original.process(frame));
    b.push(await restored.process(frame));
  }
  assert.deepEqual(b, a, "same tracks (IDs, boxes, states, identities) and ended tracks on every frame");
  assert.deepEqual(counts(restored), counts(original));
  assert.deepEqual(await restored.summaries(), await original.summaries());
  return { after: a, original };
}

describe("TrackingSession snapshots", () => {
  it("a session restored from a JSON round trip of a snapshot goes on exactly as the original", async () => {
    const { after, original } = await checkResume(true, 45);
    // The sequence exercised what the state carries.
    const tracks = after.flatMap((f) => f.tracks);
    assert.ok(
      tracks.some((t) => t.state === "lost"),
      "lost tracks",
    );
    assert.ok(
      after.some((f) => f.ended.length > 0),
      "ended tracks",
    );
    assert.equal(original.counters.splits, 1, "a split at the cut");
    assert.deepEqual(
      [...new Set(tracks.filter((t) => t.identitySettled).map((t) => t.identity?.name ?? "unknown"))].sort(),
      ["alice", "bob", "carol", "dan", "unknown"],
    );
    const summaries = await original.summaries();
    assert.ok(summaries.some((s) => s.embeddings.length > 0 && s.thumbnail !== null));
    // What the face memory keeps: up to memory.embeddings_per_track of the kept embeddings, with their quality.
    assert.ok(summaries.some((s) => s.memoryEmbeddings.length > 1));
    for (const s of summaries) {
      assert.ok(s.memoryEmbeddings.length <= config.memory.embeddings_per_track);
      for (const e of s.memoryEmbeddings) assert.ok(e.quality > 0 && e.quality <= 1, String(e.quality));
    }
  });

  it("reads a snapshot taken before the kept embeddings had their quality (each read as 0)", async () => {
    const { frames } = script();
    const session = new TrackingSession(config, { frameRate: 25, identify });
    for (const frame of frames.slice(0, 30)) await session.process(frame);
    const old = JSON.parse(JSON.stringify(session.snapshot())) as TrackingSessionSnapshot;
    for (const t of [...old.tracks, ...old.finished]) {
      delete t.embeddingQualities;
      delete t.fallbackEmbeddings;
    }
    const restored = new TrackingSession(config, { frameRate: 25, identify });
    restored.restore(old);
    const summaries = await restored.summaries();
    assert.ok(summaries.some((s) => s.memoryEmbeddings.length > 0));
    for (const s of summaries) for (const e of s.memoryEmbeddings) assert.equal(e.quality, 0);
    const broken = session.snapshot();
    const withEmbeddings = broken.tracks.find((t) => t.embeddings.length > 0);
    assert.ok(withEmbeddings, "a live track with kept embeddings");
    withEmbeddings.embeddingQualities = [];
    assert.throws(() => restored.restore(broken), /embeddingQualities: expected \d+ numbers/);
  });

  it("without keepSummaries (a camera of the track service) too, at another point of the sequence", async () => {
    const { original } = await checkResume(false, 20);
    const snapshot = original.snapshot();
    assert.deepEqual(snapshot.finished, [], "no ended tracks kept");
    assert.ok(snapshot.tracks.every((t) => t.embeddings.length === 0 && t.best === null));
    assert.ok(
      snapshot.tracks.some((t) => t.recent.length > 0),
      "recent embeddings kept (appearance jumps)",
    );
  });

  it("refuses a snapshot of another format version and keeps its state", async () => {
    const { frames } = script();
    const session = new TrackingSession(config, { frameRate: 25, identify });
    for (const frame of frames.slice(0, 10)) await session.process(frame);
    const before = JSON.stringify(session.snapshot());
    assert.throws(
      () => session.restore({ ...session.snapshot(), v: 2 } as unknown as TrackingSessionSnapshot),
      /TrackingSession snapshot: unsupported format version 2 \(this build reads version 1\)/,
    );
    const inner = session.snapshot();
    (inner.tracker as { v: number }).v = 9;
    assert.throws(() => session.restore(inner), /ByteTracker snapshot: unsupported format version 9/);
    const broken = session.snapshot();
    (broken.tracks[0] as { recent: unknown }).recent = ["AAA"];
    assert.throws(() => session.restore(broken), /recent\[0\]/);
    assert.equal(JSON.stringify(session.snapshot()), before);
  });
});
