import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { InvalidClipKeyError } from "./clip-key.ts";
import { ClipStorageError } from "./clip-storage.ts";
import { LocalClipStorage } from "./local-clip-storage.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "clips-local-test-"));
  roots.push(root);
  return root;
}

/** All files under `dir`, hidden ones included, as relative paths. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("LocalClipStorage", () => {
  it("puts, lists, reads, downloads, makes file:// URLs and deletes", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(join(root, "clips"));
    const video = randomBytes(50_000);
    await writeFile(join(root, "in.mp4"), video);
    await writeFile(join(root, "in.json"), '{"frames":[]}');

    await storage.put("cam1/2024-05-17/080309-a1.mp4", join(root, "in.mp4"), "video/mp4");
    await storage.put("cam1/2024-05-17/080309-a1.json", join(root, "in.json"), "application/json");
    await storage.put("cam2/2024-05-18/090000-b2.mp4", join(root, "in.mp4"), "video/mp4");
    assert.ok((await stat(join(root, "in.mp4"))).isFile(), "put leaves the source in place");

    const all = await storage.list();
    assert.deepEqual(
      all.map((o) => [o.key, o.size]),
      [
        ["cam1/2024-05-17/080309-a1.json", 13],
        ["cam1/2024-05-17/080309-a1.mp4", 50_000],
        ["cam2/2024-05-18/090000-b2.mp4", 50_000],
      ],
    );
    assert.ok(all.every((o) => o.lastModified instanceof Date && o.lastModified.getTime() > 0));
    assert.deepEqual(
      (await storage.list("cam1/")).map((o) => o.key),
      ["cam1/2024-05-17/080309-a1.json", "cam1/2024-05-17/080309-a1.mp4"],
    );
    assert.deepEqual(
      (await storage.list("cam2/2024-05")).map((o) => o.key),
      ["cam2/2024-05-18/090000-b2.mp4"],
    );
    assert.deepEqual(await storage.list("cam3/"), []);

    assert.deepEqual(Buffer.from(await storage.get("cam1/2024-05-17/080309-a1.mp4")), video);
    const url = await storage.url("cam1/2024-05-17/080309-a1.mp4");
    assert.match(url, /^file:\/\//);
    assert.deepEqual(await readFile(fileURLToPath(url)), video);
    await storage.download("cam1/2024-05-17/080309-a1.json", join(root, "out", "x.json"));
    assert.equal(await readFile(join(root, "out", "x.json"), "utf8"), '{"frames":[]}');

    await storage.delete("cam2/2024-05-18/090000-b2.mp4");
    await storage.delete("cam2/2024-05-18/090000-b2.mp4"); // missing: not an error
    assert.deepEqual(
      (await storage.list()).map((o) => o.key),
      ["cam1/2024-05-17/080309-a1.json", "cam1/2024-05-17/080309-a1.mp4"],
    );
    assert.deepEqual(await readdir(join(root, "clips")), ["cam1"], "empty directories are removed");
    assert.match(storage.describe(), /^local directory .*clips$/);
  });

  it("names a missing clip NoSuchKey", async () => {
    const storage = new LocalClipStorage(await tempDir());
    for (const call of [
      () => storage.get("a/b.mp4"),
      () => storage.url("a/b.mp4"),
      () => storage.download("a/b.mp4", "/tmp/x"),
    ]) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof ClipStorageError);
        assert.equal(error.code, "NoSuchKey");
        assert.match(error.message, /a\/b\.mp4 in local directory .*: no such clip/);
        return true;
      });
    }
  });

  it("refuses a symbolic link that leads outside the directory (/etc/passwd), follows one that stays inside", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(join(root, "clips"));
    await mkdir(join(root, "clips", "door", "2024-01-01"), { recursive: true });
    await writeFile(join(root, "clips", "door", "2024-01-01", "000000-a.mp4"), "inside");
    await writeFile(join(root, "outside.mp4"), "outside");
    await symlink("/etc/passwd", join(root, "clips", "door", "2024-01-01", "000001-passwd.mp4"));
    await symlink(join(root, "outside.mp4"), join(root, "clips", "door", "2024-01-01", "000002-out.mp4"));
    await symlink(root, join(root, "clips", "up")); // a directory link out of the root
    await symlink("000000-a.mp4", join(root, "clips", "door", "2024-01-01", "000003-in.mp4"));
    for (const key of [
      "door/2024-01-01/000001-passwd.mp4",
      "door/2024-01-01/000002-out.mp4",
      "up/outside.mp4",
    ]) {
      for (const call of [
        () => storage.get(key),
        () => storage.url(key),
        () => storage.download(key, join(root, "copy.mp4")),
      ]) {
        await assert.rejects(call, (error: unknown) => {
          assert.ok(error instanceof ClipStorageError, key);
          assert.equal(error.code, "EOUTSIDEROOT", key);
          assert.match(error.message, /leads outside .*clips.*refused/);
          assert.doesNotMatch(error.message, /root:x:0/);
          return true;
        });
      }
    }
    await assert.rejects(stat(join(root, "copy.mp4")), { code: "ENOENT" }, "nothing was copied out");
    assert.equal(Buffer.from(await storage.get("door/2024-01-01/000003-in.mp4")).toString(), "inside");
    const url = await storage.url("door/2024-01-01/000003-in.mp4");
    assert.match(url, /000000-a\.mp4$/, "the URL names the real file");
  });

  it("rejects bad keys before touching the disk", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(join(root, "clips"));
    await writeFile(join(root, "in.mp4"), "x");
    for (const key of ["../escape.mp4", "/abs.mp4", "a/../../b.mp4", "a//b", ".hidden", "a b.mp4", ""]) {
      await assert.rejects(storage.put(key, join(root, "in.mp4"), "video/mp4"), InvalidClipKeyError, key);
      await assert.rejects(storage.get(key), InvalidClipKeyError, key);
      await assert.rejects(storage.delete(key), InvalidClipKeyError, key);
    }
    await assert.rejects(storage.list("../"), InvalidClipKeyError);
    assert.deepEqual(await readdir(root), ["in.mp4"], "nothing was written");
  });

  it("writes atomically: a failed put keeps the old clip and leaves no temporary file", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(join(root, "clips"));
    await writeFile(join(root, "v1.mp4"), "version 1");
    await storage.put("cam1/d/a.mp4", join(root, "v1.mp4"), "video/mp4");

    await assert.rejects(
      storage.put("cam1/d/a.mp4", join(root, "missing.mp4"), "video/mp4"),
      (error: unknown) => {
        assert.ok(error instanceof ClipStorageError);
        assert.equal(error.code, "ENOENT");
        assert.match(error.message, /cannot read the clip file .*missing\.mp4/);
        return true;
      },
    );
    await mkdir(join(root, "a-directory"));
    await assert.rejects(
      storage.put("cam1/d/a.mp4", join(root, "a-directory"), "video/mp4"),
      /not a regular file/,
    );
    assert.equal(Buffer.from(await storage.get("cam1/d/a.mp4")).toString(), "version 1");
    assert.deepEqual(await allFiles(join(root, "clips")), ["cam1/d/a.mp4"]);
  });

  it("writes atomically: a reader sees the old or the new clip whole, never a part", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(join(root, "clips"));
    const versions = [Buffer.alloc(4 << 20, 1), Buffer.alloc(4 << 20, 2)];
    await writeFile(join(root, "v0"), versions[0] as Buffer);
    await writeFile(join(root, "v1"), versions[1] as Buffer);
    await storage.put("c/d/x.mp4", join(root, "v0"), "video/mp4");
    const path = storage.pathOf("c/d/x.mp4");
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 20; i++) await storage.put("c/d/x.mp4", join(root, `v${i % 2}`), "video/mp4");
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const seen = await readFile(path);
      reads++;
      assert.ok(
        seen.equals(versions[0] as Buffer) || seen.equals(versions[1] as Buffer),
        `read ${reads} saw a partial clip`,
      );
    }
    await writer;
    assert.ok(reads > 0);
  });

  it("does not list hidden (temporary) files", async () => {
    const root = await tempDir();
    const storage = new LocalClipStorage(root);
    await mkdir(join(root, "cam1"));
    await writeFile(join(root, "cam1", ".a.mp4.123.abcd.tmp"), "partial");
    await writeFile(join(root, "cam1", "a.mp4"), "whole");
    assert.deepEqual(
      (await storage.list()).map((o) => o.key),
      ["cam1/a.mp4"],
    );
  });
});
