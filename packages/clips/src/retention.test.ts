import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LocalClipStorage } from "./local-clip-storage.ts";
import { pruneLocal } from "./retention.ts";
import { S3ClipStorage } from "./s3-clip-storage.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 4, 20, 12, 0, 0);

/**
 * A clip directory with clips stored `hoursAgo` before NOW: each has .mp4 (1000 B), .json (100 B) and
 * .annotated.mp4 (500 B) = 1600 bytes.
 */
async function clipDirectory(clips: { key: string; hoursAgo: number }[]): Promise<LocalClipStorage> {
  const root = await mkdtemp(join(tmpdir(), "clips-retention-test-"));
  roots.push(root);
  const storage = new LocalClipStorage(join(root, "clips"));
  const sizes: Record<string, number> = { ".mp4": 1000, ".json": 100, ".annotated.mp4": 500 };
  for (const { key, hoursAgo } of clips) {
    for (const [suffix, size] of Object.entries(sizes)) {
      await writeFile(join(root, "src"), Buffer.alloc(size, 1));
      await storage.put(key + suffix, join(root, "src"), "application/octet-stream");
      const when = new Date(NOW - hoursAgo * HOUR);
      await utimes(storage.pathOf(key + suffix), when, when);
    }
  }
  return storage;
}

async function keys(storage: LocalClipStorage): Promise<string[]> {
  return (await storage.list()).map((o) => o.key);
}

describe("pruneLocal", () => {
  it("removes clips older than maxAgeMs, all their files together", async () => {
    const storage = await clipDirectory([
      { key: "cam1/2024-05-17/120000-old", hoursAgo: 72 },
      { key: "cam1/2024-05-19/120000-mid", hoursAgo: 24 },
      { key: "cam2/2024-05-20/110000-new", hoursAgo: 1 },
    ]);
    const result = await pruneLocal({ storage, maxAgeMs: 48 * HOUR, now: NOW });
    assert.deepEqual(
      result.removed.map((r) => [r.clip, r.reason, r.bytes, r.keys.length]),
      [["cam1/2024-05-17/120000-old", "age", 1600, 3]],
    );
    assert.equal(result.removedBytes, 1600);
    assert.equal(result.keptClips, 2);
    assert.equal(result.keptBytes, 3200);
    assert.deepEqual(await keys(storage), [
      "cam1/2024-05-19/120000-mid.annotated.mp4",
      "cam1/2024-05-19/120000-mid.json",
      "cam1/2024-05-19/120000-mid.mp4",
      "cam2/2024-05-20/110000-new.annotated.mp4",
      "cam2/2024-05-20/110000-new.json",
      "cam2/2024-05-20/110000-new.mp4",
    ]);
    assert.deepEqual(
      await readdir(join(storage.directory, "cam1")),
      ["2024-05-19"],
      "the emptied day is gone",
    );
  });

  it("removes the oldest clips until the rest fit in maxTotalBytes", async () => {
    const storage = await clipDirectory([
      { key: "cam1/2024-05-20/080000-a", hoursAgo: 4 },
      { key: "cam2/2024-05-20/090000-b", hoursAgo: 3 },
      { key: "cam1/2024-05-20/100000-c", hoursAgo: 2 },
      { key: "cam2/2024-05-20/110000-d", hoursAgo: 1 },
    ]);
    // 4 × 1600 = 6400 bytes; at most 3500 → the two oldest go.
    const result = await pruneLocal({ directory: storage.directory, maxTotalBytes: 3500, now: NOW });
    assert.deepEqual(
      result.removed.map((r) => [r.clip, r.reason]),
      [
        ["cam1/2024-05-20/080000-a", "size"],
        ["cam2/2024-05-20/090000-b", "size"],
      ],
    );
    assert.equal(result.keptBytes, 3200);
    assert.deepEqual(
      [...new Set((await keys(storage)).map((k) => k.replace(/\..*$/, "")))],
      ["cam1/2024-05-20/100000-c", "cam2/2024-05-20/110000-d"],
    );
    // Already within the limits: nothing more.
    assert.deepEqual(
      (await pruneLocal({ storage, maxTotalBytes: 3500, maxAgeMs: 48 * HOUR, now: NOW })).removed,
      [],
    );
  });

  it("applies the age limit first, then the size limit", async () => {
    const storage = await clipDirectory([
      { key: "c/d/1-a", hoursAgo: 100 },
      { key: "c/d/2-b", hoursAgo: 3 },
      { key: "c/d/3-c", hoursAgo: 1 },
    ]);
    const result = await pruneLocal({ storage, maxAgeMs: 50 * HOUR, maxTotalBytes: 2000, now: NOW });
    assert.deepEqual(
      result.removed.map((r) => [r.clip, r.reason]),
      [
        ["c/d/1-a", "age"],
        ["c/d/2-b", "size"],
      ],
    );
    assert.equal(result.keptClips, 1);
  });

  it("refuses S3 storage (bucket lifecycle rules do that) and a call without limits", async () => {
    const s3 = new S3ClipStorage({
      endpoint: "http://127.0.0.1:9",
      bucket: "clips",
      accessKey: "a",
      secretKey: "b",
    });
    await assert.rejects(pruneLocal({ storage: s3, maxAgeMs: 1 }), /not S3 .*lifecycle rule/);
    await s3.close();
    await assert.rejects(pruneLocal({ directory: "/tmp/x" }), /give maxAgeMs, maxTotalBytes or both/);
    await assert.rejects(pruneLocal({ maxAgeMs: 1 }), /give the clip directory/);
    await assert.rejects(pruneLocal({ directory: "/tmp/x", maxAgeMs: -1 }), /maxAgeMs must be a number >= 0/);
  });
});
