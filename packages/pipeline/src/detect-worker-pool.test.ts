import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { samplePhotos } from "@facetracker/samples";
import { cropImage, decodeImage, FaceAnalyzer, sceneThumbnail } from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import { DetectWorkerPool } from "./detect-worker-pool.ts";
import { decodeJpeg, encodeFrameJpeg } from "./jpeg.ts";

describe("DetectWorkerPool (worker threads with their own models, registry sample photo)", () => {
  const config = parseConfig({ runtime: { detect_workers: 2 } });
  let pool: DetectWorkerPool;
  let jpeg: Uint8Array;
  before(async () => {
    pool = await DetectWorkerPool.start(config);
    const image = await decodeImage(samplePhotos()[0] as string);
    jpeg = await encodeFrameJpeg(cropImage(image, [0, 150, 1920, 1230]));
  });
  after(async () => {
    await pool?.close();
  });

  it("finds in a worker what the detect stage finds in this thread, and spreads frames over the workers", async () => {
    assert.equal(pool.size, 2);
    const frame = await decodeJpeg(jpeg);
    const here = await new DetectStage(await FaceAnalyzer.create({ threads: 1 }), config).faces(frame);
    const concurrent = Promise.all([pool.detect(jpeg), pool.detect(jpeg), pool.detect(jpeg)]);
    assert.deepEqual(pool.load, [2, 1], "the frames went to the least busy worker");
    const results = await concurrent;
    for (const r of results) {
      assert.equal(r.width, frame.width);
      assert.equal(r.faces.length, here.length);
      assert.deepEqual(
        r.faces.map((f) => f.box.map(Math.round)),
        here.map((f) => f.box.map(Math.round)),
      );
      assert.deepEqual(r.faces[0]?.alignedRgb, here[0]?.alignedRgb, "the aligned crop, byte for byte");
      assert.deepEqual(r.thumbnail, sceneThumbnail(frame));
    }
  });

  it("fails a frame that is not a JPEG with the decoder's reason, and goes on", async () => {
    await assert.rejects(pool.detect(new Uint8Array([1, 2, 3, 4])), /unsupported image format|Input buffer/i);
    const again = await pool.detect(jpeg);
    assert.equal(again.faces.length, 3);
  });
});
