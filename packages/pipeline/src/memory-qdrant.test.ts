/**
 * The face memory with the Qdrant backend: its embeddings written to `<collection>_memory` from
 * memory.sqlite (vector-sync.ts) and searched there (FaceMemory.searchAsync), against the FakeQdrantServer
 * through the real client library, and against a real server when QDRANT_URL is set.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { FaceMemory, type FaceMemoryOptions, type TrackToRemember } from "@facetracker/face-memory";
import { QdrantMemoryVectors } from "@facetracker/gallery";
import { seededRandom } from "@facetracker/infra";
import { FakeQdrantServer, randomUnitVector, vectorWithSimilarity } from "@facetracker/testing/gallery";
import { openConfiguredMemory } from "./configured-memory.ts";

const D = 32;
const DAY = 86_400_000;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
const QDRANT_URL = process.env.QDRANT_URL;
const QDRANT_API_KEY = process.env.QDRANT_API_KEY;

const roots: string[] = [];
let fake: Promise<FakeQdrantServer> | undefined;
const fakeServer = () => {
  fake ??= FakeQdrantServer.start();
  return fake;
};
const stores: QdrantMemoryVectors[] = [];
after(async () => {
  await Promise.all(stores.map((s) => s.drop().catch(() => {})));
  await (await fake)?.stop();
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-memory-qdrant-"));
  roots.push(root);
  return join(root, "gallery");
}

function fileTrack(trackId: number, vectors: Float32Array[], extra: Partial<TrackToRemember> = {}) {
  return {
    trackId,
    firstMs: T0,
    lastMs: T0,
    identity: null,
    closest: null,
    undetermined: false,
    thumbnail: JPEG,
    embeddings: vectors.map((vector, i) => ({ vector, quality: 1 - i / 10 })),
    ...extra,
  };
}

/** Every point ID of the store's collection. */
async function pointIds(store: QdrantMemoryVectors): Promise<number[]> {
  const ids: number[] = [];
  for (let from: number | undefined; ; ) {
    const page = await store.pointIds(from, 100);
    ids.push(...page.ids);
    if (page.next === undefined) return ids;
    from = page.next;
  }
}

function keptEmbeddings(memory: FaceMemory): number {
  return memory.list().reduce((n, t) => n + t.embeddings, 0);
}

function suite(name: string, server: () => Promise<{ url: string; apiKey?: string }>, skip?: string) {
  describe(name, { ...(skip ? { skip } : {}) }, () => {
    async function setup(options: Partial<FaceMemoryOptions> = {}) {
      const { url, apiKey } = await server();
      const store = new QdrantMemoryVectors({
        url,
        ...(apiKey ? { apiKey } : {}),
        collection: `ft_test_${randomUUID().slice(0, 8)}_memory`,
        dimension: D,
      });
      stores.push(store);
      const clock = { now: T0 };
      const dir = await tempDir();
      const warnings: string[] = [];
      const open = (more: Partial<FaceMemoryOptions> = {}) =>
        FaceMemory.open(dir, {
          dimension: D,
          vectorStore: store,
          vectorSyncIntervalMs: 0,
          now: () => clock.now,
          onWarning: (m) => warnings.push(m),
          ...options,
          ...more,
        });
      return { store, clock, dir, warnings, open, memory: open() };
    }

    it("searches the tracks in Qdrant as exactly as the in-memory index (order, filters); forgets and retains there too", async () => {
      const { store, clock, memory } = await setup();
      const random = seededRandom(11);
      const face = randomUnitVector(D, random);
      memory.rememberSource({ kind: "file", name: "/videos/lobby.mp4" }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.5, random)]),
        fileTrack(2, [vectorWithSimilarity(face, 0.1, random), vectorWithSimilarity(face, 0.8, random)], {
          identity: { id: "id-amy", name: "amy", similarity: 0.71 },
        }),
        fileTrack(3, [vectorWithSimilarity(face, 0.65, random)]),
      ]);
      memory.rememberSource({ kind: "clip", name: "door/2026-11-24/x", camera: "door" }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.6, random)]),
      ]);
      memory.observeLiveTrack({
        camera: "door",
        trackId: 9,
        timeMs: T0 + 3 * DAY,
        starts: true,
        sighting: "seen",
        embedding: { vector: vectorWithSimilarity(face, 0.7, random), quality: 0.9 },
      });
      const first = await memory.syncVectors();
      assert.equal(first.full, true, "a new collection is written in full");
      assert.equal((await pointIds(store)).length, keptEmbeddings(memory));
      // Qdrant itself holds them: its own search ranks the tracks as the exact index does.
      const exact = memory.search(face);
      assert.deepEqual(
        exact.map((h) => [h.source.name, h.trackId]),
        [
          ["/videos/lobby.mp4", 2],
          ["door", 9],
          ["/videos/lobby.mp4", 3],
          ["door/2026-11-24/x", 1],
          ["/videos/lobby.mp4", 1],
        ],
      );
      assert.deepEqual(
        (await store.search(face, {}, 10)).map((h) => h.track),
        exact.map((h) => h.id),
      );
      for (const options of [
        {},
        { limit: 2 },
        { camera: "door" },
        { sinceMs: T0 + DAY },
        { untilMs: T0 + DAY },
        { camera: "door", untilMs: T0 },
        { minSimilarity: 0.62 },
      ]) {
        const viaQdrant = await memory.searchAsync(face, options);
        const inMemory = memory.search(face, options);
        assert.deepEqual(
          viaQdrant.map((h) => h.id),
          inMemory.map((h) => h.id),
          JSON.stringify(options),
        );
        for (const [i, h] of viaQdrant.entries())
          assert.ok(Math.abs(h.similarity - (inMemory[i]?.similarity as number)) < 1e-5);
      }
      assert.equal(
        (await memory.searchAsync(face, { limit: 1 }))[0]?.identity?.name,
        "amy",
        "hits carry their SQLite records",
      );

      // Forgetting amy: a search at once leaves her out (her track changed since the sync), Qdrant drops
      // her points at the next drain.
      const before = (await pointIds(store)).length;
      assert.equal(memory.forgetIdentity({ name: "amy" }), 1);
      assert.ok((await store.search(face, {}, 10)).length === 5, "not synced yet: Qdrant still has her");
      assert.deepEqual(
        (await memory.searchAsync(face)).map((h) => h.trackId),
        [9, 3, 1, 1],
      );
      const second = await memory.syncVectors();
      assert.equal(second.full, false);
      assert.equal((await pointIds(store)).length, before - 2);
      assert.equal((await store.search(face, {}, 10)).length, 4);

      // Retention: all but the camera track (seen 3 days later) are older than 30 days.
      clock.now = T0 + 32 * DAY;
      assert.equal(memory.applyRetention(), 3);
      await memory.syncVectors();
      assert.equal((await pointIds(store)).length, 1);
      assert.deepEqual(
        (await memory.searchAsync(face)).map((h) => [h.source.name, h.trackId]),
        [["door", 9]],
      );
      memory.close();
    });

    it("Qdrant away: writes still succeed, searches stay exact, and the store catches up when it is back", async (t) => {
      if (name.includes("QDRANT_URL")) {
        t.skip("cannot take a real server away");
        return;
      }
      const fakeQdrant = await fakeServer();
      const { store, memory, warnings } = await setup();
      const random = seededRandom(12);
      const face = randomUnitVector(D, random);
      memory.rememberSource({ kind: "file", name: "/a.mp4" }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.4, random)]),
      ]);
      await memory.syncVectors();
      fakeQdrant.unavailable = true;
      try {
        const [id] = memory.rememberSource({ kind: "file", name: "/b.mp4" }, [
          fileTrack(1, [vectorWithSimilarity(face, 0.9, random)]),
        ]);
        assert.equal(memory.track(id as number)?.source.name, "/b.mp4", "written to SQLite");
        await assert.rejects(memory.syncVectors(), /Qdrant at http:\/\/127\.0\.0\.1:\d+ .*503/);
        const hits = await memory.searchAsync(face);
        assert.deepEqual(
          hits.map((h) => h.source.name),
          ["/b.mp4", "/a.mp4"],
        );
        assert.match(warnings.join("\n"), /cannot search Qdrant at .*exact in-memory copy instead/);
      } finally {
        fakeQdrant.unavailable = false;
      }
      const back = await memory.syncVectors();
      assert.equal(back.upserted, 1);
      assert.deepEqual(
        (await store.search(face, {}, 10)).map((h) => h.similarity > 0.85),
        [true, false],
      );
      memory.close();
    });

    it("a memory opened for writing drains in the background, other processes' changes too", async () => {
      const { store, open, memory } = await setup();
      memory.close();
      const random = seededRandom(13);
      const face = randomUnitVector(D, random);
      const writer = open({ vectorSyncIntervalMs: 50 });
      const other = open(); // another process: writes, drains nothing itself
      other.rememberSource({ kind: "file", name: "/c.mp4" }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.7, random)]),
        fileTrack(2, [vectorWithSimilarity(face, 0.2, random)]),
      ]);
      // (The collection is made by the writer's first drain.)
      const count = () =>
        pointIds(store).then(
          (ids) => ids.length,
          () => 0,
        );
      for (let i = 0; i < 400 && (await count()) < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal((await pointIds(store)).length, 2);
      other.close();
      writer.close();
    });

    it("a collection deleted is written again in full from the memory", async () => {
      const { store, memory, open } = await setup();
      const random = seededRandom(14);
      const face = randomUnitVector(D, random);
      memory.rememberSource({ kind: "file", name: "/d.mp4" }, [
        fileTrack(1, [vectorWithSimilarity(face, 0.6, random), vectorWithSimilarity(face, 0.3, random)]),
      ]);
      await memory.syncVectors();
      memory.close();
      await store.drop();
      const again = open();
      const result = await again.syncVectors();
      assert.equal(result.full, true);
      assert.equal((await pointIds(store)).length, 2);
      assert.equal((await again.searchAsync(face))[0]?.source.name, "/d.mp4");
      again.close();
    });
  });
}

suite("face memory on Qdrant (FakeQdrantServer)", async () => ({ url: (await fakeServer()).url }));
suite(
  "face memory on Qdrant (QDRANT_URL)",
  async () => ({ url: QDRANT_URL as string, ...(QDRANT_API_KEY ? { apiKey: QDRANT_API_KEY } : {}) }),
  QDRANT_URL ? undefined : "QDRANT_URL not set: face memory tests against a real Qdrant skipped",
);

describe("openConfiguredMemory", () => {
  it("gives the memory the Qdrant collection <qdrant.collection>_memory with the Qdrant backend", async () => {
    const dir = await tempDir();
    const config = parseConfig({
      db_path: dir,
      gallery: { backend: "qdrant" },
      qdrant: { url: "http://127.0.0.1:6333", collection: "faces" },
    });
    const memory = openConfiguredMemory(config);
    assert.equal(memory.vectorStore, "Qdrant at http://127.0.0.1:6333, collection faces_memory");
    memory.close();
    const embedded = openConfiguredMemory(parseConfig({ db_path: dir }));
    assert.equal(embedded.vectorStore, undefined);
    embedded.close();
  });
});
