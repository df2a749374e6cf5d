/**
 * The Gallery contract as node:test cases, run against every backend (embedded, Qdrant, or any other).
 *
 *   runGalleryContract("embedded", async () => ({ gallery, reopen, cleanup }));
 *
 * `open` is called once per case and must give a fresh, empty gallery. `cleanup` closes that gallery
 * (close() is idempotent) and removes its data; galleries returned by `reopen` are closed by the cases.
 */

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { type Gallery, GalleryError, type GalleryErrorCode, type IdentityInfo } from "@facetracker/gallery";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector, vectorWithSimilarity } from "./random-vectors.ts";

export interface ContractSubject {
  gallery: Gallery;
  /** Opens the same gallery again (after the case closed it), to check persistence. */
  reopen?: () => Promise<Gallery>;
  cleanup: () => Promise<void>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOLERANCE = 1e-4;

/** Small fake JPEG (SOI marker, random body, EOI marker). */
export function fakeJpeg(random: () => number, length = 64): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  bytes.set([0xff, 0xd9], length - 2);
  return bytes;
}

async function expectCode(
  promise: Promise<unknown>,
  code: GalleryErrorCode,
  pattern?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GalleryError, `expected a GalleryError, got ${String(error)}`);
    assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

function assertNear(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: expected ${expected}, got ${actual}`);
}

function assertIsoDate(value: string): void {
  assert.ok(!Number.isNaN(Date.parse(value)) && value.includes("T"), `not an ISO date: ${value}`);
}

export function runGalleryContract(
  name: string,
  open: () => Promise<ContractSubject>,
  options: { skip?: string } = {},
): void {
  describe(name, options.skip === undefined ? {} : { skip: options.skip }, () => {
    const test = (
      title: string,
      body: (
        gallery: Gallery,
        ctx: { subject: ContractSubject; random: () => number; d: number; t: TestContext },
      ) => Promise<void>,
    ): void => {
      it(title, async (t) => {
        const subject = await open();
        try {
          // A seed per case: cases are independent and reproducible.
          let seed = 17;
          for (const ch of title) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
          await body(subject.gallery, {
            subject,
            random: seededRandom(seed),
            d: subject.gallery.dimension,
            t,
          });
        } finally {
          await subject.cleanup();
        }
      });
    };

    test("starts empty", async (g) => {
      assert.ok(Number.isInteger(g.dimension) && g.dimension > 0);
      assert.deepEqual(await g.list(), []);
      assert.equal(await g.size(), 0);
      assert.deepEqual(await g.search(randomUnitVector(g.dimension, seededRandom(1))), []);
    });

    test("enroll creates an identity with its attributes", async (g, { random, d }) => {
      const before = Date.now();
      const { identity, embeddingIds } = await g.enroll(
        "Alice",
        [{ vector: randomUnitVector(d, random), source: "a.jpg" }],
        {
          department: "ops",
        },
      );
      assert.match(identity.id, UUID_RE);
      assert.equal(identity.name, "Alice");
      assert.deepEqual(identity.attributes, { department: "ops" });
      assert.equal(identity.embeddingCount, 1);
      assertIsoDate(identity.createdAt);
      assert.ok(Date.parse(identity.createdAt) >= before - 1000);
      assert.equal(embeddingIds.length, 1);
      assert.match(embeddingIds[0] as string, UUID_RE);
      assert.deepEqual(await g.get(identity.id), identity);
      assert.deepEqual(await g.get("Alice"), identity);
      assert.equal(await g.get("alice"), undefined, "names are case-sensitive");
      assert.equal(await g.size(), 1);
    });

    test("enroll of an existing name adds embeddings and merges attributes", async (g, { random, d }) => {
      const first = await g.enroll("Alice", [{ vector: randomUnitVector(d, random) }], { department: "ops" });
      const second = await g.enroll(
        "Alice",
        [{ vector: randomUnitVector(d, random) }, { vector: randomUnitVector(d, random) }],
        { site: "paris" },
      );
      assert.equal(second.identity.id, first.identity.id);
      assert.equal(second.identity.createdAt, first.identity.createdAt);
      assert.deepEqual(second.identity.attributes, { department: "ops", site: "paris" });
      assert.equal(second.identity.embeddingCount, 3);
      assert.equal(second.embeddingIds.length, 2);
      assert.equal(new Set([...first.embeddingIds, ...second.embeddingIds]).size, 3);

      const third = await g.enroll("Alice", [], { department: "security" });
      assert.deepEqual(third.embeddingIds, []);
      assert.deepEqual(third.identity.attributes, { department: "security", site: "paris" });
      assert.equal(third.identity.embeddingCount, 3);
      assert.equal((await g.list()).length, 1);
      assert.equal(await g.size(), 3);
    });

    test("enroll with no embeddings creates an empty identity", async (g) => {
      const { identity, embeddingIds } = await g.enroll("Nobody Yet", []);
      assert.deepEqual(embeddingIds, []);
      assert.equal(identity.embeddingCount, 0);
      assert.deepEqual(identity.attributes, {});
      assert.deepEqual(await g.get("Nobody Yet"), identity);
      assert.deepEqual(await g.embeddings(identity.id), []);
    });

    test("names are trimmed, non-empty and at most 200 characters", async (g, { random, d }) => {
      const { identity } = await g.enroll("  Dana  ", [{ vector: randomUnitVector(d, random) }]);
      assert.equal(identity.name, "Dana");
      assert.equal((await g.get(" Dana "))?.id, identity.id);
      await expectCode(g.enroll("   ", [{ vector: randomUnitVector(d, random) }]), "INVALID", /empty/);
      await expectCode(
        g.enroll("x".repeat(201), [{ vector: randomUnitVector(d, random) }]),
        "INVALID",
        /200/,
      );
      const long = await g.enroll("y".repeat(200), []);
      assert.equal(long.identity.name.length, 200);
      await expectCode(g.rename("Dana", ""), "INVALID");
      assert.equal(await g.size(), 1);
    });

    test("embeddings lists an identity's embeddings", async (g, { random, d }) => {
      const jpeg = fakeJpeg(random);
      const { identity, embeddingIds } = await g.enroll("Bob", [
        { vector: randomUnitVector(d, random), source: "bob-1.jpg", thumbnail: jpeg },
        { vector: randomUnitVector(d, random) },
      ]);
      const list = await g.embeddings("Bob");
      assert.deepEqual(
        list.map((e) => e.id),
        embeddingIds,
      );
      assert.deepEqual(await g.embeddings(identity.id), list);
      const [withThumb, plain] = list;
      assert.ok(withThumb && plain);
      assert.equal(withThumb.identityId, identity.id);
      assert.equal(withThumb.source, "bob-1.jpg");
      assert.equal(withThumb.hasThumbnail, true);
      assertIsoDate(withThumb.createdAt);
      assert.equal(plain.source, undefined);
      assert.equal(plain.hasThumbnail, false);
      await expectCode(g.embeddings("Nobody"), "NOT_FOUND");
    });

    test("list returns every identity, sorted by name, with embedding counts", async (g, { random, d }) => {
      await g.enroll("Bob", [
        { vector: randomUnitVector(d, random) },
        { vector: randomUnitVector(d, random) },
      ]);
      await g.enroll("Alice", [{ vector: randomUnitVector(d, random) }], { team: "a" });
      await g.enroll("Carol", []);
      const list = await g.list();
      assert.deepEqual(
        list.map((i) => [i.name, i.embeddingCount]),
        [
          ["Alice", 1],
          ["Bob", 2],
          ["Carol", 0],
        ],
      );
      assert.deepEqual(list[0]?.attributes, { team: "a" });
      for (const info of list) assert.deepEqual(await g.get(info.id), info);
      assert.equal(await g.size(), 3);
    });

    test("get returns undefined for unknown ids and names", async (g, { random, d }) => {
      await g.enroll("Alice", [{ vector: randomUnitVector(d, random) }]);
      assert.equal(await g.get("Bob"), undefined);
      assert.equal(await g.get("00000000-0000-4000-8000-000000000000"), undefined);
      assert.equal(await g.get(""), undefined);
    });

    test("rename changes the name, keeps the id, and refuses taken names", async (g, { random, d }) => {
      const vector = randomUnitVector(d, random);
      const alice = (await g.enroll("Alice", [{ vector }], { k: "v" })).identity;
      await g.enroll("Bob", [{ vector: randomUnitVector(d, random) }]);

      const renamed = await g.rename("Alice", "Alicia");
      assert.deepEqual(renamed, { ...alice, name: "Alicia" });
      assert.equal(await g.get("Alice"), undefined);
      assert.deepEqual(await g.get("Alicia"), renamed);
      assert.deepEqual(await g.get(alice.id), renamed);
      const [hit] = await g.search(vector, { k: 1 });
      assert.equal(hit?.name, "Alicia");

      assert.deepEqual(await g.rename(alice.id, "Alicia"), renamed, "renaming to the same name is a no-op");
      await expectCode(g.rename("Alicia", "Bob"), "NAME_TAKEN", /Bob/);
      await expectCode(g.rename("Nobody", "Someone"), "NOT_FOUND", /Nobody/);
      assert.equal((await g.rename(alice.id, "  Alice  ")).name, "Alice");

      // The old name is free again.
      const again = await g.enroll("Alicia", [{ vector: randomUnitVector(d, random) }]);
      assert.notEqual(again.identity.id, alice.id);
      assert.deepEqual(
        (await g.list()).map((i) => i.name),
        ["Alice", "Alicia", "Bob"],
      );
    });

    test("setAttributes merges attributes", async (g, { random, d }) => {
      const vector = randomUnitVector(d, random);
      const { identity } = await g.enroll("Alice", [{ vector }], { a: "1", b: "2" });
      const updated = await g.setAttributes("Alice", { b: "3", c: "4" });
      assert.deepEqual(updated.attributes, { a: "1", b: "3", c: "4" });
      assert.equal(updated.id, identity.id);
      assert.deepEqual(await g.get(identity.id), updated);
      const [hit] = await g.search(vector, { k: 1 });
      assert.deepEqual(hit?.attributes, { a: "1", b: "3", c: "4" });
      await expectCode(g.setAttributes("Nobody", { a: "1" }), "NOT_FOUND");
      await expectCode(g.setAttributes("Alice", { n: 1 } as unknown as Record<string, string>), "INVALID");
    });

    test("deleteIdentity removes the identity and all its embeddings", async (g, { random, d }) => {
      const aliceVector = randomUnitVector(d, random);
      const alice = await g.enroll("Alice", [
        { vector: aliceVector, thumbnail: fakeJpeg(random) },
        { vector: randomUnitVector(d, random) },
      ]);
      const bob = await g.enroll("Bob", [{ vector: randomUnitVector(d, random) }]);

      assert.equal(await g.deleteIdentity("Alice"), true);
      assert.equal(await g.deleteIdentity("Alice"), false);
      assert.equal(await g.deleteIdentity(alice.identity.id), false);
      assert.equal(await g.get(alice.identity.id), undefined);
      assert.equal(await g.get("Alice"), undefined);
      assert.equal(await g.size(), 1);
      assert.equal(await g.thumbnail(alice.embeddingIds[0] as string), undefined);
      assert.equal(await g.deleteEmbedding(alice.embeddingIds[1] as string), false);
      const hits = await g.search(aliceVector, { k: 10 });
      assert.deepEqual(
        hits.map((h) => h.identityId),
        [bob.identity.id],
      );
      assert.deepEqual(
        (await g.list()).map((i) => i.name),
        ["Bob"],
      );
      assert.equal(await g.deleteIdentity(bob.identity.id), true, "by id");
      assert.deepEqual(await g.list(), []);
      assert.equal(await g.size(), 0);

      const reborn = await g.enroll("Alice", [{ vector: aliceVector }]);
      assert.notEqual(reborn.identity.id, alice.identity.id);
      assert.equal(reborn.identity.embeddingCount, 1);
    });

    test("deleteEmbedding removes one embedding and keeps the identity", async (g, { random, d }) => {
      const v1 = randomUnitVector(d, random);
      const v2 = randomUnitVector(d, random);
      const { identity, embeddingIds } = await g.enroll("Alice", [
        { vector: v1, thumbnail: fakeJpeg(random) },
        { vector: v2 },
      ]);
      const [e1, e2] = embeddingIds as [string, string];
      assert.equal(await g.deleteEmbedding(e1), true);
      assert.equal(await g.deleteEmbedding(e1), false);
      assert.equal(await g.deleteEmbedding("00000000-0000-4000-8000-000000000000"), false);
      assert.equal(await g.deleteEmbedding("not-an-id"), false);
      assert.equal(await g.thumbnail(e1), undefined);
      assert.equal((await g.get("Alice"))?.embeddingCount, 1);
      assert.deepEqual(
        (await g.embeddings("Alice")).map((e) => e.id),
        [e2],
      );
      const [hit] = await g.search(v1, { k: 1 });
      assert.equal(hit?.embeddingId, e2);

      assert.equal(await g.deleteEmbedding(e2), true);
      const empty = await g.get(identity.id);
      assert.equal(empty?.embeddingCount, 0, "an identity left with no embedding is kept");
      assert.equal(await g.size(), 0);
      assert.deepEqual(await g.search(v1), []);

      const again = await g.enroll("Alice", [{ vector: v1 }]);
      assert.equal(again.identity.id, identity.id);
      assert.equal(again.identity.embeddingCount, 1);
    });

    test("thumbnails round-trip", async (g, { random, d }) => {
      const jpeg = fakeJpeg(random, 2048);
      const { embeddingIds } = await g.enroll("Alice", [
        { vector: randomUnitVector(d, random), thumbnail: jpeg },
        { vector: randomUnitVector(d, random) },
      ]);
      const stored = await g.thumbnail(embeddingIds[0] as string);
      assert.ok(stored instanceof Uint8Array);
      assert.deepEqual(Buffer.from(stored), Buffer.from(jpeg));
      assert.equal(await g.thumbnail(embeddingIds[1] as string), undefined);
      assert.equal(await g.thumbnail("00000000-0000-4000-8000-000000000000"), undefined);
      assert.equal(await g.thumbnail("nope"), undefined);
      await expectCode(
        g.enroll("Bob", [{ vector: randomUnitVector(d, random), thumbnail: new Uint8Array([1, 2, 3, 4]) }]),
        "INVALID",
        /JPEG/,
      );
      assert.equal(await g.get("Bob"), undefined);
    });

    /** Identities A..E whose best embeddings have similarities 0.95, 0.8, 0.7, 0.6, 0.5 to `query`. */
    async function rankedGallery(g: Gallery, random: () => number, d: number) {
      const query = randomUnitVector(d, random);
      const near = (s: number) => ({ vector: vectorWithSimilarity(query, s, random) });
      const a = await g.enroll("A", [near(0.9), near(0.95), near(0.85)]);
      const b = await g.enroll("B", [near(0.8), near(0.3)]);
      const c = await g.enroll("C", [near(0.7)]);
      const dd = await g.enroll("D", [near(0.6)]);
      const e = await g.enroll("E", [near(0.5)]);
      await g.enroll("Empty", []);
      return { query, a, b, c, d: dd, e };
    }

    test("search returns the top-k best first, one hit per identity", async (g, { random, d }) => {
      const { query, a, b, c } = await rankedGallery(g, random, d);
      const hits = await g.search(query, { k: 3 });
      assert.deepEqual(
        hits.map((h) => h.name),
        ["A", "B", "C"],
      );
      assertNear(hits[0]?.similarity as number, 0.95, "A");
      assertNear(hits[1]?.similarity as number, 0.8, "B");
      assertNear(hits[2]?.similarity as number, 0.7, "C");
      assert.equal(hits[0]?.embeddingId, a.embeddingIds[1], "the best embedding of the identity");
      assert.equal(hits[0]?.identityId, a.identity.id);
      assert.equal(hits[1]?.embeddingId, b.embeddingIds[0]);
      assert.equal(hits[2]?.embeddingId, c.embeddingIds[0]);
      assert.deepEqual(hits[0]?.attributes, {});

      const all = await g.search(query, { k: 100 });
      assert.deepEqual(
        all.map((h) => h.name),
        ["A", "B", "C", "D", "E"],
        "one hit per identity; identities without embeddings never match",
      );
      for (let i = 1; i < all.length; i++) {
        assert.ok((all[i - 1]?.similarity as number) >= (all[i]?.similarity as number));
      }
      assert.equal((await g.search(query)).length, 5, "default k");
      assert.deepEqual(await g.search(query, { k: 0 }), []);
    });

    test("search with perIdentity false returns several hits per identity", async (g, { random, d }) => {
      const { query, a, b } = await rankedGallery(g, random, d);
      const hits = await g.search(query, { k: 4, perIdentity: false });
      assert.deepEqual(
        hits.map((h) => h.embeddingId),
        [a.embeddingIds[1], a.embeddingIds[0], a.embeddingIds[2], b.embeddingIds[0]],
      );
      assert.deepEqual(
        hits.map((h) => h.name),
        ["A", "A", "A", "B"],
      );
      assertNear(hits[1]?.similarity as number, 0.9, "second A");
      assertNear(hits[2]?.similarity as number, 0.85, "third A");
    });

    test("minSimilarity filters out weaker hits", async (g, { random, d }) => {
      const { query } = await rankedGallery(g, random, d);
      const hits = await g.search(query, { k: 10, minSimilarity: 0.75 });
      assert.deepEqual(
        hits.map((h) => h.name),
        ["A", "B"],
      );
      const many = await g.search(query, { k: 10, minSimilarity: 0.75, perIdentity: false });
      assert.equal(many.length, 4);
      assert.ok(many.every((h) => h.similarity >= 0.75));
      assert.deepEqual(await g.search(query, { k: 10, minSimilarity: 0.99 }), []);
    });

    test("search is by cosine: an exact match scores 1, the query need not be normalised", async (g, {
      random,
      d,
    }) => {
      const vector = randomUnitVector(d, random);
      const { embeddingIds } = await g.enroll("Alice", [{ vector }]);
      await g.enroll("Bob", [{ vector: randomUnitVector(d, random) }]);
      const scaled = vector.map((x) => x * 3.5);
      const [hit] = await g.search(scaled, { k: 1 });
      assert.equal(hit?.embeddingId, embeddingIds[0]);
      assertNear(hit?.similarity as number, 1, "exact match");
      const opposite = vector.map((x) => -x);
      const ranked = await g.search(opposite, { k: 2 });
      assert.equal(ranked[1]?.name, "Alice");
      assertNear(ranked[1]?.similarity as number, -1, "opposite vector");
    });

    test("invalid vectors are rejected and nothing is written", async (g, { random, d }) => {
      await expectCode(g.enroll("Alice", [{ vector: new Float32Array(d + 1) }]), "INVALID", /dimension/);
      await expectCode(
        g.enroll("Alice", [{ vector: randomUnitVector(d, random) }, { vector: new Float32Array(d - 1) }]),
        "INVALID",
        /embeddings\[1\]/,
      );
      const nan = randomUnitVector(d, random);
      nan[3] = Number.NaN;
      await expectCode(g.enroll("Alice", [{ vector: nan }]), "INVALID", /finite/);
      await expectCode(g.enroll("Alice", [{ vector: new Float32Array(d) }]), "INVALID", /zero/);
      await expectCode(
        g.enroll("Alice", [{ vector: Array.from(randomUnitVector(d, random)) as unknown as Float32Array }]),
        "INVALID",
        /Float32Array/,
      );
      assert.equal(await g.get("Alice"), undefined);
      assert.equal(await g.size(), 0);
      await expectCode(g.search(new Float32Array(d + 3)), "INVALID", /dimension/);
      await expectCode(g.search(randomUnitVector(d, random), { k: -1 }), "INVALID");
      await expectCode(g.search(randomUnitVector(d, random), { k: 1.5 }), "INVALID");
    });

    test("data persists across reopen", async (g0, { subject, random, d, t }) => {
      if (!subject.reopen) {
        t.skip("this backend gives no reopen()");
        return;
      }
      const v = [randomUnitVector(d, random), randomUnitVector(d, random), randomUnitVector(d, random)];
      const jpeg = fakeJpeg(random);
      await g0.enroll("Alice", [{ vector: v[0] as Float32Array, source: "a1", thumbnail: jpeg }], { x: "1" });
      const bob = await g0.enroll("Bob", [
        { vector: v[1] as Float32Array },
        { vector: v[2] as Float32Array },
      ]);
      await g0.enroll("Gone", [{ vector: randomUnitVector(d, random) }]);
      await g0.rename("Alice", "Alicia");
      await g0.setAttributes("Alicia", { y: "2" });
      await g0.deleteEmbedding(bob.embeddingIds[0] as string);
      await g0.deleteIdentity("Gone");
      const list: IdentityInfo[] = await g0.list();
      const embeddings = await g0.embeddings("Alicia");
      const searches = await Promise.all(v.map((q) => g0.search(q, { k: 3 })));
      await g0.close();

      const g1 = await subject.reopen();
      try {
        assert.equal(g1.dimension, d);
        assert.deepEqual(await g1.list(), list);
        assert.deepEqual(await g1.embeddings("Alicia"), embeddings);
        assert.equal(await g1.size(), 2);
        const stored = await g1.thumbnail(embeddings[0]?.id as string);
        assert.deepEqual(Buffer.from(stored ?? []), Buffer.from(jpeg));
        for (const [i, q] of v.entries()) {
          const hits = await g1.search(q, { k: 3 });
          assert.deepEqual(
            hits.map((h) => [h.embeddingId, h.name, h.attributes]),
            searches[i]?.map((h) => [h.embeddingId, h.name, h.attributes]),
          );
          hits.forEach((h, j) => {
            assertNear(h.similarity, searches[i]?.[j]?.similarity as number, "similarity after reopen");
          });
        }
        // Still writable after reopen.
        const more = await g1.enroll("Alicia", [{ vector: randomUnitVector(d, random) }]);
        assert.equal(more.identity.embeddingCount, 2);
      } finally {
        await g1.close();
      }
    });

    test("negative examples take an identity out of the hits of faces closer to them", async (g, {
      random,
      d,
    }) => {
      const negative = randomUnitVector(d, random);
      const query = vectorWithSimilarity(negative, 0.9, random);
      const a = vectorWithSimilarity(query, 0.6, random);
      const b = vectorWithSimilarity(query, 0.5, random);
      const alice = await g.enroll("Alice", [{ vector: a }]);
      await g.enroll("Bob", [{ vector: b }]);
      assert.deepEqual(
        (await g.search(query)).map((h) => h.name),
        ["Alice", "Bob"],
        "without a negative example, Alice is the best hit",
      );
      const { identity, negativeIds } = await g.addNegatives("Alice", [
        { vector: negative, source: "correction #1" },
      ]);
      assert.equal(identity.negativeCount, 1);
      assert.equal(identity.embeddingCount, 1);
      assert.equal(negativeIds.length, 1);
      assert.match(negativeIds[0] as string, UUID_RE);
      // The query is closer to Alice's negative example (0.9) than to her face (0.6): Bob is the hit.
      for (const perIdentity of [true, false]) {
        const hits = await g.search(query, { k: 1, perIdentity });
        assert.deepEqual(
          hits.map((h) => h.name),
          ["Bob"],
          `perIdentity ${perIdentity}: the next identity fills the k`,
        );
      }
      assert.deepEqual(
        (await g.search(query, { minSimilarity: 0.55 })).map((h) => h.name),
        [],
      );
      // A face closer to her embedding than to the negative example is still hers.
      assert.equal((await g.search(a, { k: 1 }))[0]?.name, "Alice");
      assert.equal(await g.size(), 2, "negative examples are not embeddings");
      assert.equal((await g.get("Alice"))?.negativeCount, 1);
      assert.deepEqual(
        (await g.list()).map((i) => [i.name, i.embeddingCount, i.negativeCount]),
        [
          ["Alice", 1, 1],
          ["Bob", 1, 0],
        ],
      );
      const [info] = await g.negatives(alice.identity.id);
      assert.equal(info?.id, negativeIds[0]);
      assert.equal(info?.identityId, alice.identity.id);
      assert.equal(info?.source, "correction #1");
      assertIsoDate(info?.createdAt as string);
      // Deleting the negative example gives her back.
      assert.equal(await g.deleteNegative(negativeIds[0] as string), true);
      assert.equal(await g.deleteNegative(negativeIds[0] as string), false);
      assert.equal(await g.deleteNegative("not-an-id"), false);
      assert.equal((await g.search(query, { k: 1 }))[0]?.name, "Alice");
      assert.deepEqual(await g.negatives("Alice"), []);
    });

    test("addNegatives checks the identity and the vectors; deleting an identity deletes its negatives", async (g, {
      random,
      d,
    }) => {
      await expectCode(
        g.addNegatives("Nobody", [{ vector: randomUnitVector(d, random) }]),
        "NOT_FOUND",
        /Nobody/,
      );
      await g.enroll("Alice", [{ vector: randomUnitVector(d, random) }]);
      await expectCode(
        g.addNegatives("Alice", [{ vector: new Float32Array(d) }]),
        "INVALID",
        /negatives\[0\]/,
      );
      await expectCode(
        g.addNegatives("Alice", [{ vector: new Float32Array(d + 1) }]),
        "INVALID",
        /dimension/,
      );
      await expectCode(g.negatives("Nobody"), "NOT_FOUND");
      assert.equal((await g.get("Alice"))?.negativeCount, 0, "nothing stored by a refused call");
      const negative = randomUnitVector(d, random);
      const { negativeIds } = await g.addNegatives("Alice", [{ vector: negative }]);
      assert.equal(await g.deleteIdentity("Alice"), true);
      assert.equal(await g.deleteNegative(negativeIds[0] as string), false, "deleted with the identity");
      const again = await g.enroll("Alice", [{ vector: vectorWithSimilarity(negative, 0.5, random) }]);
      assert.equal(again.identity.negativeCount, 0);
      assert.equal((await g.search(negative, { k: 1 }))[0]?.name, "Alice");
    });

    test("close is idempotent", async (g) => {
      await g.close();
      await g.close();
    });
  });
}
