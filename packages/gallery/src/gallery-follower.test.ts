import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector } from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { GalleryFollower } from "./gallery-follower.ts";
import { GalleryError } from "./types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
const tempDir = async () => {
  const root = await mkdtemp(join(tmpdir(), "ft-follower-test-"));
  roots.push(root);
  return join(root, "gallery");
};
const rng = seededRandom(7);
const vector = () => randomUnitVector(512, rng);

describe("GalleryFollower (read-only view of a gallery another process writes)", () => {
  it("sees enrollments, renames and deletions after refresh, and only then", async () => {
    const dir = await tempDir();
    const follower = await GalleryFollower.open(dir);
    assert.equal(await follower.size(), 0, "a gallery not created yet reads as empty");
    const writer = await EmbeddedGallery.open(dir);
    const ada = vector();
    await writer.enroll("ada", [{ vector: ada }]);
    assert.equal(await follower.size(), 0, "no change before refresh");
    assert.equal(await follower.refresh(), true);
    assert.equal((await follower.search(ada, { k: 1 }))[0]?.name, "ada");
    assert.equal(await follower.refresh(), false, "nothing changed: no reload");

    await writer.rename("ada", "ada lovelace");
    await writer.enroll("bob", [{ vector: vector() }, { vector: vector() }]);
    await follower.refresh();
    assert.deepEqual(
      (await follower.list()).map((i) => i.name),
      ["ada lovelace", "bob"],
    );
    assert.equal(await follower.size(), 3);
    await writer.deleteIdentity("bob");
    await follower.refresh();
    assert.equal(await follower.get("bob"), undefined);
    assert.equal(follower.reloads, 3);
    await follower.close();
    await writer.close();
  });

  it("refuses changes with READ_ONLY, and takes no lock (the writer can open while it follows)", async () => {
    const dir = await tempDir();
    const first = await EmbeddedGallery.open(dir);
    await first.close();
    const follower = await GalleryFollower.open(dir);
    const writer = await EmbeddedGallery.open(dir);
    for (const attempt of [
      follower.enroll(),
      follower.rename(),
      follower.deleteIdentity(),
      follower.deleteEmbedding(),
      follower.setAttributes("x", {}),
    ]) {
      await assert.rejects(attempt, (e: unknown) => e instanceof GalleryError && e.code === "READ_ONLY");
    }
    const readOnly = await EmbeddedGallery.open(dir, { readOnly: true });
    await assert.rejects(
      readOnly.enroll("x", [{ vector: vector() }]),
      (e: unknown) => e instanceof GalleryError && e.code === "READ_ONLY" && /read-only/.test(e.message),
    );
    await readOnly.close();
    await follower.close();
    await writer.close();
  });

  it("reads a journal with an append in progress (torn tail) without repairing it, and follows a compaction", async () => {
    const dir = await tempDir();
    const writer = await EmbeddedGallery.open(dir, { compactMinDead: 0 });
    const kept = vector();
    await writer.enroll("kept", [{ vector: kept }]);
    const follower = await GalleryFollower.open(dir);
    await appendFile(join(dir, "journal.log"), '{"crc":"0000');
    await follower.refresh();
    assert.equal(await follower.size(), 1, "the torn tail is skipped");
    const before = (await stat(join(dir, "journal.log"))).size;
    await writer.close();
    const reopened = await EmbeddedGallery.open(dir, { compactMinDead: 0 });
    assert.ok((await stat(join(dir, "journal.log"))).size < before, "the writer truncated the torn tail");
    for (let i = 0; i < 3; i++) {
      await reopened.enroll(`tmp${i}`, [{ vector: vector() }]);
      await reopened.deleteIdentity(`tmp${i}`);
    }
    await follower.refresh();
    assert.deepEqual(
      (await follower.list()).map((i) => i.name),
      ["kept"],
    );
    assert.equal((await follower.search(kept, { k: 1 }))[0]?.name, "kept");
    await follower.close();
    await reopened.close();
  });
});
