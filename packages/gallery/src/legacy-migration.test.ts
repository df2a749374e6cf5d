/**
 * Migration of a gallery written in the first format (meta.json + journal.log + thumbs/), written here
 * with that format's own record functions, into gallery.sqlite.
 */

import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { fakeJpeg, randomUnitVector } from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { GalleryFollower } from "./gallery-follower.ts";
import { type GalleryRecord, type IdentityState, recordToJson } from "./gallery-records.ts";
import { encodeLine } from "./legacy-journal-reader.ts";
import { GalleryError } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const D = 24;
const uuid = (n: number) => `${String(n).padStart(8, "0")}-0000-4000-8000-000000000000`;

/**
 * An old gallery as the previous version wrote it: Alice (renamed Alicia, attributes merged, a third
 * embedding enrolled later), Bob (first embedding deleted), Carol (deleted, her thumbnail file left
 * behind), Dora (no embedding), and half a record torn off at the end of the journal.
 */
async function oldGallery() {
  const root = await mkdtemp(join(tmpdir(), "ft-migration-test-"));
  roots.push(root);
  const dir = join(root, "gallery");
  const random = seededRandom(31);
  const v = Array.from({ length: 7 }, () => randomUnitVector(D, random));
  const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, "0")}:00.000Z`;
  const alice: IdentityState = { id: uuid(1), name: "Alice", attributes: { team: "ops" }, createdAt: at(0) };
  const bob: IdentityState = { id: uuid(2), name: "Bob", attributes: {}, createdAt: at(1) };
  const carol: IdentityState = { id: uuid(3), name: "Carol", attributes: {}, createdAt: at(2) };
  const dora: IdentityState = { id: uuid(4), name: "Dora", attributes: { x: "y" }, createdAt: at(3) };
  const alicia: IdentityState = { ...alice, name: "Alicia", attributes: { team: "ops", site: "paris" } };
  const e = (
    n: number,
    vector: number,
    minute: number,
    extra: { source?: string; thumbnail?: boolean } = {},
  ) => ({
    id: uuid(100 + n),
    vector: v[vector] as Float32Array,
    thumbnail: extra.thumbnail ?? false,
    createdAt: at(minute),
    ...(extra.source === undefined ? {} : { source: extra.source }),
  });
  const records: GalleryRecord[] = [
    {
      type: "enroll",
      identity: alice,
      embeddings: [e(1, 0, 0, { thumbnail: true }), e(2, 1, 0, { source: "a2.jpg" })],
    },
    { type: "enroll", identity: bob, embeddings: [e(3, 2, 1), e(4, 3, 1, { thumbnail: true }), e(5, 4, 1)] },
    { type: "identity", identity: alicia },
    { type: "delete-embedding", id: uuid(103) },
    { type: "enroll", identity: carol, embeddings: [e(6, 5, 2, { thumbnail: true })] },
    { type: "delete-identity", id: carol.id },
    { type: "enroll", identity: alicia, embeddings: [e(7, 6, 4)] },
    { type: "enroll", identity: dora, embeddings: [] },
  ];
  await mkdir(join(dir, "thumbs"), { recursive: true });
  await writeFile(join(dir, "meta.json"), `${JSON.stringify({ format: 1, dimension: D })}\n`);
  const journal = join(dir, "journal.log");
  await writeFile(journal, Buffer.concat(records.map((r) => encodeLine(recordToJson(r)))));
  const torn = encodeLine(recordToJson({ type: "delete-identity", id: bob.id }));
  await appendFile(journal, torn.subarray(0, 30));
  const thumbs = { [uuid(101)]: fakeJpeg(random, 900), [uuid(104)]: fakeJpeg(random, 1200) };
  for (const [id, jpeg] of Object.entries(thumbs)) await writeFile(join(dir, "thumbs", `${id}.jpg`), jpeg);
  await writeFile(join(dir, "thumbs", `${uuid(106)}.jpg`), fakeJpeg(random)); // Carol's, an orphan
  return {
    dir,
    journal: await readFile(journal),
    thumbs,
    /** What the gallery holds: identities by name, each with its embeddings (id, vector, source) in order. */
    expected: {
      identities: [
        {
          id: alice.id,
          name: "Alicia",
          attributes: { team: "ops", site: "paris" },
          embeddingCount: 3,
          negativeCount: 0,
          createdAt: at(0),
        },
        { id: bob.id, name: "Bob", attributes: {}, embeddingCount: 2, negativeCount: 0, createdAt: at(1) },
        {
          id: dora.id,
          name: "Dora",
          attributes: { x: "y" },
          embeddingCount: 0,
          negativeCount: 0,
          createdAt: at(3),
        },
      ],
      embeddings: {
        Alicia: [
          { id: uuid(101), vector: v[0], createdAt: at(0), hasThumbnail: true },
          { id: uuid(102), vector: v[1], createdAt: at(0), hasThumbnail: false, source: "a2.jpg" },
          { id: uuid(107), vector: v[6], createdAt: at(4), hasThumbnail: false },
        ],
        Bob: [
          { id: uuid(104), vector: v[3], createdAt: at(1), hasThumbnail: true },
          { id: uuid(105), vector: v[4], createdAt: at(1), hasThumbnail: false },
        ],
        Dora: [],
      } as Record<
        string,
        {
          id: string;
          vector: Float32Array | undefined;
          createdAt: string;
          hasThumbnail: boolean;
          source?: string;
        }[]
      >,
    },
  };
}

/** Checks that `g` holds exactly the old gallery's state. */
async function assertHoldsOldGallery(g: EmbeddedGallery, old: Awaited<ReturnType<typeof oldGallery>>) {
  assert.deepEqual(await g.list(), old.expected.identities);
  for (const [name, embeddings] of Object.entries(old.expected.embeddings)) {
    const identity = old.expected.identities.find((i) => i.name === name);
    assert.deepEqual(
      await g.embeddings(name),
      embeddings.map(({ vector: _, ...info }) => ({ ...info, identityId: identity?.id })),
    );
    for (const { id, vector } of embeddings) {
      const [hit] = await g.search(vector as Float32Array, { k: 1, perIdentity: false });
      assert.equal(hit?.embeddingId, id);
      assert.ok(Math.abs((hit?.similarity as number) - 1) < 1e-6);
    }
  }
  for (const [id, jpeg] of Object.entries(old.thumbs)) {
    assert.deepEqual(Buffer.from((await g.thumbnail(id)) ?? []), Buffer.from(jpeg));
  }
  assert.equal(await g.size(), 5);
}

describe("migration from the journal format", () => {
  it("moves identities, attributes, embeddings (equal vectors, same order) and thumbnails into gallery.sqlite, and the old files aside", async () => {
    const old = await oldGallery();
    const g = await EmbeddedGallery.open(old.dir, { dimension: D });
    try {
      await assertHoldsOldGallery(g, old);
      assert.deepEqual(
        { ...g.migration, movedTo: undefined },
        {
          identities: 3,
          embeddings: 5,
          thumbnails: 2,
          missingThumbnails: 0,
          skippedJournalBytes: 30,
          movedTo: undefined,
        },
      );
      const aside = g.migration?.movedTo as string;
      assert.match(aside, /\/migrated-journal-\d{4}-\d\d-\d\dT[\d-]+Z$/);
      assert.deepEqual(
        (await readdir(old.dir)).filter((n) => !n.startsWith("gallery.sqlite")),
        [aside.slice(old.dir.length + 1)],
      );
      assert.deepEqual((await readdir(aside)).sort(), ["journal.log", "meta.json", "thumbs"]);
      assert.deepEqual(await readFile(join(aside, "journal.log")), old.journal, "moved, not changed");
      assert.equal((await readdir(join(aside, "thumbs"))).length, 3);
    } finally {
      await g.close();
    }
    // The vectors are stored bit for bit.
    const db = new DatabaseSync(join(old.dir, "gallery.sqlite"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT id, vector FROM embeddings ORDER BY seq").all() as {
        id: string;
        vector: Uint8Array;
      }[];
      const all = Object.values(old.expected.embeddings).flat();
      assert.equal(rows.length, all.length);
      for (const { id, vector } of rows) {
        const expected = all.find((e) => e.id === id)?.vector as Float32Array;
        assert.deepEqual(
          Buffer.from(vector),
          Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
        );
      }
    } finally {
      db.close();
    }
    // Reopening migrates nothing again.
    const again = await EmbeddedGallery.open(old.dir, { dimension: D });
    assert.equal(again.migration, undefined);
    await assertHoldsOldGallery(again, old);
    await again.enroll("Eve", [{ vector: randomUnitVector(D, seededRandom(1)) }]);
    await again.close();
  });

  it("moves the old files aside again if a crash left them after the migration committed", async () => {
    const old = await oldGallery();
    const g = await EmbeddedGallery.open(old.dir, { dimension: D });
    await g.close();
    const aside = g.migration?.movedTo as string;
    for (const name of await readdir(aside)) await rename(join(aside, name), join(old.dir, name));
    await rm(aside, { recursive: true });
    const reopened = await EmbeddedGallery.open(old.dir, { dimension: D });
    try {
      assert.equal(reopened.migration, undefined, "not migrated twice");
      await assertHoldsOldGallery(reopened, old);
      assert.equal((await readdir(old.dir)).includes("journal.log"), false);
      const asides = (await readdir(old.dir)).filter((n) => n.startsWith("migrated-journal-"));
      assert.equal(asides.length, 1);
      assert.deepEqual(await readFile(join(old.dir, asides[0] as string, "journal.log")), old.journal);
    } finally {
      await reopened.close();
    }
  });

  it("read-only, reads the old files as they are, and switches to the database once another process migrates it", async () => {
    const old = await oldGallery();
    const follower = await GalleryFollower.open(old.dir, { dimension: D });
    const reader = await EmbeddedGallery.open(old.dir, { dimension: D, readOnly: true });
    try {
      await assertHoldsOldGallery(reader, old);
      assert.deepEqual(
        (await readdir(old.dir)).sort(),
        ["journal.log", "meta.json", "thumbs"],
        "nothing changed",
      );
      const writer = await EmbeddedGallery.open(old.dir, { dimension: D });
      await writer.enroll("Eve", []);
      assert.equal(await follower.refresh(), true);
      assert.deepEqual(
        (await follower.list()).map((i) => i.name),
        ["Alicia", "Bob", "Dora", "Eve"],
      );
      assert.equal((await reader.get("Eve"))?.name, "Eve");
      assert.deepEqual(
        Buffer.from((await reader.thumbnail(uuid(104))) ?? []),
        Buffer.from(old.thumbs[uuid(104)] as Uint8Array),
      );
      await writer.close();
    } finally {
      await follower.close();
      await reader.close();
    }
  });

  it("refuses a journal damaged in the middle (CORRUPT naming it and the line) and changes nothing", async () => {
    const old = await oldGallery();
    const journal = join(old.dir, "journal.log");
    const damaged = Buffer.from(old.journal);
    damaged[60] = (damaged[60] as number) ^ 0x01; // inside the first record
    await writeFile(journal, damaged);
    for (const readOnly of [false, true]) {
      await assert.rejects(EmbeddedGallery.open(old.dir, { dimension: D, readOnly }), (e: unknown) => {
        assert.ok(e instanceof GalleryError);
        assert.equal(e.code, "CORRUPT");
        assert.ok(e.message.includes(journal), e.message);
        assert.match(e.message, /line 1/);
        return true;
      });
    }
    assert.deepEqual(await readFile(journal), damaged);
    assert.deepEqual((await readdir(old.dir)).sort(), ["journal.log", "meta.json", "thumbs"]);
    await assert.rejects(stat(join(old.dir, "gallery.sqlite")), /ENOENT/);
  });

  it("refuses an old gallery of another dimension (INVALID), changing nothing", async () => {
    const old = await oldGallery();
    await assert.rejects(
      EmbeddedGallery.open(old.dir, { dimension: 512 }),
      (e: unknown) => e instanceof GalleryError && e.code === "INVALID" && /dimension 24/.test(e.message),
    );
    assert.deepEqual((await readdir(old.dir)).sort(), ["journal.log", "meta.json", "thumbs"]);
  });
});
