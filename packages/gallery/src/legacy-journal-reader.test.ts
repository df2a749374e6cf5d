import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { fakeJpeg, randomUnitVector } from "@facetracker/testing/gallery";
import { type GalleryRecord, recordToJson } from "./gallery-records.ts";
import { decodeLine, encodeLine, readJournal, readLegacyGallery } from "./legacy-journal-reader.ts";
import { GalleryError } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-legacy-test-"));
  roots.push(root);
  return root;
}

async function readAll(path: string) {
  const records: { record: unknown; line: number }[] = [];
  const result = await readJournal(path, (record, line) => records.push({ record, line }));
  return { records, result };
}

describe("journal line encoding (format 1)", () => {
  it("round-trips records, unicode included, as one JSON line", () => {
    const record = { type: "x", name: "Zoë 李\u2028", n: [1, 2.5] };
    const line = encodeLine(record);
    assert.equal(line[line.length - 1], 0x0a);
    assert.equal(line.indexOf(0x0a), line.length - 1, "no newline inside the record");
    const parsed = JSON.parse(line.toString("utf8")) as { crc: string; rec: unknown };
    assert.deepEqual(parsed.rec, record);
    assert.match(parsed.crc, /^[0-9a-f]{8}$/);
    assert.deepEqual(decodeLine(line.subarray(0, -1)), { record });
  });

  it("detects any flipped byte", () => {
    const line = encodeLine({ type: "delete-embedding", id: "abc" }).subarray(0, -1);
    for (let i = 0; i < line.length; i++) {
      const damaged = Buffer.from(line);
      damaged[i] = (damaged[i] as number) ^ 0x04;
      assert.ok("error" in decodeLine(damaged), `flip at byte ${i} went unnoticed`);
    }
    assert.ok("error" in decodeLine(line.subarray(0, line.length - 3)));
    assert.ok("error" in decodeLine(Buffer.from("")));
  });
});

describe("readJournal", () => {
  it("reads records spanning read chunks, and reports a torn last line without failing", async () => {
    const path = join(await tempDir(), "journal.log");
    const big = "x".repeat(700_000); // lines longer than half the 1 MiB read chunk
    const written = Array.from({ length: 5 }, (_, i) => ({ i, big: i % 2 ? big : "" }));
    const good = Buffer.concat(written.map(encodeLine));
    const torn = encodeLine({ i: 5, big: "z".repeat(1_200_000) }).subarray(0, 1_100_000);
    await writeFile(path, Buffer.concat([good, torn]));
    const { records, result } = await readAll(path);
    assert.deepEqual(
      records.map((r) => r.record),
      written,
    );
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 3, 4, 5],
    );
    assert.equal(result.validBytes, good.length);
    assert.equal(result.tornBytes, 1_100_000);
    assert.match(result.tornReason ?? "", /line 6 is incomplete/);
  });

  it("is CORRUPT when an invalid line is followed by another line", async () => {
    const path = join(await tempDir(), "journal.log");
    await writeFile(
      path,
      Buffer.concat([
        encodeLine({ a: 1 }),
        Buffer.from("oops, this is not a record at all\n"),
        encodeLine({ a: 2 }),
      ]),
    );
    await assert.rejects(readAll(path), (error: unknown) => {
      assert.ok(error instanceof GalleryError);
      assert.equal(error.code, "CORRUPT");
      assert.match(error.message, /journal\.log is corrupt at line 2: not a journal record/);
      return true;
    });
    // Two bad lines at the end: only the last line can be torn by a crash, so this is corruption too.
    await writeFile(path, Buffer.concat([encodeLine({ a: 1 }), Buffer.from("oops\nmore")]));
    await assert.rejects(readAll(path), /line 2/);
  });

  it("reads a missing file as empty", async () => {
    const path = join(await tempDir(), "journal.log");
    assert.deepEqual((await readAll(path)).result, { records: 0, validBytes: 0, tornBytes: 0 });
  });
});

describe("readLegacyGallery", () => {
  const D = 8;
  const random = seededRandom(3);
  const ids = {
    alice: "11111111-1111-4111-8111-111111111111",
    a1: "21111111-1111-4111-8111-111111111111",
    a2: "31111111-1111-4111-8111-111111111111",
  };

  async function oldGallery(records: GalleryRecord[], meta: unknown = { format: 1, dimension: D }) {
    const dir = await tempDir();
    await writeFile(join(dir, "meta.json"), JSON.stringify(meta));
    await writeFile(join(dir, "journal.log"), Buffer.concat(records.map((r) => encodeLine(recordToJson(r)))));
    await mkdir(join(dir, "thumbs"));
    return dir;
  }
  const alice = {
    id: ids.alice,
    name: "Alice",
    attributes: { k: "v" },
    createdAt: "2024-01-01T00:00:00.000Z",
  };

  it("replays the records into the live state, with the thumbnails", async () => {
    const vectors = [randomUnitVector(D, random), randomUnitVector(D, random)];
    const dir = await oldGallery([
      {
        type: "enroll",
        identity: alice,
        embeddings: [
          { id: ids.a1, vector: vectors[0] as Float32Array, thumbnail: true, createdAt: alice.createdAt },
          {
            id: ids.a2,
            vector: vectors[1] as Float32Array,
            source: "a2.jpg",
            thumbnail: true,
            createdAt: "t",
          },
        ],
      },
      { type: "identity", identity: { ...alice, name: "Alicia" } },
    ]);
    const jpeg = fakeJpeg(random);
    await writeFile(join(dir, "thumbs", `${ids.a1}.jpg`), jpeg);
    // a2's thumbnail leads out of thumbs/: it is not followed (not migrated).
    await symlink("/etc/passwd", join(dir, "thumbs", `${ids.a2}.jpg`));
    const legacy = await readLegacyGallery(dir, D);
    assert.deepEqual(legacy.identities, [{ ...alice, name: "Alicia" }]);
    assert.deepEqual(
      legacy.embeddings.map((e) => [e.id, e.identityId, e.source, [...e.vector]]),
      [
        [ids.a1, ids.alice, undefined, [...(vectors[0] as Float32Array)]],
        [ids.a2, ids.alice, "a2.jpg", [...(vectors[1] as Float32Array)]],
      ],
    );
    assert.deepEqual(Buffer.from(legacy.embeddings[0]?.thumbnail ?? []), Buffer.from(jpeg));
    assert.equal(legacy.embeddings[1]?.thumbnail, undefined);
    assert.equal(legacy.missingThumbnails, 1);
    assert.equal(legacy.skippedJournalBytes, 0);
  });

  it("refuses a record that makes no sense (CORRUPT with its line), another dimension and a missing meta.json", async () => {
    let dir = await oldGallery([
      { type: "enroll", identity: alice, embeddings: [] },
      { type: "delete-embedding", id: ids.a1 },
    ]);
    await assert.rejects(readLegacyGallery(dir, D), (e: unknown) => {
      assert.ok(e instanceof GalleryError && e.code === "CORRUPT");
      assert.match(e.message, /journal\.log is corrupt at line 2: embedding .* does not exist/);
      return true;
    });
    dir = await oldGallery([], { format: 1, dimension: 16 });
    await assert.rejects(
      readLegacyGallery(dir, D),
      (e: unknown) => e instanceof GalleryError && e.code === "INVALID" && /dimension 16/.test(e.message),
    );
    dir = await oldGallery([]);
    await rm(join(dir, "meta.json"));
    await assert.rejects(
      readLegacyGallery(dir, D),
      (e: unknown) =>
        e instanceof GalleryError && e.code === "CORRUPT" && /meta\.json is missing/.test(e.message),
    );
  });
});
