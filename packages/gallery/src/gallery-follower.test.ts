import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
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

describe("GalleryFollower (read-only view of a gallery other processes change)", () => {
  it("refresh() loads enrollments, renames and deletions, and says whether anything changed", async () => {
    const dir = await tempDir();
    const follower = await GalleryFollower.open(dir);
    assert.equal(await follower.size(), 0, "a gallery not created yet reads as empty");
    const writer = await EmbeddedGallery.open(dir);
    const ada = vector();
    await writer.enroll("ada", [{ vector: ada }]);
    assert.equal(await follower.refresh(), true);
    assert.equal((await follower.search(ada, { k: 1 }))[0]?.name, "ada");
    assert.equal(await follower.refresh(), false, "nothing changed: no reload");

    await writer.rename("ada", "ada lovelace");
    await writer.enroll("bob", [{ vector: vector() }, { vector: vector() }]);
    assert.equal(await follower.refresh(), true);
    assert.deepEqual(
      (await follower.list()).map((i) => i.name),
      ["ada lovelace", "bob"],
    );
    assert.equal(await follower.size(), 3);
    await writer.deleteIdentity("bob");
    assert.equal(await follower.refresh(), true);
    assert.equal(await follower.get("bob"), undefined);
    assert.equal(follower.reloads, 3);
    await follower.close();
    await writer.close();
  });

  it("sees changes by itself on the next read, without refresh()", async () => {
    const dir = await tempDir();
    const writer = await EmbeddedGallery.open(dir);
    const follower = await GalleryFollower.open(dir);
    const ada = vector();
    await writer.enroll("ada", [{ vector: ada }]);
    assert.equal((await follower.search(ada, { k: 1 }))[0]?.name, "ada");
    await writer.deleteIdentity("ada");
    assert.deepEqual(await follower.search(ada), []);
    await follower.close();
    await writer.close();
  });

  it("refuses changes with READ_ONLY while a writer has the gallery open", async () => {
    const dir = await tempDir();
    const writer = await EmbeddedGallery.open(dir);
    const follower = await GalleryFollower.open(dir);
    for (const attempt of [
      follower.enroll("x", [{ vector: vector() }]),
      follower.rename("x", "y"),
      follower.deleteIdentity("x"),
      follower.deleteEmbedding("x"),
      follower.setAttributes("x", {}),
    ]) {
      await assert.rejects(
        attempt,
        (e: unknown) => e instanceof GalleryError && e.code === "READ_ONLY" && /read-only/.test(e.message),
      );
    }
    await follower.close();
    await writer.close();
  });
});
