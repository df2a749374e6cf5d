/**
 * Visitors on real SQLite files: unknown tracks grouped online (same person → one visitor, another person →
 * another), IDs stable across connections and re-analyses, the guard against chaining, naming, live
 * camera tracks, and a memory file written before visitors existed.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { FaceMemory } from "./face-memory.ts";
import { MEMORY_FILE } from "./memory-database.ts";
import type { TrackToRemember } from "./types.ts";

const D = 16;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-visitors-"));
  roots.push(root);
  return join(root, "gallery");
}

/** A unit vector from a few (axis, weight) pairs. */
function vec(...parts: [number, number][]): Float32Array {
  const v = new Float32Array(D);
  for (const [axis, w] of parts) v[axis] = w;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function track(
  trackId: number,
  vectors: Float32Array[],
  extra: Partial<TrackToRemember> = {},
): Omit<TrackToRemember, "source"> {
  return {
    trackId,
    firstMs: T0,
    lastMs: T0,
    identity: null,
    closest: null,
    undetermined: false,
    thumbnail: new Uint8Array([...JPEG, trackId]),
    embeddings: vectors.map((vector, i) => ({ vector, quality: 0.9 - i / 10 - trackId / 100 })),
    ...extra,
  };
}

const file = (name: string) => ({ kind: "file" as const, name });
const ids = (m: FaceMemory) => m.list().map((t) => m.visitorOfTrack(t.id) ?? null);

describe("visitors", () => {
  it("groups unknown tracks into people, with stable IDs; named and undetermined tracks have none", async () => {
    const dir = await tempDir();
    const clock = { now: T0 };
    const memory = FaceMemory.open(dir, { dimension: D, now: () => clock.now });
    const amy = vec([0, 1]);
    const bob = vec([1, 1]);
    memory.rememberSource(file("/v/a.mp4"), [
      track(1, [vec([0, 0.9], [2, 0.3])]),
      track(2, [vec([1, 0.9], [3, 0.3])]),
      track(3, [amy], { identity: { id: "i1", name: "carol", similarity: 0.7 } }),
      track(4, [bob], { undetermined: true }),
    ]);
    clock.now = T0 + 3_600_000;
    memory.rememberSource(file("/v/b.mp4"), [
      track(1, [vec([0, 0.9], [4, 0.35])], { firstMs: clock.now, lastMs: clock.now }),
    ]);
    assert.deepEqual(ids(memory), [1, 2, null, null, 1]);
    const other = FaceMemory.open(dir, { dimension: D });
    const visitors = other.listVisitors({ thumbnails: 2 });
    assert.deepEqual(
      visitors.map((v) => [
        v.id,
        v.visits,
        v.firstMs,
        v.lastMs,
        v.sources.map((s) => s.name),
        v.thumbnails.length,
      ]),
      [
        [1, 2, T0, T0 + 3_600_000, ["/v/b.mp4", "/v/a.mp4"], 2],
        [2, 1, T0, T0, ["/v/a.mp4"], 1],
      ],
    );
    // Best face first: track 1 of a.mp4 has the better quality.
    assert.deepEqual(visitors[0]?.thumbnails[0], new Uint8Array([...JPEG, 1]));
    // Analysing a file again keeps its tracks' visitors.
    other.rememberSource(file("/v/a.mp4"), [
      track(1, [vec([0, 0.9], [2, 0.3])]),
      track(2, [vec([1, 0.9], [3, 0.3])]),
    ]);
    assert.deepEqual(
      memory.listVisitors().map((v) => [v.id, v.visits]),
      [
        [1, 2],
        [2, 1],
      ],
    );
    // A visitor whose tracks are all gone is gone, and its ID is not reused.
    memory.rememberSource(file("/v/a.mp4"), [track(1, [vec([0, 0.9], [2, 0.3])])]);
    memory.rememberSource(file("/v/c.mp4"), [track(1, [vec([5, 1])])]);
    assert.deepEqual(
      memory.listVisitors().map((v) => v.id),
      [1, 3],
    );
    assert.equal(memory.visitor(2), undefined);
    memory.close();
    other.close();
  });

  it("does not chain: a track like one member only starts a new visitor", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D });
    // Three tracks of one person, each like the others (0.64).
    memory.rememberSource(file("/v/a.mp4"), [
      track(1, [vec([0, 0.8], [1, 0.6])]),
      track(2, [vec([0, 0.8], [2, 0.6])]),
      track(3, [vec([0, 0.8], [3, 0.6])]),
    ]);
    // 0.42 like track 1, unlike tracks 2 and 3: a new visitor.
    memory.rememberSource(file("/v/b.mp4"), [track(1, [vec([1, 0.7], [4, Math.sqrt(0.51)])])]);
    // 0.7, 0.4, 0.4: joins.
    memory.rememberSource(file("/v/c.mp4"), [track(1, [vec([0, 0.5], [1, 0.5], [5, Math.SQRT1_2])])]);
    assert.deepEqual(ids(memory), [1, 1, 1, 2, 1]);
    memory.close();
  });

  it("the threshold decides: a lower one joins what the default keeps apart", async () => {
    const strict = FaceMemory.open(await tempDir(), { dimension: D });
    const loose = FaceMemory.open(await tempDir(), { dimension: D, visitorThreshold: 0.3 });
    for (const m of [strict, loose]) {
      m.rememberSource(file("/v/a.mp4"), [track(1, [vec([0, 1])])]);
      m.rememberSource(file("/v/b.mp4"), [track(1, [vec([0, 0.35], [1, Math.sqrt(1 - 0.35 ** 2)])])]);
    }
    assert.deepEqual(ids(strict), [1, 2]);
    assert.deepEqual(ids(loose), [1, 1]);
    strict.close();
    loose.close();
  });

  it("naming a visitor names its tracks, ranks its faces by quality, and closes it to new tracks", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D });
    memory.rememberSource(file("/v/a.mp4"), [
      track(1, [vec([0, 1]), vec([0, 0.8], [1, 0.6])]),
      track(2, [vec([0, 0.9], [2, 0.4])]),
    ]);
    const faces = memory.visitorFaces(1, 2);
    assert.deepEqual(
      faces.map((f) => [f.track.trackId, Number(f.quality.toFixed(2))]),
      [
        [1, 0.89],
        [2, 0.88],
      ],
    );
    assert.deepEqual(
      memory.visitorFaces(1, 5, 1).map((f) => f.track.trackId),
      [1, 2],
    );
    assert.equal(memory.nameVisitor(1, { name: "dora", id: "id-dora" }), 2);
    assert.equal(memory.nameVisitor(99, { name: "nobody" }), 0);
    assert.deepEqual(
      memory.list().map((t) => t.identity?.name),
      ["dora", "dora"],
    );
    assert.equal(memory.listVisitors()[0]?.name, "dora");
    // Still unknown to the gallery (say, a poor face): a new visitor, not the named one.
    memory.rememberSource(file("/v/b.mp4"), [track(1, [vec([0, 1])])]);
    assert.deepEqual(
      memory.listVisitors().map((v) => [v.id, v.name]),
      [
        [2, null],
        [1, "dora"],
      ],
    );
    // Forgetting the person forgets the named visitor with its tracks.
    memory.forgetIdentity({ name: "dora" });
    memory.applyRetention();
    assert.deepEqual(
      memory.listVisitors().map((v) => v.id),
      [2],
    );
    memory.close();
  });

  it("a live camera track joins its visitor when it ends unknown, once", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D });
    const unknown = { identity: null, closest: null, undetermined: false };
    for (const [trackId, camera, vector, decision] of [
      [1, "door", vec([0, 1]), unknown],
      [2, "hall", vec([0, 0.9], [1, 0.3]), unknown],
      [3, "door", vec([0, 1]), { ...unknown, identity: { id: "i", name: "eve", similarity: 0.6 } }],
    ] as const) {
      const base = { camera, trackId, timeMs: T0 + trackId * 1000 };
      memory.observeLiveTrack({ ...base, starts: true, sighting: "seen" });
      memory.observeLiveTrack({
        ...base,
        sighting: "seen",
        decision,
        embedding: { vector, quality: 0.8 },
        thumbnail: { jpeg: JPEG, quality: 0.8 },
      });
      assert.equal(memory.visitorOfTrack(memory.list().at(-1)?.id as number), undefined);
      memory.observeLiveTrack({ ...base, sighting: "ended" });
      memory.observeLiveTrack({ ...base, sighting: "ended" });
    }
    assert.deepEqual(ids(memory), [1, 1, null]);
    assert.deepEqual(memory.visitor(1)?.cameras, ["hall", "door"]);
    memory.close();
  });

  it("an alert puts a live track in its visitor and counts its visits: the track's end keeps it", async () => {
    const memory = FaceMemory.open(await tempDir(), { dimension: D });
    const day = Date.parse("2026-11-24T00:00:00Z");
    const HOUR = 3_600_000;
    const face = vec([0, 1]);
    // An earlier visit (yesterday) and one this morning of the same unknown person, on other cameras.
    memory.rememberSource({ kind: "camera", name: "gate", camera: "gate" }, [
      track(1, [face], { firstMs: day - 5 * HOUR, lastMs: day - 5 * HOUR + 9000 }),
    ]);
    memory.rememberSource({ kind: "camera", name: "hall", camera: "hall" }, [
      track(4, [vec([0, 0.95], [1, 0.2])], { firstMs: day + 8 * HOUR, lastMs: day + 8 * HOUR + 5000 }),
    ]);
    assert.deepEqual(ids(memory), [1, 1]);
    // A new track at the door: nothing recorded of it yet, its face is visitor #1's.
    const at = day + 10 * HOUR;
    assert.equal(memory.liveVisitor("door", 7, [face]), 1);
    const seen = memory.joinLiveVisitor({
      camera: "door",
      trackId: 7,
      timeMs: at,
      embeddings: [face],
      dayStartMs: day,
    });
    assert.deepEqual(seen, { visitor: 1, created: false, visits: 3, visitsToday: 2 });
    // Delivered again: the same answer; the track's events and end keep the visitor.
    assert.deepEqual(
      memory.joinLiveVisitor({ camera: "door", trackId: 7, timeMs: at, embeddings: [face], dayStartMs: day }),
      seen,
    );
    memory.observeLiveTrack({ camera: "door", trackId: 7, timeMs: at, starts: true, sighting: "seen" });
    memory.observeLiveTrack({ camera: "door", trackId: 7, timeMs: at + 4000, sighting: "ended" });
    assert.equal(memory.visitorOfTrack(memory.list().at(-1)?.id as number), 1);
    // Ten minutes later, a broken-up track of the same visit: still the second visit today.
    assert.equal(
      memory.joinLiveVisitor({
        camera: "door",
        trackId: 8,
        timeMs: at + 600_000,
        embeddings: [face],
        dayStartMs: day,
      }).visitsToday,
      2,
    );
    // Another face: a new visitor, its first visit; a track seen again as an alert's person joins that one.
    const stranger = vec([5, 1]);
    assert.equal(memory.liveVisitor("door", 9, [stranger]), undefined);
    assert.deepEqual(
      memory.joinLiveVisitor({
        camera: "door",
        trackId: 9,
        timeMs: at,
        embeddings: [stranger],
        dayStartMs: day,
      }),
      { visitor: 2, created: true, visits: 1, visitsToday: 1 },
    );
    assert.equal(
      memory.joinLiveVisitor({
        camera: "hall",
        trackId: 10,
        timeMs: at,
        embeddings: [],
        visitor: 2,
        dayStartMs: day,
      }).visitor,
      2,
    );
    // Named later after all (the gallery recognised the face): no longer one of the visitor's visits.
    memory.observeLiveTrack({
      camera: "hall",
      trackId: 10,
      timeMs: at + 1000,
      sighting: "seen",
      decision: { identity: { id: "i", name: "eve", similarity: 0.7 }, closest: null, undetermined: false },
    });
    assert.equal(memory.visitor(2)?.visits, 1);
    memory.close();
  });

  it("a memory written before visitors: none read-only, added when opened for writing", async () => {
    const dir = await tempDir();
    const memory = FaceMemory.open(dir, { dimension: D });
    memory.rememberSource(file("/v/a.mp4"), [track(1, [vec([0, 1])])]);
    memory.close();
    const db = new DatabaseSync(join(dir, MEMORY_FILE));
    db.exec(
      "DROP INDEX tracks_by_visitor; ALTER TABLE tracks DROP COLUMN visitor_id; DROP TABLE visitors; PRAGMA wal_checkpoint",
    );
    db.close();
    const readOnly = FaceMemory.open(dir, { dimension: D, readOnly: true });
    assert.deepEqual(readOnly.listVisitors(), []);
    assert.equal(readOnly.list().length, 1);
    readOnly.close();
    const writer = FaceMemory.open(dir, { dimension: D });
    assert.deepEqual(writer.listVisitors(), []);
    writer.rememberSource(file("/v/b.mp4"), [track(1, [vec([0, 1])])]);
    assert.deepEqual(
      writer.listVisitors().map((v) => [v.id, v.visits]),
      [[1, 1]],
    );
    writer.close();
  });
});
