/**
 * Where a person was seen (FaceMemory.timeline) on a real SQLite file: a gallery identity's tracks (by ID,
 * and by name for tracks recorded under it before a rename) and a visitor's, across cameras, clips and
 * files, oldest first, with the filters, the limit and the per-camera summary.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FaceMemory } from "./face-memory.ts";

const D = 8;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const MIN = 60_000;
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

let root = "";
after(() => rm(root, { recursive: true, force: true }));

function vec(axis: number): Float32Array {
  const v = new Float32Array(D);
  v[axis] = 1;
  return v;
}

describe("person timeline", () => {
  it("lists a person's tracks across cameras and sources, oldest first, with filters and per-camera figures", async () => {
    root = await mkdtemp(join(tmpdir(), "ft-timeline-"));
    const memory = FaceMemory.open(join(root, "gallery"), { dimension: D });
    const amy = { id: "amy-id", name: "amy", similarity: 0.7 };
    const seen = (camera: string, trackId: number, atMin: number, identity: typeof amy | null, axis = 0) => {
      const base = { camera, trackId, timeMs: T0 + atMin * MIN };
      memory.observeLiveTrack({ ...base, starts: true, sighting: "seen" });
      memory.observeLiveTrack({
        ...base,
        timeMs: base.timeMs + 5000,
        sighting: "seen",
        decision: { identity, closest: null, undetermined: false },
        embedding: { vector: vec(axis), quality: 0.8 },
        thumbnail: { jpeg: JPEG, quality: 0.8 },
      });
      memory.observeLiveTrack({ ...base, timeMs: base.timeMs + 9000, sighting: "ended" });
    };
    seen("door", 1, 0, amy);
    seen("hall", 4, 3, amy);
    seen("door", 2, 10, null, 5); // someone else, unknown
    seen("door", 3, 30, { ...amy, name: "amy (old name)" }); // recorded before a rename: found by ID
    memory.rememberSource({ kind: "clip", name: "yard/2026-11-24/x", camera: "yard" }, [
      {
        trackId: 1,
        firstMs: T0 + 40 * MIN,
        lastMs: T0 + 40 * MIN,
        firstS: 1.5,
        lastS: 3,
        identity: amy,
        closest: null,
        undetermined: false,
        thumbnail: JPEG,
        embeddings: [{ vector: vec(0), quality: 0.9 }],
      },
    ]);
    memory.rememberSource({ kind: "file", name: "/v/lobby.mp4" }, [
      {
        trackId: 7,
        firstMs: T0 + 50 * MIN,
        lastMs: T0 + 50 * MIN,
        identity: amy,
        closest: null,
        undetermined: false,
        thumbnail: null,
        embeddings: [],
      },
    ]);
    const where = (t: ReturnType<FaceMemory["timeline"]>) =>
      t.tracks.map((x) => `${x.source.name}#${x.trackId}`);

    const all = memory.timeline({ identity: { name: "amy", id: "amy-id" } });
    assert.deepEqual(where(all), ["door#1", "hall#4", "door#3", "yard/2026-11-24/x#1", "/v/lobby.mp4#7"]);
    assert.equal(all.total, 5);
    assert.deepEqual(all.cameras, [
      { camera: "yard", tracks: 1, firstMs: T0 + 40 * MIN, lastMs: T0 + 40 * MIN },
      { camera: "door", tracks: 2, firstMs: T0, lastMs: T0 + 30 * MIN + 9000 },
      { camera: "hall", tracks: 1, firstMs: T0 + 3 * MIN, lastMs: T0 + 3 * MIN + 9000 },
    ]);
    assert.equal(all.tracks[0]?.thumbnail?.length, JPEG.length);
    // By name alone: the tracks recorded under that name.
    assert.deepEqual(where(memory.timeline({ identity: { name: "amy" } })), [
      "door#1",
      "hall#4",
      "yard/2026-11-24/x#1",
      "/v/lobby.mp4#7",
    ]);
    // Filters: a camera, a span (a track overlapping it counts), the latest N.
    assert.deepEqual(
      where(memory.timeline({ identity: { name: "amy", id: "amy-id" } }, { camera: "door" })),
      ["door#1", "door#3"],
    );
    const span = memory.timeline(
      { identity: { name: "amy", id: "amy-id" } },
      { sinceMs: T0 + 9000, untilMs: T0 + 30 * MIN },
    );
    assert.deepEqual(where(span), ["door#1", "hall#4", "door#3"]);
    const latest = memory.timeline({ identity: { name: "amy", id: "amy-id" } }, { limit: 2 });
    assert.deepEqual(where(latest), ["yard/2026-11-24/x#1", "/v/lobby.mp4#7"]);
    assert.equal(latest.total, 5);
    // A visitor's timeline: the unknown door #2 is visitor #1.
    assert.deepEqual(where(memory.timeline({ visitor: 1 })), ["door#2"]);
    assert.deepEqual(memory.timeline({ visitor: 99 }), { tracks: [], total: 0, cameras: [] });
    assert.deepEqual(memory.timeline({ identity: { name: "nobody" } }).total, 0);
    memory.close();
  });
});
