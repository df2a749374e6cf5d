import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FaceTracker } from "@facetracker/sdk";
import { decodeImage, type RgbImage } from "@facetracker/vision";

/**
 * The negative set (packages/samples/negatives: non-face drawings and emoji the detector fires on, see its
 * README) never gives a confirmed track: each picture is shown as an 8-frame still "video" (with a little
 * sensor noise, so that no two frames are equal; a track is due for confirmation on its 3rd frame and its
 * face is judged again on the 4th and 8th), and no track gets a public ID. The first 4 of those frames with
 * the quality gate off do give confirmed tracks: the gate, not the detector, keeps them out.
 */
const negatives = path.resolve(import.meta.dirname, "..", "packages", "samples", "negatives");
const FRAMES = 8;

function noisy(image: RgbImage, seed: number): RgbImage {
  const data = new Uint8Array(image.data);
  let state = seed * 2654435761;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = Math.max(0, Math.min(255, (data[i] as number) + ((state >>> 24) % 7) - 3));
  }
  return { width: image.width, height: image.height, data };
}

async function confirmedTracks(tracker: FaceTracker, image: RgbImage, count = FRAMES): Promise<number> {
  const frames = Array.from({ length: count }, (_, f) => ({ ...noisy(image, f + 1), index: f }));
  const ids = new Set<number>();
  for await (const r of tracker.predictBatch(frames, { frameRate: 10 })) {
    for (const t of r.tracks) if (t.trackId > 0) ids.add(t.trackId);
  }
  return ids.size;
}

describe("the negative set (packages/samples/negatives)", () => {
  it("no picture of it becomes a confirmed track; with the quality gate off, most do", async () => {
    const files = ["drawings", "emoji"].flatMap((sub) =>
      readdirSync(path.join(negatives, sub))
        .filter((f) => f.endsWith(".jpg"))
        .map((f) => path.join(negatives, sub, f)),
    );
    assert.ok(files.length >= 40, `the negative set has ${files.length} pictures`);
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-negatives-"));
    const gated = await FaceTracker.create({ db_path: path.join(dir, "a") });
    const open = await FaceTracker.create({ db_path: path.join(dir, "b"), face_quality: { enabled: false } });
    try {
      const confirmed: string[] = [];
      let confirmedWithoutGate = 0;
      for (const file of files) {
        const image = await decodeImage(file);
        if ((await confirmedTracks(gated, image)) > 0) confirmed.push(path.relative(negatives, file));
        if ((await confirmedTracks(open, image, 4)) > 0) confirmedWithoutGate++;
      }
      assert.deepEqual(confirmed, [], "confirmed tracks on non-faces");
      assert.ok(
        confirmedWithoutGate >= files.length / 2,
        `without the gate only ${confirmedWithoutGate} of ${files.length} gave a track: the set no longer tests the gate`,
      );
    } finally {
      await gated.close();
      await open.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
