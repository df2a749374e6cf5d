import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  appendFile,
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { crc32 } from "node:zlib";
import { seededRandom } from "@facetracker/infra";
import { fakeJpeg, randomUnitVector, runGalleryContract } from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { encodeLine } from "./journal.ts";
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
  it("creates meta.json, journal.log, thumbs/ and LOCK (removed on close)", async () => {
    const dir = join(await tempDir(), "g");
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(JSON.parse(await readFile(join(dir, "meta.json"), "utf8")), { format: 1, dimension: D });
    assert.equal((await readFile(join(dir, "LOCK"), "utf8")).trim(), String(process.pid));
    assert.ok((await stat(join(dir, "thumbs"))).isDirectory());
    assert.equal(g.directory, dir);
    await g.close();
    assert.deepEqual((await readdir(dir)).sort(), ["journal.log", "meta.json", "thumbs"]);
  });

  it("writes one checksummed JSON record per line, vectors as base64 float32", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(5);
    const vector = randomUnitVector(D, random);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    const { identity, embeddingIds } = await g.enroll("Alice", [{ vector, source: "x.jpg" }], { k: "v" });
    await g.rename("Alice", "Alicia");
    await g.close();
    const lines = (await readFile(join(dir, "journal.log"), "utf8")).split("\n");
    assert.equal(lines.pop(), "", "the file ends with a newline");
    assert.equal(lines.length, 2);
    const records = lines.map((line) => JSON.parse(line) as { crc: string; rec: Record<string, unknown> });
    for (const { crc, rec } of records) {
      assert.equal(crc, crc32(JSON.stringify(rec)).toString(16).padStart(8, "0"));
    }
    const enroll = records[0]?.rec as {
      type: string;
      identity: unknown;
      embeddings: { id: string; vector: string; source: string; thumbnail: boolean }[];
    };
    assert.equal(enroll.type, "enroll");
    assert.deepEqual(enroll.identity, {
      id: identity.id,
      name: "Alice",
      attributes: { k: "v" },
      createdAt: identity.createdAt,
    });
    assert.equal(enroll.embeddings[0]?.id, embeddingIds[0]);
    assert.equal(enroll.embeddings[0]?.source, "x.jpg");
    assert.equal(enroll.embeddings[0]?.thumbnail, false);
    const decoded = new Float32Array(
      new Uint8Array(Buffer.from(enroll.embeddings[0]?.vector as string, "base64")).buffer,
    );
    assert.deepEqual([...decoded], [...vector]);
    assert.deepEqual(records[1]?.rec, {
      type: "identity",
      identity: { id: identity.id, name: "Alicia", attributes: { k: "v" }, createdAt: identity.createdAt },
    });
  });

  it("drops half a record left at the end of journal.log by a crash", async () => {
    const dir = join(await tempDir(), "g");
    const { list, jpeg, alice } = await populated(dir);
    const journal = join(dir, "journal.log");
    const sizeBefore = (await stat(journal)).size;
    const line = encodeLine({ type: "delete-identity", id: alice.identity.id });
    await appendFile(journal, line.subarray(0, Math.floor(line.length / 2)));

    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(await g.list(), list);
    assert.deepEqual(
      Buffer.from((await g.thumbnail(alice.embeddingIds[0] as string)) ?? []),
      Buffer.from(jpeg),
    );
    assert.equal(g.recovery.discardedJournalBytes, Math.floor(line.length / 2));
    assert.match(g.recovery.discardedReason ?? "", /incomplete/);
    assert.equal((await stat(journal)).size, sizeBefore, "truncated back to the last good record");
    // Appending after the repair gives a clean journal.
    await g.enroll("Carol", [{ vector: randomUnitVector(D, seededRandom(1)) }]);
    await g.close();
    const again = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(
      (await again.list()).map((i) => i.name),
      ["Alice", "Bob", "Carol"],
    );
    assert.equal(again.recovery.discardedJournalBytes, 0);
    await again.close();
  });

  it("drops a garbage last line, and a last record whose checksum does not match", async () => {
    const dir = join(await tempDir(), "g");
    const { list, bob } = await populated(dir);
    const journal = join(dir, "journal.log");
    const sizeBefore = (await stat(journal)).size;
    await appendFile(journal, "\u0000\u0000garbage \u00ff\n");
    let g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(await g.list(), list);
    assert.match(g.recovery.discardedReason ?? "", /line 3/);
    await g.close();
    assert.equal((await stat(journal)).size, sizeBefore);

    // A complete-looking last record with a wrong checksum (e.g. a torn page) is also dropped.
    const line = encodeLine({ type: "delete-identity", id: bob.identity.id }).toString("utf8");
    await appendFile(journal, line.replace(/"crc":"[0-9a-f]{8}"/, '"crc":"00000000"'));
    g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(await g.list(), list, "Bob is still there");
    assert.match(g.recovery.discardedReason ?? "", /checksum mismatch/);
    await g.close();
  });

  it("refuses a journal damaged in the middle (CORRUPT naming the file and line), changing nothing", async () => {
    const dir = join(await tempDir(), "g");
    await populated(dir);
    const journal = join(dir, "journal.log");
    const original = await readFile(journal);
    const damaged = Buffer.from(original);
    damaged[60] = (damaged[60] as number) ^ 0x01; // inside the first record
    await writeFile(journal, damaged);
    await expectCode(
      EmbeddedGallery.open(dir, { dimension: D }),
      "CORRUPT",
      new RegExp(journal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
      /line 1/,
      /checksum/,
    );
    assert.deepEqual(await readFile(journal), damaged, "a corrupt journal is not truncated");
    assert.deepEqual(
      (await readdir(dir)).includes("LOCK"),
      false,
      "the lock is released after a failed open",
    );
  });

  it("refuses a valid record that makes no sense (CORRUPT with its line)", async () => {
    const dir = join(await tempDir(), "g");
    await populated(dir);
    const journal = join(dir, "journal.log");
    const bogus = encodeLine({ type: "delete-embedding", id: "00000000-0000-4000-8000-000000000000" });
    const lines = (await readFile(journal, "utf8")).split("\n");
    await writeFile(journal, [lines[0], bogus.toString("utf8").trimEnd(), ...lines.slice(1)].join("\n"));
    await expectCode(EmbeddedGallery.open(dir, { dimension: D }), "CORRUPT", /line 2/, /does not exist/);
  });

  it("ignores and removes a journal.log.tmp left by a crash during compaction", async () => {
    const dir = join(await tempDir(), "g");
    const { list } = await populated(dir);
    await writeFile(join(dir, "journal.log.tmp"), '{"crc":"00000000","rec":{"type":"enr');
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(await g.list(), list);
    assert.equal(g.recovery.removedCompactionLeftover, true);
    assert.equal((await readdir(dir)).includes("journal.log.tmp"), false);
    await g.close();
  });

  it("removes thumbnail files that no record references", async () => {
    const dir = join(await tempDir(), "g");
    const { alice, jpeg } = await populated(dir);
    await writeFile(join(dir, "thumbs", "11111111-1111-4111-8111-111111111111.jpg"), jpeg);
    await writeFile(join(dir, "thumbs", ".x.jpg.123.abcd.tmp"), jpeg);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.equal(g.recovery.removedOrphanThumbnails, 2);
    assert.deepEqual(await readdir(join(dir, "thumbs")), [`${alice.embeddingIds[0]}.jpg`]);
    await g.close();
  });

  it("refuses a thumbnail that is a symbolic link out of thumbs/ (/etc/passwd), never its content", async () => {
    const dir = join(await tempDir(), "g");
    const { alice } = await populated(dir);
    const id = alice.embeddingIds[0] as string;
    await rm(join(dir, "thumbs", `${id}.jpg`));
    await symlink("/etc/passwd", join(dir, "thumbs", `${id}.jpg`));
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    try {
      const error = await expectCode(g.thumbnail(id), "IO", /leads outside .*thumbs.*refused/);
      assert.doesNotMatch(error.message, /root:x:0/);
    } finally {
      await g.close();
    }
  });

  it("deletes thumbnail files with their embeddings", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(3);
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    const a = await g.enroll("A", [{ vector: randomUnitVector(D, random), thumbnail: fakeJpeg(random) }]);
    const b = await g.enroll("B", [{ vector: randomUnitVector(D, random), thumbnail: fakeJpeg(random) }]);
    assert.equal((await readdir(join(dir, "thumbs"))).length, 2);
    await g.deleteEmbedding(a.embeddingIds[0] as string);
    assert.deepEqual(await readdir(join(dir, "thumbs")), [`${b.embeddingIds[0]}.jpg`]);
    await g.deleteIdentity("B");
    assert.deepEqual(await readdir(join(dir, "thumbs")), []);
    await g.close();
  });

  it("compacts a journal of mostly dead records, keeping every live record", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(7);
    let g = await EmbeddedGallery.open(dir, { dimension: D, compactMinDead: 1_000_000 });
    for (let i = 0; i < 40; i++) {
      await g.enroll(`P${i}`, [
        { vector: randomUnitVector(D, random), thumbnail: fakeJpeg(random) },
        { vector: randomUnitVector(D, random), source: `p${i}.jpg` },
      ]);
    }
    for (let i = 0; i < 30; i++) await g.deleteIdentity(`P${i}`);
    for (let i = 30; i < 40; i++) await g.rename(`P${i}`, `Q${i}`);
    const query = randomUnitVector(D, random);
    const list = await g.list();
    const embeddings = await Promise.all(list.map((i) => g.embeddings(i.id)));
    const hits = await g.search(query, { k: 5, perIdentity: false });
    const before = g.journalStats();
    assert.equal(before.entries, 40 * 3 + 30 + 10);
    assert.equal(before.liveEntries, 10 * 3);

    await g.compact();
    const afterStats = g.journalStats();
    assert.equal(afterStats.entries, 30);
    assert.ok(afterStats.bytes < before.bytes / 3, `${afterStats.bytes} vs ${before.bytes}`);
    assert.deepEqual(await g.list(), list);
    assert.equal((await readFile(join(dir, "journal.log"), "utf8")).trimEnd().split("\n").length, 10);
    await g.enroll("Q30", [{ vector: randomUnitVector(D, random) }]); // appends after compaction
    await g.close();

    g = await EmbeddedGallery.open(dir, { dimension: D });
    const reopened = await g.list();
    assert.deepEqual(
      reopened.map((i) => [i.name, i.embeddingCount]),
      list.map((i) => [i.name, i.name === "Q30" ? 3 : 2]),
    );
    for (const [i, info] of list.entries()) {
      assert.deepEqual((await g.embeddings(info.id)).slice(0, 2), embeddings[i]);
      const first = embeddings[i]?.[0];
      assert.ok(first?.hasThumbnail && (await g.thumbnail(first.id)) instanceof Uint8Array);
    }
    assert.deepEqual(await g.search(query, { k: 5, perIdentity: false }), hits);
    await g.close();
  });

  it("compacts automatically when more than half of the journal is dead", async () => {
    const dir = join(await tempDir(), "g");
    const random = seededRandom(8);
    const g = await EmbeddedGallery.open(dir, { dimension: D, compactMinDead: 20 });
    const { embeddingIds } = await g.enroll(
      "A",
      Array.from({ length: 30 }, () => ({ vector: randomUnitVector(D, random) })),
    );
    for (const id of embeddingIds.slice(0, 10)) await g.deleteEmbedding(id);
    // 31 + 10 entries written, 21 live: dead = 20, not more than 20: nothing happened yet.
    assert.deepEqual(g.journalStats(), { ...g.journalStats(), entries: 41, liveEntries: 21 });
    await g.deleteEmbedding(embeddingIds[10] as string);
    // dead = 22 > 20 and more than half of 42: compacted into one enroll record of 1 + 19 entries.
    assert.deepEqual(g.journalStats(), { ...g.journalStats(), entries: 20, liveEntries: 20 });
    for (const id of embeddingIds.slice(11, 15)) await g.deleteEmbedding(id);
    assert.equal(g.journalStats().entries, 24);
    assert.equal(await g.size(), 15);
    await g.close();
    const lines = (await readFile(join(dir, "journal.log"), "utf8")).trimEnd().split("\n");
    assert.equal(lines.length, 1 + 4);
    const reopened = await EmbeddedGallery.open(dir, { dimension: D });
    assert.deepEqual(
      (await reopened.embeddings("A")).map((e) => e.id),
      embeddingIds.slice(15),
    );
    await reopened.close();
  });

  it("is single-writer: a second open of the same directory is LOCKED", async () => {
    const dir = join(await tempDir(), "g");
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    await expectCode(
      EmbeddedGallery.open(dir, { dimension: D }),
      "LOCKED",
      new RegExp(`${process.pid}`),
      /LOCK/,
    );
    await g.close();
    const again = await EmbeddedGallery.open(dir, { dimension: D });
    await again.close();
  });

  it("is LOCKED while another live process holds the lock, and takes over once it is gone", async () => {
    const dir = join(await tempDir(), "g");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      assert.ok(child.pid);
      await writeFile(join(dir, "LOCK"), `${child.pid}\n`);
      await expectCode(
        EmbeddedGallery.open(dir, { dimension: D }),
        "LOCKED",
        new RegExp(`process ${child.pid}`),
        new RegExp(join(dir, "LOCK")),
      );
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    // The pid is now dead: the lock is stale and is taken over.
    const g = await EmbeddedGallery.open(dir, { dimension: D });
    assert.equal((await readFile(join(dir, "LOCK"), "utf8")).trim(), String(process.pid));
    await g.close();
  });

  it("is LOCKED by the parent process's pid (alive), and takes over an empty or garbage lock", async () => {
    const dir = join(await tempDir(), "g");
    await mkdir(dir);
    await writeFile(join(dir, "LOCK"), `${process.ppid}`);
    await expectCode(EmbeddedGallery.open(dir, { dimension: D }), "LOCKED", new RegExp(`${process.ppid}`));
    await writeFile(join(dir, "LOCK"), "");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
    await writeFile(join(dir, "LOCK"), "not a pid");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
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

  it("refuses another dimension than the gallery's (INVALID)", async () => {
    const dir = join(await tempDir(), "g");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
    await expectCode(EmbeddedGallery.open(dir, { dimension: 128 }), "INVALID", /dimension 32/, /128/);
    await expectCode(EmbeddedGallery.open(dir, { dimension: 0 }), "INVALID", /dimension/);
  });

  it("refuses to turn a non-empty foreign directory into a gallery", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "notes.txt"), "mine");
    await expectCode(EmbeddedGallery.open(dir), "INVALID", /not a gallery/, /notes\.txt/);
    assert.deepEqual(await readdir(dir), ["notes.txt"]);
  });

  it("reports an unreadable meta.json as CORRUPT", async () => {
    const dir = join(await tempDir(), "g");
    await (await EmbeddedGallery.open(dir, { dimension: D })).close();
    await writeFile(join(dir, "meta.json"), "{not json");
    await expectCode(EmbeddedGallery.open(dir, { dimension: D }), "CORRUPT", /meta\.json/);
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
    const closing = g.close(); // waits for the queued changes
    await closing;
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
  });

  it("keeps every acknowledged change when the writing process is killed (SIGKILL) at random moments", async () => {
    const dir = join(await tempDir(), "g");
    // The child enrolls and deletes in a loop (with frequent compactions), printing "+id" once an enroll is
    // acknowledged, "?id" before a delete and "-id" once it is acknowledged.
    const child = `
      const { EmbeddedGallery } = await import(process.argv[1]);
      const g = await EmbeddedGallery.open(process.argv[2], { dimension: ${D}, compactMinDead: 20 });
      const jpeg = new Uint8Array(3000).fill(7); jpeg.set([0xff, 0xd8, 0xff]);
      const ids = [];
      for (let i = 0; ; i++) {
        const vector = Float32Array.from({ length: ${D} }, () => Math.random() - 0.5);
        const r = await g.enroll("p" + (i % 25), [{ vector, thumbnail: jpeg }], { i: String(i) });
        ids.push(r.embeddingIds[0]);
        process.stdout.write("+" + r.embeddingIds[0] + "\\n");
        if (i % 2 === 1) {
          const victim = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          process.stdout.write("?" + victim + "\\n");
          await g.deleteEmbedding(victim);
          process.stdout.write("-" + victim + "\\n");
        }
      }`;
    const moduleUrl = pathToFileURL(join(import.meta.dirname, "embedded-gallery.ts")).href;
    const acked = new Set<string>();
    const deleting = new Set<string>();
    for (const [round, killAfter] of [60, 150, 97, 220].entries()) {
      const proc = spawn(process.execPath, ["--input-type=module", "-e", child, moduleUrl, dir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let lines = 0;
      for await (const line of createInterface({ input: proc.stdout })) {
        const id = line.slice(1);
        if (line[0] === "+") acked.add(id);
        else if (line[0] === "?") deleting.add(id);
        else if (line[0] === "-") {
          acked.delete(id);
          deleting.delete(id);
        }
        if (++lines === killAfter) proc.kill("SIGKILL");
      }
      if (proc.exitCode === null && proc.signalCode === null) await once(proc, "exit");
      assert.equal(proc.signalCode, "SIGKILL", `round ${round}: the child ended on its own`);

      const g = await EmbeddedGallery.open(dir, { dimension: D });
      const present = new Set<string>();
      for (const identity of await g.list()) {
        for (const e of await g.embeddings(identity.id)) {
          present.add(e.id);
          assert.ok((await g.thumbnail(e.id))?.length === 3000, `round ${round}: thumbnail of ${e.id}`);
        }
      }
      for (const id of acked) {
        assert.ok(
          present.has(id) || deleting.has(id),
          `round ${round}: acknowledged embedding ${id} was lost`,
        );
      }
      const unacknowledged = [...present].filter((id) => !acked.has(id));
      assert.ok(
        unacknowledged.length <= 1,
        `round ${round}: ${unacknowledged.length} unacknowledged embeddings`,
      );
      // Continue from what is actually stored.
      for (const id of deleting) if (!present.has(id)) acked.delete(id);
      for (const id of unacknowledged) acked.add(id);
      deleting.clear();
      assert.equal(await g.size(), acked.size);
      await g.close();
    }
  });
});
