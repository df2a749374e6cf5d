import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { samplePhotos } from "@facetracker/samples";
import { cropImage, decodeImage, FaceAnalyzer, motionThumbnail, sceneThumbnail } from "@facetracker/vision";
import { type DetectedFace, DetectStage } from "./detect-stage.ts";
import { DetectWorkerPool } from "./detect-worker-pool.ts";
import { decodeJpegFrame, encodeFrameJpeg } from "./jpeg.ts";

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
    // As a worker decodes it: the detection copy at once, the full pixels when crops need them.
    const frame = await decodeJpegFrame(jpeg);
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

  it("detects in two steps: decode (thumbnails), then where the plan says, cropping only the wanted faces", async () => {
    // As a worker decodes it: the detection copy at once, the full pixels when crops need them.
    const frame = await decodeJpegFrame(jpeg);
    const prepared = await pool.prepare(jpeg);
    assert.deepEqual([prepared.width, prepared.height], [frame.width, frame.height]);
    assert.deepEqual(prepared.motion, motionThumbnail(frame));
    const whole = await pool.detectPrepared(prepared, { kind: "full", reason: "first" });
    assert.equal(whole.length, 3);
    // The region of the leftmost face only; the other two are known faces whose crop is not due.
    const [first] = [...whole].sort((a, b) => a.box[0] - b.box[0]);
    const b = (first as DetectedFace).box;
    const again = await pool.prepare(jpeg);
    const faces = await pool.detectPrepared(
      again,
      { kind: "regions", regions: [[b[0] - 20, b[1] - 20, b[2] + 20, b[3] + 20]] },
      whole.map((f) => ({ box: f.box, cropDue: f !== first })),
    );
    assert.equal(
      faces.length,
      1,
      `only the face inside the region (faces at ${whole.map((f) => f.box.map(Math.round))})`,
    );
    assert.equal(faces[0]?.alignedRgb.length, 0, "a known face whose crop is not due: no crop");
    assert.deepEqual(faces[0]?.landmarks, []);
    const dropped = await pool.prepare(jpeg);
    assert.ok(pool.load.some((n) => n === 1));
    pool.release(dropped);
    assert.deepEqual(pool.load, [0, 0]);
    await assert.rejects(pool.detectPrepared(dropped, { kind: "full", reason: "first" }), /not kept/);
  });

  it("fails a frame that is not a JPEG with the decoder's reason, and goes on", async () => {
    await assert.rejects(pool.detect(new Uint8Array([1, 2, 3, 4])), /unsupported image format|Input buffer/i);
    const again = await pool.detect(jpeg);
    assert.equal(again.faces.length, 3);
  });
});
