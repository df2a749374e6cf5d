import assert from "node:assert/strict";
import { chmod, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import {
  fakeJpeg,
  randomUnitVector,
  runGalleryContract,
  vectorWithSimilarity,
} from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { GalleryError, type GalleryErrorCode } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-gallery-test-"));
  roots.push(root);
  return root;
}

async function expectCode(promise: Promise<unknown>, code: GalleryErrorCode, ...patterns: RegExp[]) {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GalleryError, `expected GalleryError(${code}), got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

runGalleryContract("EmbeddedGallery contract", async () => {
  const dir = join(await tempDir(), "gallery");
  const gallery = await EmbeddedGallery.open(dir);
  return {
    gallery,
    reopen: () => EmbeddedGallery.open(dir),
    cleanup: async () => {
      await gallery.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const D = 32;

/** A gallery with two identities (one thumbnail), closed; returns what to compare after reopening. */
async function populated(dir: string) {
  const random = seededRandom(99);
  const g = await EmbeddedGallery.open(dir, { dimension: D });
  const jpeg = fakeJpeg(random);
  const alice = await g.enroll("Alice", [{ vector: randomUnitVector(D, random), thumbnail: jpeg }], {
    a: "1",
  });
  const bob = await g.enroll("Bob", [
    { vector: randomUnitVector(D, random) },
    { vector: randomUnitVector(D, random) },
  ]);
  const list = await g.list();
  await g.close();
  return { alice, bob, list, jpeg };
}

describe("EmbeddedGallery storage", () => {
  it("keeps everything in gallery.sqlite (WAL mode, format 2 and the dimension in meta), with no lock file", async () => {
    const dir = join(await tempDir(), "g");
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.equal(g.directory, dir);
    assert.equal(g.file, join(dir, "gallery.sqlite"));
    assert.equal(g.migration, undefined);
    const names = await readdir(dir);
    assert.ok(names.includes("gallery.sqlite"));
    assert.ok(
      names.every((n) => n.startsWith("gallery.sqlite")),
      names.join(", "),
    );
    await g.close();
    assert.deepEqual(await readdir(dir), ["gallery.sqlite"], "the last connection to close removes the WAL");
    const db = new DatabaseSync(join(dir, "gallery.sqlite"), { readOnly: true });
    try {
      assert.deepEqual({ ...db.prepare("PRAGMA journal_mode").get() }, { journal_mode: "wal" });
      assert.deepEqual(
        (
          db.prepare("SELECT key, value FROM meta ORDER BY key").all() as { key: string; value: string }[]
        ).map((r) => [r.key, r.value]),
        [
          ["dimension", String(D)],
          ["format", "2"],
        ],
      );
    } finally {
      db.close();
    }
  });

  it("stores identities with JSON attributes, and embeddings in enrollment order with float32 vectors and JPEG thumbnails", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(5);
    const vector = randomUnitVector(D, random);
    const jpeg = fakeJpeg(random);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    const { identity, embeddingIds } = await g.enroll(
      "Alice",
      [{ vector, source: "x.jpg", thumbnail: jpeg }, { vector: randomUnitVector(D, random) }],
      { k: "v" },
    );
    await g.rename("Alice", "Alicia");
    await g.close();
    const db = new DatabaseSync(join(dir, "gallery.sqlite"), { readOnly: true });
    try {
      assert.deepEqual(
        { ...(db.prepare("SELECT * FROM identities").get() as object) },
        { id: identity.id, name: "Alicia", attributes: '{"k":"v"}', created_at: identity.createdAt },
      );
      const rows = db.prepare("SELECT * FROM embeddings ORDER BY seq").all() as {
        seq: number;
        id: string;
        identity_id: string;
        source: string | null;
        vector: Uint8Array;
        thumbnail: Uint8Array | null;
      }[];
      assert.deepEqual(
        rows.map((r) => [r.id, r.identity_id, r.source]),
        [
          [embeddingIds[0], identity.id, "x.jpg"],
          [embeddingIds[1], identity.id, null],
        ],
      );
      assert.ok((rows[0]?.seq as number) < (rows[1]?.seq as number));
      const stored = rows[0]?.vector as Uint8Array;
      assert.deepEqual(
        [...new Float32Array(stored.buffer.slice(stored.byteOffset, stored.byteOffset + stored.byteLength))],
        [...vector],
      );
      assert.deepEqual(Buffer.from(rows[0]?.thumbnail ?? []), Buffer.from(jpeg));
      assert.equal(rows[1]?.thumbnail, null);
    } finally {
      db.close();
    }
  });

  it("lets several connections open the same gallery read-write at once; each sees the others' changes", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(11);
    const a = await EmbeddedGallery.open(dir, { dimension: D });
    const b = await EmbeddedGallery.open(dir, { dimension: D });
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      const ada = randomUnitVector(D, random);
      const enrolled = await a.enroll("Ada", [{ vector: ada, thumbnail: fakeJpeg(random) }]);
      for (const g of [b, reader]) {
        assert.equal((await g.search(ada, { k: 1 }))[0]?.identityId, enrolled.identity.id);
        assert.ok(await g.thumbnail(enrolled.embeddingIds[0] as string));
      }
      assert.equal(await reader.refresh(), false, "nothing changed since the last read");
      // The same name enrolled from another connection is the same identity (merged), never a second one.
      const more = await b.enroll("Ada", [{ vector: randomUnitVector(D, random) }], { site: "x" });
      assert.equal(more.identity.id, enrolled.identity.id);
      assert.equal(more.identity.embeddingCount, 2);
      assert.deepEqual(await a.get("Ada"), more.identity);
      // a has not read since b enrolled Bob: its rename still sees the name taken.
      await b.enroll("Bob", []);
      await expectCode(a.rename("Ada", "Bob"), "NAME_TAKEN", /Bob/);
      await b.deleteIdentity("Ada");
      assert.equal(await reader.refresh(), true);
      assert.deepEqual(
        (await reader.list()).map((i) => i.name),
        ["Bob"],
      );
      assert.deepEqual(await a.search(ada), []);
      assert.equal(await a.thumbnail(enrolled.embeddingIds[0] as string), undefined);
      assert.ok(reader.reloads >= 2 && a.reloads >= 2);
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });

  it("negative examples added or deleted by one connection apply to the others' searches (and a follower's)", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(12);
    const writer = await EmbeddedGallery.open(dir, { dimension: D });
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      const face = randomUnitVector(D, random);
      await writer.enroll("Ada", [{ vector: face }]);
      const other = vectorWithSimilarity(face, 0.5, random);
      assert.equal((await reader.search(other, { k: 1 }))[0]?.name, "Ada");
      const { negativeIds } = await writer.addNegatives("Ada", [
        { vector: vectorWithSimilarity(other, 0.95, random) },
      ]);
      assert.deepEqual(
        await reader.search(other, { k: 1 }),
        [],
        "the reader applies the new negative example",
      );
      assert.equal((await reader.get("Ada"))?.negativeCount, 1);
      assert.equal((await reader.search(face, { k: 1 }))[0]?.name, "Ada");
      await writer.deleteNegative(negativeIds[0] as string);
      assert.equal((await reader.search(other, { k: 1 }))[0]?.name, "Ada", "and its deletion");
      assert.equal((await reader.get("Ada"))?.negativeCount, 0);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it("adds the negatives table to a gallery made before negative examples, when opened read-write", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(13);
    const first = await EmbeddedGallery.open(dir, { dimension: D });
    const face = randomUnitVector(D, random);
    await first.enroll("Ada", [{ vector: face }]);
    await first.close();
    // As an older version left it: no negatives table (nor its triggers).
    const raw = new DatabaseSync(join(dir, "gallery.sqlite"));
    raw.exec("DROP TABLE negatives");
    raw.close();
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      assert.equal((await reader.get("Ada"))?.negativeCount, 0, "read-only: read as it is");
      const g = await EmbeddedGallery.open(dir, { dimension: D });
      try {
        const tables = new DatabaseSync(join(dir, "gallery.sqlite"), { readOnly: true });
        const names = tables.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'negative%'").all();
        tables.close();
        assert.deepEqual(names.map((r) => r.name).sort(), [
          "negative_deleted",
          "negative_inserted",
          "negatives",
          "negatives_by_identity",
        ]);
        const other = vectorWithSimilarity(face, 0.5, random);
        await g.addNegatives("Ada", [{ vector: other }]);
        assert.deepEqual(
          await reader.search(other, { k: 1 }),
          [],
          "the older reader sees the new table's rows",
        );
        assert.equal((await reader.list())[0]?.negativeCount, 1);
      } finally {
        await g.close();
      }
    } finally {
      await reader.close();
    }
  });

  it("catches up with another connection's renames that swap names, and a deleted name taken again", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(15);
    const writer = await EmbeddedGallery.open(dir, { dimension: D });
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      const a = await writer.enroll("X", [{ vector: randomUnitVector(D, random) }]);
      const b = await writer.enroll("Y", [{ vector: randomUnitVector(D, random) }]);
      const c = await writer.enroll("Z", [{ vector: randomUnitVector(D, random) }]);
      assert.equal((await reader.list()).length, 3);
      await writer.rename("X", "tmp");
      await writer.rename("Y", "X");
      await writer.rename("tmp", "Y");
      await writer.deleteIdentity("Z");
      const zVector = randomUnitVector(D, random);
      const z = await writer.enroll("Z", [{ vector: zVector }], { new: "yes" });
      assert.deepEqual(await reader.list(), await writer.list());
      assert.equal((await reader.get("X"))?.id, b.identity.id);
      assert.equal((await reader.get("Y"))?.id, a.identity.id);
      assert.equal((await reader.get("Z"))?.id, z.identity.id);
      assert.equal(await reader.get(c.identity.id), undefined);
      assert.equal((await reader.search(zVector, { k: 1 }))[0]?.identityId, z.identity.id);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("a reader further behind than the change log keeps reads the whole gallery again", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(16);
    const writer = await EmbeddedGallery.open(dir, { dimension: 4 });
    const reader = await EmbeddedGallery.open(dir, { dimension: 4, readOnly: true });
    try {
      await writer.enroll("Many", [{ vector: randomUnitVector(4, random) }]);
      assert.equal((await reader.list()).length, 1);
      await writer.enroll("Early", [{ vector: randomUnitVector(4, random) }], { k: "v" });
      // More than the 10,000 changes kept: the rows naming Early are pruned before the reader reads again.
      await writer.enroll(
        "Many",
        Array.from({ length: 10_001 }, () => ({ vector: randomUnitVector(4, random) })),
      );
      assert.deepEqual(
        (await reader.list()).map((i) => [i.name, i.embeddingCount, i.attributes]),
        [
          ["Early", 1, { k: "v" }],
          ["Many", 10_002, {}],
        ],
      );
      assert.equal(await reader.size(), 10_003);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("stores an enroll in one transaction: a failure on its third embedding leaves nothing", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(12);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    // A real SQLite failure in the middle of the transaction: a trigger aborts the insert of a marked row.
    const db = new DatabaseSync(g.file);
    db.exec(`CREATE TRIGGER refuse AFTER INSERT ON embeddings WHEN NEW.source = 'refused'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    db.close();
    await g.enroll("Kept", [{ vector: randomUnitVector(D, random) }]);
    await expectCode(
      g.enroll(
        "Kept",
        [
          { vector: randomUnitVector(D, random), thumbnail: fakeJpeg(random) },
          { vector: randomUnitVector(D, random) },
          { vector: randomUnitVector(D, random), source: "refused" },
        ],
        { changed: "yes" },
      ),
      "IO",
      /refused by the test/,
      literal(g.file),
    );
    await expectCode(g.enroll("New", [{ vector: randomUnitVector(D, random), source: "refused" }]), "IO");
    assert.deepEqual(
      (await g.list()).map((i) => [i.name, i.embeddingCount, i.attributes]),
      [["Kept", 1, {}]],
    );
    assert.equal(await g.size(), 1);
    await g.close();
    const again = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(
      (await again.list()).map((i) => [i.name, i.embeddingCount, i.attributes]),
      [["Kept", 1, {}]],
    );
    await again.close();
  });

  it("waits for another connection's change, and fails with IO after the busy timeout", async () => {
    const dir = join(await tempDir(), "g");
    const g = await EmbeddedGallery.open(dir, { dimension: D, busyTimeoutMs: 50 });
    const other = new DatabaseSync(g.file);
    other.exec("BEGIN IMMEDIATE");
    try {
      await expectCode(g.enroll("A", []), "IO", /locked|busy/, literal(g.file));
      assert.deepEqual(await g.list(), [], "reads go on while another connection writes");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await g.enroll("A", []);
    await g.close();
  });

  it("leaves no copy of a deleted person's data in its files", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(13);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    await g.enroll("Kept", [{ vector: randomUnitVector(D, random) }]);
    const marker = "secret-person-7f3a";
    const jpeg = fakeJpeg(random, 4000);
    jpeg.set(Buffer.from(marker), 100);
    await g.enroll(marker, [{ vector: randomUnitVector(D, random), thumbnail: jpeg, source: marker }]);
    const id = (await g.enroll("Other", [{ vector: randomUnitVector(D, random), source: `${marker}-2` }]))
      .embeddingIds[0] as string;
    await g.deleteIdentity(marker);
    await g.deleteEmbedding(id);
    const files = (await readdir(dir)).filter((n) => n.startsWith("gallery.sqlite"));
    for (const name of files) {
      assert.equal((await readFile(join(dir, name))).includes(marker), false, `${name} still holds it`);
    }
    await g.close();
    assert.equal((await readFile(join(dir, "gallery.sqlite"))).includes(marker), false);
  });

  it("reports a file that is not a database, or a damaged one, as CORRUPT naming the file", async () => {
    let dir = join(await tempDir(), "g");
    await populated(dir);
    const file = join(dir, "gallery.sqlite");
    await writeFile(file, Buffer.alloc(8192, "this is not a database "));
    await expectCode(EmbeddedGallery.open(dir, { dimension: D }), "CORRUPT", literal(file));
    await expectCode(EmbeddedGallery.open(dir, { dimension: D, readOnly: true }), "CORRUPT", literal(file));

    // A real gallery whose pages after the first are overwritten.
    dir = join(await tempDir(), "g");
    const random = seededRandom(14);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    for (let i = 0; i < 20; i++) await g.enroll(`P${i}`, [{ vector: randomUnitVector(D, random) }]);
    await g.close();
    const damaged = join(dir, "gallery.sqlite");
    const { size } = await stat(damaged);
    const handle = await open(damaged, "r+");
    await handle.write(Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    await handle.close();
    await expectCode(EmbeddedGallery.open(dir, { dimension: D }), "CORRUPT", literal(damaged));
  });

  it("refuses another dimension than the gallery's (INVALID)", async () => {
    const dir = join(await tempDir(), "g");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
    await expectCode(EmbeddedGallery.open(dir, { dimension: 128 }), "INVALID", /dimension 32/, /128/);
    await expectCode(
      EmbeddedGallery.open(dir, { dimension: 128, readOnly: true }),
      "INVALID",
      /dimension 32/,
    );
    await expectCode(EmbeddedGallery.open(dir, { dimension: 0 }), "INVALID", /dimension/);
    await expectCode(EmbeddedGallery.open(dir, { busyTimeoutMs: -1 }), "INVALID", /busyTimeoutMs/);
  });

  it("refuses to turn a non-empty foreign directory, or another SQLite database, into a gallery", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "notes.txt"), "mine");
    await expectCode(EmbeddedGallery.open(dir), "INVALID", /not a gallery/, /notes\.txt/);
    assert.deepEqual(await readdir(dir), ["notes.txt"]);

    const other = await tempDir();
    const db = new DatabaseSync(join(other, "gallery.sqlite"));
    db.exec("CREATE TABLE mine (x)");
    db.close();
    await expectCode(EmbeddedGallery.open(other), "INVALID", /not a gallery/, /gallery\.sqlite/);
  });

  it("is created beside the face memory that shares its directory (analyze remembers before any enroll)", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "memory.sqlite"), "");
    await writeFile(join(dir, "memory.sqlite-wal"), "");
    const g = await EmbeddedGallery.open(dir, { dimension: 32 });
    try {
      assert.equal(await g.size(), 0);
    } finally {
      await g.close();
    }
  });

  it("reports a directory that cannot be created as IO with the path and the reason", async () => {
    const root = await tempDir();
    const file = join(root, "a-file");
    await writeFile(file, "x");
    const error = await expectCode(EmbeddedGallery.open(join(file, "gallery")), "IO", /ENOTDIR|EEXIST/);
    assert.ok(error.message.includes(join(file, "gallery")), error.message);
    assert.doesNotMatch(error.message, /\n\s+at /, "no stack in the message");
    if (process.platform === "linux") {
      // fs.mkdir({ recursive: true }) loops forever here; the gallery must fail instead.
      await expectCode(
        EmbeddedGallery.open("/proc/ft-gallery-test/g"),
        "IO",
        /ENOENT/,
        /\/proc\/ft-gallery-test/,
      );
    }
  });

  it("reports an unwritable directory as IO (EACCES)", async (t) => {
    if (process.getuid?.() === 0) {
      t.skip("running as root: permissions are not enforced");
      return;
    }
    const root = await tempDir();
    await chmod(root, 0o500);
    try {
      await expectCode(EmbeddedGallery.open(join(root, "gallery")), "IO", /EACCES/, new RegExp(root));
    } finally {
      await chmod(root, 0o700);
    }
  });

  it("read-only: refuses changes (READ_ONLY), creates nothing, and reads a gallery created later", async () => {
    const dir = join(await tempDir(), "g");
    const reader = await EmbeddedGallery.open(dir, { dimension: D, readOnly: true });
    try {
      assert.deepEqual(await reader.list(), [], "a gallery not created yet reads as empty");
      await assert.rejects(stat(dir), /ENOENT/);
      await expectCode(reader.enroll("A", []), "READ_ONLY", /read-only/);
      await expectCode(reader.rename("A", "B"), "READ_ONLY");
      await expectCode(reader.setAttributes("A", {}), "READ_ONLY");
      await expectCode(reader.deleteIdentity("A"), "READ_ONLY");
      await expectCode(reader.deleteEmbedding("A"), "READ_ONLY");
      const { list } = await populated(dir);
      assert.deepEqual(await reader.list(), list);
      assert.equal(await reader.size(), 3);
    } finally {
      await reader.close();
    }
  });

  it("serialises concurrent changes", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(4);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        g.enroll(i % 2 ? "Odd" : "Even", [{ vector: randomUnitVector(D, random) }]),
      ),
    );
    assert.equal(new Set(results.map((r) => r.identity.id)).size, 2);
    await g.close();
    const again = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(
      (await again.list()).map((i) => [i.name, i.embeddingCount]),
      [
        ["Even", 10],
        ["Odd", 10],
      ],
    );
    await again.close();
  });

  it("rejects calls after close", async () => {
    const dir = join(await tempDir(), "g");
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    await g.close();
    await expectCode(g.list(), "INVALID", /closed/);
    await expectCode(g.enroll("A", []), "INVALID", /closed/);
    await expectCode(g.refresh(), "INVALID", /closed/);
  });
});
