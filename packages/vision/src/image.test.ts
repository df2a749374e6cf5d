import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import {
  checkImagePixels,
  cropImage,
  DEFAULT_MAX_IMAGE_PIXELS,
  decodeImage,
  ImageError,
  ImageTooLargeError,
} from "./image.ts";

/** 4×2 image: left half red, right half blue. */
const raw = Buffer.from(Array.from({ length: 8 }, (_, i) => (i % 4 < 2 ? [255, 0, 0] : [0, 0, 255])).flat());
const base = () => sharp(raw, { raw: { width: 4, height: 2, channels: 3 } });
const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const near = (a: number[], b: number[], tol = 40) => a.every((v, i) => Math.abs(v - (b[i] as number)) <= tol);

describe("decodeImage", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-image-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ["jpeg", "png", "webp"] as const) {
    it(`decodes ${format} to RGB`, async () => {
      const bytes = await base()
        .toFormat(format, { quality: 100, lossless: format === "webp" })
        .toBuffer();
      const img = await decodeImage(bytes);
      assert.equal(img.width, 4);
      assert.equal(img.height, 2);
      assert.equal(img.data.length, 4 * 2 * 3);
      assert.ok(near(pixel(img, 0, 0), [255, 0, 0]), `left pixel ${pixel(img, 0, 0)}`);
      assert.ok(near(pixel(img, 3, 1), [0, 0, 255]), `right pixel ${pixel(img, 3, 1)}`);
    });
  }

  it("applies EXIF orientation", async () => {
    // Orientation 6 = rotate 90° clockwise to display: a 4×2 image shows as 2×4 with red on top.
    const bytes = await base().jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(bytes);
    assert.equal(img.width, 2);
    assert.equal(img.height, 4);
    assert.ok(near(pixel(img, 0, 0), [255, 0, 0]));
    assert.ok(near(pixel(img, 1, 3), [0, 0, 255]));
  });

  it("flattens alpha onto white", async () => {
    const rgba = Buffer.from([255, 0, 0, 0, 0, 0, 255, 255]);
    const bytes = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const img = await decodeImage(bytes);
    assert.deepEqual(pixel(img, 0, 0), [255, 255, 255]);
    assert.deepEqual(pixel(img, 1, 0), [0, 0, 255]);
  });

  it("names a missing file", async () => {
    const file = path.join(dir, "nope.jpg");
    await assert.rejects(
      decodeImage(file),
      (e: Error) => e instanceof ImageError && e.message === `${file}: file not found`,
    );
  });

  it("refuses a file that is not an image", async () => {
    const file = path.join(dir, "notes.jpg");
    await writeFile(file, "this is text, not a picture");
    await assert.rejects(decodeImage(file), /notes\.jpg: not a supported image/);
  });

  it("refuses an empty file", async () => {
    const file = path.join(dir, "empty.png");
    await writeFile(file, "");
    await assert.rejects(decodeImage(file), /empty\.png: empty file/);
  });

  it("refuses a truncated JPEG", async () => {
    const big = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#808080" } })
      .composite([{ input: await base().resize(300, 200).png().toBuffer() }])
      .jpeg()
      .toBuffer();
    const file = path.join(dir, "cut.jpg");
    await writeFile(file, big.subarray(0, Math.floor(big.length / 2)));
    await assert.rejects(decodeImage(file), /cut\.jpg: corrupt or truncated jpeg image/);
  });

  it("refuses an unsupported format", async () => {
    const gif = await base().gif().toBuffer();
    await assert.rejects(decodeImage(gif, "anim.gif"), /anim\.gif: unsupported image format 'gif'/);
  });

  it("refuses a valid image above the pixel limit as too large (size and limit), not as corrupt", async () => {
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    await assert.rejects(
      decodeImage(png, "wide.png", { maxPixels: 100_000 }),
      (e: Error) =>
        e instanceof ImageTooLargeError &&
        e.width === 640 &&
        e.height === 480 &&
        e.message ===
          "wide.png: image is 640×480 = 0.3 MP, above the limit of 0.1 MP (config key limits.max_image_pixels)",
    );
    // At the limit it decodes; 50 MP is the default.
    assert.equal((await decodeImage(png, "wide.png", { maxPixels: 640 * 480 })).width, 640);
    assert.equal(DEFAULT_MAX_IMAGE_PIXELS, 50_000_000);
  });
});

describe("checkImagePixels", () => {
  it("refuses an image from its header before decoding it, naming its size and the limit", async () => {
    const png = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    await assert.rejects(
      checkImagePixels(png, "big.png", 10_000_000),
      (e: Error) =>
        e instanceof ImageTooLargeError &&
        e.message ===
          "big.png: image is 4000×3000 = 12 MP, above the limit of 10 MP (config key limits.max_image_pixels)",
    );
    await checkImagePixels(png, "big.png", 12_000_000);
  });

  it("lets an image within the limit and an unreadable header through (decoding reports those)", async () => {
    const png = await base().png().toBuffer();
    await checkImagePixels(png, "ok.png", DEFAULT_MAX_IMAGE_PIXELS);
    await checkImagePixels(new Uint8Array([1, 2, 3]), "junk", DEFAULT_MAX_IMAGE_PIXELS);
  });
});

describe("cropImage", () => {
  it("copies the box and clamps it to the image", async () => {
    const img = await decodeImage(await base().png().toBuffer());
    const crop = cropImage(img, [2, -5, 10, 1]);
    assert.equal(crop.width, 2);
    assert.equal(crop.height, 1);
    assert.deepEqual(pixel(crop, 0, 0), [0, 0, 255]);
  });
});
