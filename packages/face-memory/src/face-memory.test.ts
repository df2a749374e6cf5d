/**
 * The face memory on real SQLite files: remembering files' and live cameras' tracks, search ranking and
 * filters, retention by age and by count, forgetting a person, and two connections (as two processes
 * would have) seeing each other's commits.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector, vectorWithSimilarity } from "@facetracker/testing/gallery";
import { FaceMemory, type FaceMemoryOptions } from "./face-memory.ts";
import { MEMORY_FILE, MemoryError } from "./memory-database.ts";
import type { TrackToRemember } from "./types.ts";

const D = 32;
const DAY = 86_400_000;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-face-memory-"));
  roots.push(root);
  return join(root, "gallery");
}

/** A clock the test moves. */
function clock(start = T0) {
  const c = { now: start };
  return { c, now: () => c.now };
}

function open(dir: string, options: Partial<FaceMemoryOptions> = {}): FaceMemory {
  return FaceMemory.open(dir, { dimension: D, ...options });
}

/** A file track with the given embeddings (quality by position: the first is best). */
function fileTrack(trackId: number, vectors: Float32Array[], extra: Partial<TrackToRemember> = {}) {
  return {
    trackId,
    firstMs: T0,
    lastMs: T0,
    firstS: trackId,
    lastS: trackId + 2.5,
    identity: null,
    closest: null,
    undetermined: false,
    thumbnail: JPEG,
    embeddings: vectors.map((vector, i) => ({ vector, quality: 1 - i / 10 })),
    ...extra,
  };
}

describe("FaceMemory", () => {
  it("remembers a file's tracks and finds them by face, most similar first (best embedding per track)", async () => {
    const dir = await tempDir();
    const memory = open(dir);
    const random = seededRandom(1);
    const face = randomUnitVector(D, random);
    memory.rememberSource({ kind: "file", name: "/videos/lobby.mp4" }, [
      fileTrack(1, [vectorWithSimilarity(face, 0.5, random)]),
      // Track 2 has one embedding close to the face and one far from it: its best counts.
      fileTrack(2, [vectorWithSimilarity(face, 0.1, random), vectorWithSimilarity(face, 0.8, random)], {
        identity: { id: "id-amy", name: "amy", similarity: 0.71 },
      }),
      fileTrack(3, [vectorWithSimilarity(face, 0.65, random)], {
        closest: { id: "id-amy", name: "amy", similarity: 0.3 },
      }),
    ]);
    const hits = memory.search(face, { limit: 10 });
    assert.deepEqual(
      hits.map((h) => h.trackId),
      [2, 3, 1],
    );
    assert.ok(Math.abs((hits[0]?.similarity as number) - 0.8) < 1e-4, String(hits[0]?.similarity));
    assert.ok(Math.abs((hits[2]?.similarity as number) - 0.5) < 1e-4);
    const top = hits[0];
    assert.deepEqual(top?.source, { kind: "file", name: "/videos/lobby.mp4" });
    assert.deepEqual(top?.identity, { id: "id-amy", name: "amy", similarity: 0.71 });
    assert.equal(top?.firstS, 2);
    assert.equal(top?.lastS, 4.5);
    assert.equal(top?.firstMs, T0);
    assert.deepEqual(top?.thumbnail, JPEG);
    assert.deepEqual(hits[1]?.closest, { id: "id-amy", name: "amy", similarity: 0.3 });
    assert.equal(hits[1]?.identity, null);
    assert.deepEqual(
      memory.search(face, { limit: 1 }).map((h) => h.trackId),
      [2],
    );
    assert.deepEqual(
      memory.search(face, { minSimilarity: 0.6 }).map((h) => h.trackId),
      [2, 3],
    );
    memory.close();
  });

  it("keeps up to embeddings_per_track embeddings of a track: the best face, then the most different", async () => {
    const dir = await tempDir();
    const memory = open(dir, { embeddingsPerTrack: 2 });
    const random = seededRandom(2);
    const front = randomUnitVector(D, random);
    const near = vectorWithSimilarity(front, 0.97, random);
    const side = vectorWithSimilarity(front, 0.2, random);
    const [id] = memory.rememberSource({ kind: "file", name: "/v.mp4" }, [
      {
        ...fileTrack(1, []),
        embeddings: [
          { vector: near, quality: 0.5 },
          { vector: front, quality: 0.9 },
          { vector: side, quality: 0.1 },
        ],
      },
    ]);
    const kept = memory.embeddingsOf(id as number);
    assert.deepEqual(
      kept.map((k) => k.quality),
      [0.9, 0.1],
    );
    assert.equal(memory.list()[0]?.embeddings, 2);
    memory.close();
  });

  it("analysing a source again replaces what was remembered of it; other sources stay", async () => {
    const dir = await tempDir();
    const memory = open(dir);
    const random = seededRandom(3);
    const v = () => randomUnitVector(D, random);
    memory.rememberSource({ kind: "file", name: "/a.mp4" }, [fileTrack(1, [v()]), fileTrack(2, [v()])]);
    memory.rememberSource({ kind: "clip", name: "cam1/2026-11-24/101500-x", camera: "cam1" }, [
      fileTrack(1, [v()], { clip: { key: "cam1/2026-11-24/101500-x.mp4" } }),
    ]);
    memory.rememberSource({ kind: "file", name: "/a.mp4" }, [fileTrack(7, [v()])]);
    const listed = memory.list();
    assert.deepEqual(
      listed.map((t) => [t.source.name, t.trackId]),
      [
        ["cam1/2026-11-24/101500-x", 1],
        ["/a.mp4", 7],
      ],
    );
    assert.deepEqual(listed[0]?.clip, { key: "cam1/2026-11-24/101500-x.mp4" });
    assert.equal(listed[0]?.source.camera, "cam1");
    assert.equal(memory.search(v(), { limit: 10 }).length, 2);
    memory.close();
  });

  it("filters by camera and by time before ranking", async () => {
    const dir = await tempDir();
    const memory = open(dir, { now: () => T0 + 2 * DAY });
    const random = seededRandom(4);
    const face = randomUnitVector(D, random);
    const live = (camera: string, trackId: number, fromMs: number, toMs: number, similarity: number) => {
      memory.observeLiveTrack({ camera, trackId, timeMs: fromMs, sighting: "seen", starts: true });
      memory.observeLiveTrack({
        camera,
        trackId,
        timeMs: fromMs + 1,
        sighting: "seen",
        embedding: { vector: vectorWithSimilarity(face, similarity, random), quality: 0 },
      });
      memory.observeLiveTrack({ camera, trackId, timeMs: toMs, sighting: "ended" });
    };
    live("door", 1, T0, T0 + 60_000, 0.9);
    live("door", 2, T0 + DAY, T0 + DAY + 60_000, 0.5);
    live("hall", 1, T0 + 30_000, T0 + 90_000, 0.8);
    memory.rememberSource({ kind: "clip", name: "door/2026-11-24/100000-door-1-1", camera: "door" }, [
      fileTrack(1, [vectorWithSimilarity(face, 0.7, random)], { firstMs: T0 + DAY, lastMs: T0 + DAY }),
    ]);
    memory.rememberSource({ kind: "file", name: "/x.mp4" }, [
      fileTrack(1, [vectorWithSimilarity(face, 0.95, random)], { firstMs: T0 + DAY, lastMs: T0 + DAY }),
    ]);
    const ids = (options: Parameters<FaceMemory["search"]>[1]) =>
      memory.search(face, options).map((h) => `${h.source.name}#${h.trackId}`);
    assert.deepEqual(ids({}), [
      "/x.mp4#1",
      "door#1",
      "hall#1",
      "door/2026-11-24/100000-door-1-1#1",
      "door#2",
    ]);
    assert.deepEqual(ids({ camera: "door" }), ["door#1", "door/2026-11-24/100000-door-1-1#1", "door#2"]);
    assert.deepEqual(ids({ camera: "nowhere" }), []);
    // Seen within [since, until]: a track overlapping the bound counts.
    assert.deepEqual(ids({ sinceMs: T0 + 60_000 }), [
      "/x.mp4#1",
      "door#1",
      "hall#1",
      "door/2026-11-24/100000-door-1-1#1",
      "door#2",
    ]);
    assert.deepEqual(ids({ sinceMs: T0 + 60_001 }), [
      "/x.mp4#1",
      "hall#1",
      "door/2026-11-24/100000-door-1-1#1",
      "door#2",
    ]);
    assert.deepEqual(ids({ untilMs: T0 + 29_999 }), ["door#1"]);
    assert.deepEqual(ids({ camera: "door", sinceMs: T0 + DAY, untilMs: T0 + DAY }), [
      "door/2026-11-24/100000-door-1-1#1",
      "door#2",
    ]);
    memory.close();
  });

  it("assembles a live track from its events: times, decision, best thumbnail, embeddings, alert and clip", async () => {
    const dir = await tempDir();
    const memory = open(dir, { embeddingsPerTrack: 2, now: () => T0 });
    const random = seededRandom(5);
    const face = randomUnitVector(D, random);
    const thumbConfirmed = new Uint8Array([1]);
    const thumbIdentified = new Uint8Array([2]);
    const e = { camera: "door", trackId: 4 };
    memory.observeLiveTrack({
      ...e,
      timeMs: T0,
      sighting: "seen",
      starts: true,
      undetermined: true,
      thumbnail: { jpeg: thumbConfirmed, quality: 0 },
    });
    // The alert comes before the identification was recorded (another stream): it finds the track.
    memory.linkAlert({ ...e, alertId: "door-4-1", timeMs: T0 + 500 });
    memory.observeLiveTrack({
      ...e,
      timeMs: T0 + 400,
      sighting: "seen",
      decision: {
        identity: null,
        closest: { id: "id-bob", name: "bob", similarity: 0.3 },
        undetermined: false,
      },
      thumbnail: { jpeg: thumbIdentified, quality: 1 },
      embedding: { vector: vectorWithSimilarity(face, 0.9, random), quality: 0 },
    });
    // A later confirmed-quality thumbnail does not replace the identified one.
    memory.observeLiveTrack({
      ...e,
      timeMs: T0 + 900,
      sighting: "seen",
      thumbnail: { jpeg: thumbConfirmed, quality: 0 },
    });
    memory.observeLiveTrack({ ...e, timeMs: T0 + 2000, sighting: "lost" });
    memory.observeLiveTrack({ ...e, timeMs: T0 + 3000, sighting: "ended" });
    memory.linkClip({
      alertIds: ["door-4-1"],
      key: "door/2026-11-24/100000-door-4-1.mp4",
      url: "file:///c.mp4",
      timeMs: T0 + 9000,
    });
    // Redelivered: changes nothing.
    memory.observeLiveTrack({ ...e, timeMs: T0 + 3000, sighting: "ended" });
    const [track] = memory.list();
    assert.equal(memory.count(), 1);
    assert.deepEqual(track?.source, { kind: "camera", name: "door", camera: "door" });
    assert.equal(track?.trackId, 4);
    assert.equal(track?.firstMs, T0);
    // Last seen: when it was lost, not when it ended.
    assert.equal(track?.lastMs, T0 + 2000);
    assert.equal(track?.firstS, undefined);
    assert.equal(track?.identity, null);
    assert.deepEqual(track?.closest, { id: "id-bob", name: "bob", similarity: 0.3 });
    assert.equal(track?.undetermined, false);
    assert.deepEqual(track?.thumbnail, thumbIdentified);
    assert.equal(track?.alertId, "door-4-1");
    assert.deepEqual(track?.clip, { key: "door/2026-11-24/100000-door-4-1.mp4", url: "file:///c.mp4" });
    const [hit] = memory.search(face);
    assert.equal(hit?.trackId, 4);
    assert.ok(Math.abs((hit?.similarity as number) - 0.9) < 1e-4);

    // More embeddings than kept: the best two (quality, then diversity) stay.
    memory.observeLiveTrack({
      ...e,
      timeMs: T0 + 3000,
      sighting: "ended",
      embedding: { vector: vectorWithSimilarity(face, 0.2, random), quality: 0.5 },
    });
    memory.observeLiveTrack({
      ...e,
      timeMs: T0 + 3000,
      sighting: "ended",
      embedding: { vector: vectorWithSimilarity(face, 0.95, random), quality: 0 },
    });
    assert.deepEqual(
      memory.embeddingsOf(track?.id as number).map((k) => k.quality),
      [0.5, 0],
    );

    // The camera's track IDs start again (its tracking state was lost): a new record, not the old one.
    memory.observeLiveTrack({ ...e, timeMs: T0 + 60_000, sighting: "seen", starts: true });
    assert.equal(memory.count(), 2);
    memory.close();
  });

  it("forgets tracks last seen longer ago than retention_days, on write and on open", async () => {
    const dir = await tempDir();
    const { c, now } = clock();
    const memory = open(dir, { retentionDays: 30, now });
    const random = seededRandom(6);
    const face = randomUnitVector(D, random);
    memory.rememberSource({ kind: "file", name: "/old.mp4" }, [fileTrack(1, [face])]);
    c.now = T0 + 20 * DAY;
    memory.rememberSource({ kind: "file", name: "/newer.mp4" }, [
      fileTrack(1, [face], { firstMs: c.now, lastMs: c.now }),
    ]);
    assert.equal(memory.count(), 2);
    assert.equal(memory.search(face).length, 2);
    c.now = T0 + 31 * DAY;
    memory.rememberSource({ kind: "file", name: "/new.mp4" }, [
      fileTrack(1, [face], { firstMs: c.now, lastMs: c.now }),
    ]);
    assert.deepEqual(
      memory.list().map((t) => t.source.name),
      ["/newer.mp4", "/new.mp4"],
    );
    assert.deepEqual(
      memory.search(face).map((h) => h.source.name),
      ["/newer.mp4", "/new.mp4"],
    );
    memory.close();
    c.now = T0 + 51 * DAY;
    const reopened = open(dir, { retentionDays: 30, now });
    assert.deepEqual(
      reopened.list().map((t) => t.source.name),
      ["/new.mp4"],
    );
    // 0: no age limit.
    c.now = T0 + 1000 * DAY;
    reopened.close();
    const forever = open(dir, { retentionDays: 0, now });
    assert.equal(forever.count(), 1);
    forever.close();
  });

  it("keeps at most max_tracks tracks: the least recently seen go first", async () => {
    const dir = await tempDir();
    const { c, now } = clock();
    const memory = open(dir, { maxTracks: 3, now });
    const random = seededRandom(7);
    const face = randomUnitVector(D, random);
    for (let i = 1; i <= 5; i++) {
      c.now = T0 + i * 1000;
      memory.rememberSource({ kind: "file", name: `/v${i}.mp4` }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.5, random)], { firstMs: c.now, lastMs: c.now }),
      ]);
    }
    assert.deepEqual(
      memory.list().map((t) => t.source.name),
      ["/v3.mp4", "/v4.mp4", "/v5.mp4"],
    );
    assert.equal(memory.search(face).length, 3);
    memory.close();
  });

  it("forgetIdentity deletes a person's tracks (by name, or by ID after a rename) and their mentions as closest", async () => {
    const dir = await tempDir();
    const memory = open(dir);
    const random = seededRandom(8);
    const face = randomUnitVector(D, random);
    const amy = { id: "id-amy", name: "amy", similarity: 0.7 };
    memory.rememberSource({ kind: "file", name: "/a.mp4" }, [
      fileTrack(1, [face], { identity: amy }),
      fileTrack(2, [face], { identity: { ...amy, name: "amy (old name)" } }),
      fileTrack(3, [face], { closest: { ...amy, similarity: 0.3 } }),
      fileTrack(4, [face], { identity: { id: "id-bob", name: "bob", similarity: 0.6 } }),
    ]);
    assert.equal(memory.search(face).length, 4);
    assert.equal(memory.forgetIdentity({ name: "amy" }), 1);
    assert.equal(memory.forgetIdentity({ name: "amy", id: "id-amy" }), 1);
    const left = memory.list();
    assert.deepEqual(
      left.map((t) => t.trackId),
      [3, 4],
    );
    assert.equal(left[0]?.closest, null);
    assert.deepEqual(
      memory.search(face).map((h) => h.trackId),
      [3, 4],
    );
    assert.equal(memory.forgetIdentity({ name: "nobody" }), 0);
    // Their faces are gone from the file, not only from the tables' view (secure_delete).
    memory.close();
    const db = new DatabaseSync(join(dir, MEMORY_FILE));
    const { n } = db.prepare("SELECT COUNT(*) AS n FROM track_embeddings").get() as { n: number };
    db.close();
    assert.equal(n, 2);
  });

  it("two connections (as two processes): what one writes or forgets, the other's search sees", async () => {
    const dir = await tempDir();
    const writer = open(dir);
    const reader = open(dir, { readOnly: true });
    const random = seededRandom(9);
    const face = randomUnitVector(D, random);
    assert.deepEqual(reader.search(face), []);
    writer.rememberSource({ kind: "file", name: "/a.mp4" }, [
      fileTrack(1, [vectorWithSimilarity(face, 0.6, random)], {
        identity: { id: "i", name: "amy", similarity: 0.6 },
      }),
    ]);
    assert.deepEqual(
      reader.search(face).map((h) => h.trackId),
      [1],
    );
    writer.observeLiveTrack({
      camera: "door",
      trackId: 9,
      timeMs: T0,
      sighting: "seen",
      starts: true,
      embedding: { vector: vectorWithSimilarity(face, 0.9, random), quality: 0 },
    });
    assert.deepEqual(
      reader.search(face).map((h) => `${h.source.name}#${h.trackId}`),
      ["door#9", "/a.mp4#1"],
    );
    writer.forgetIdentity({ name: "amy" });
    assert.deepEqual(
      reader.search(face).map((h) => h.source.name),
      ["door"],
    );
    assert.throws(
      () => reader.forgetIdentity({ name: "x" }),
      (e: unknown) => e instanceof MemoryError && /read-only/.test(e.message),
    );
    writer.close();
    reader.close();
  });

  it("refuses what is not its memory: missing (read-only), another dimension, another database", async () => {
    const dir = await tempDir();
    assert.throws(
      () => open(dir, { readOnly: true }),
      (e: unknown) => e instanceof MemoryError && e.code === "MISSING" && e.message.includes(MEMORY_FILE),
    );
    open(dir).close();
    assert.throws(
      () => FaceMemory.open(dir, { dimension: 64 }),
      (e: unknown) =>
        e instanceof MemoryError && e.code === "INVALID" && /dimension 32.*dimension 64/.test(e.message),
    );
    const other = await tempDir();
    await import("node:fs/promises").then((fs) => fs.mkdir(other, { recursive: true }));
    const db = new DatabaseSync(join(other, MEMORY_FILE));
    db.exec("CREATE TABLE something (x INTEGER)");
    db.close();
    assert.throws(
      () => open(other),
      (e: unknown) => e instanceof MemoryError && e.code === "INVALID" && /not a face memory/.test(e.message),
    );
    const garbage = await tempDir();
    await import("node:fs/promises").then((fs) => fs.mkdir(garbage, { recursive: true }));
    await writeFile(
      join(garbage, MEMORY_FILE),
      "this is no database, only text long enough to be read as one".repeat(20),
    );
    assert.throws(
      () => open(garbage),
      (e: unknown) => e instanceof MemoryError && e.code === "CORRUPT" && e.message.includes(MEMORY_FILE),
    );
    const memory = open(dir);
    assert.throws(() => memory.search(new Float32Array(D)), /zero length/);
    assert.throws(() => memory.search(new Float32Array(3)), /dimension 3/);
    memory.close();
  });
});
