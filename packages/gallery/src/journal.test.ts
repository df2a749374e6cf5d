import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeLine, encodeLine, Journal, readJournal } from "./journal.ts";
import { GalleryError } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function journalPath(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ft-journal-test-"));
  roots.push(root);
  return join(root, "journal.log");
}

async function readAll(path: string) {
  const records: { record: unknown; line: number }[] = [];
  const result = await readJournal(path, (record, line) => records.push({ record, line }));
  return { records, result };
}

describe("journal line encoding", () => {
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

describe("Journal", () => {
  it("appends durably and reads back records spanning read chunks", async () => {
    const path = await journalPath();
    const journal = await Journal.open(path, 0);
    const big = "x".repeat(700_000); // lines longer than half the 1 MiB read chunk
    const written = Array.from({ length: 7 }, (_, i) => ({ i, big: i % 2 ? big : "" }));
    for (const record of written.slice(0, 3)) await journal.append([record]);
    await journal.append(written.slice(3));
    assert.equal(journal.size, (await stat(path)).size);
    await journal.close();
    const { records, result } = await readAll(path);
    assert.deepEqual(
      records.map((r) => r.record),
      written,
    );
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.deepEqual(result, { records: 7, validBytes: journal.size, tornBytes: 0 });
  });

  it("reports a torn last line, and Journal.open truncates it away", async () => {
    const path = await journalPath();
    const journal = await Journal.open(path, 0);
    await journal.append([{ a: 1 }, { big: "y".repeat(1_500_000) }]);
    const goodSize = journal.size;
    await journal.close();
    const torn = encodeLine({ a: 3, big: "z".repeat(1_200_000) });
    await appendFile(path, torn.subarray(0, 1_100_000));
    const { records, result } = await readAll(path);
    assert.equal(records.length, 2);
    assert.equal(result.validBytes, goodSize);
    assert.equal(result.tornBytes, 1_100_000);
    assert.match(result.tornReason ?? "", /line 3 is incomplete/);

    const reopened = await Journal.open(path, result.validBytes);
    assert.equal((await stat(path)).size, goodSize);
    await reopened.append([{ a: 4 }]);
    await reopened.close();
    const again = await readAll(path);
    assert.deepEqual(
      again.records.map((r) => (r.record as { a: number }).a),
      [1, undefined, 4],
    );
    assert.equal(again.result.tornBytes, 0);
  });

  it("is CORRUPT when an invalid line is followed by another line", async () => {
    const path = await journalPath();
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

  it("reads a missing file as empty, and creates it on open", async () => {
    const path = await journalPath();
    assert.deepEqual((await readAll(path)).result, { records: 0, validBytes: 0, tornBytes: 0 });
    const journal = await Journal.open(path, 0);
    await journal.close();
    assert.equal((await readFile(path)).length, 0);
  });

  it("rewrites atomically (compaction) and keeps appending to the new file", async () => {
    const path = await journalPath();
    const journal = await Journal.open(path, 0);
    await journal.append([{ a: 1 }, { a: 2 }, { a: 3 }]);
    await journal.rewrite([{ a: 3 }]);
    await journal.append([{ a: 4 }]);
    assert.equal(journal.size, (await stat(path)).size);
    await journal.close();
    assert.deepEqual(
      (await readAll(path)).records.map((r) => r.record),
      [{ a: 3 }, { a: 4 }],
    );
    await assert.rejects(stat(`${path}.tmp`), /ENOENT/);
    await assert.rejects(journal.append([{ a: 5 }]), /closed/);
  });
});
