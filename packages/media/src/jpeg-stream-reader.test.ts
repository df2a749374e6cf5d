import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ffmpeg, tempDir } from "@facetracker/testing/media";
import sharp from "sharp";
import { JpegStreamError, readJpegImages } from "./jpeg-stream-reader.ts";

/** `data` in chunks of the given sizes, cycling through them. */
async function* chunksOf(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = sizes[i++ % sizes.length] ?? 1;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

/** `data` cut at the given offsets. */
async function* cutAt(data: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (const cut of [...cuts, data.length]) {
    yield data.subarray(offset, cut);
    offset = cut;
  }
}

async function collect(source: AsyncIterable<Uint8Array>, maxImageBytes?: number) {
  const images: Uint8Array[] = [];
  const reader = readJpegImages(source, maxImageBytes === undefined ? {} : { maxImageBytes });
  for (;;) {
    const next = await reader.next();
    if (next.done) return { images, trailingBytes: next.value.trailingBytes };
    images.push(next.value);
  }
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A marker segment: FF, marker, big-endian length (payload + 2), payload. */
const segment = (marker: number, payload: number[]) => [
  0xff,
  marker,
  (payload.length + 2) >> 8,
  (payload.length + 2) & 0xff,
  ...payload,
];

/**
 * A JPEG image in syntax (its tables and data mean nothing): segments whose payloads hold FF D9 and FF D8,
 * an empty segment, fill bytes before markers, and two scans whose entropy-coded data has FF 00 stuffing
 * (also just before the end) and restart markers.
 */
function syntheticJpeg(seed: number): Uint8Array {
  return Uint8Array.from([
    ...[0xff, 0xd8],
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xfe, [0xff, 0xd9, 0xff, 0xd8, 0xff, seed]),
    ...segment(0xfe, []),
    ...[0xff, 0xff],
    ...segment(0xdb, [0, ...Array.from({ length: 64 }, (_, i) => i + 1)]),
    ...segment(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0, ...Array.from({ length: 16 }, () => 0xff)]),
    ...segment(0xda, [1, 1, 0, 0, 63, 0]),
    ...[0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xd9, 0xff, 0x00, 0xff, 0xd7, seed, 0xff, 0x00],
    ...segment(0xc4, [0x10, ...Array.from({ length: 16 }, () => 0xd9)]),
    ...segment(0xda, [1, 1, 0, 0, 63, 0x10]),
    ...[0x78, seed, 0xff, 0x00, 0xd8, 0xff, 0x00],
    ...[0xff, 0xff, 0xd9],
  ]);
}

const synthetic = [syntheticJpeg(1), syntheticJpeg(2), syntheticJpeg(3)];
const syntheticStream = concat(synthetic);

function jpegError(offset: number, mention: string) {
  return (error: unknown) => {
    assert.ok(error instanceof JpegStreamError, `not a JpegStreamError: ${error}`);
    assert.equal(error.offset, offset, error.message);
    assert.ok(error.message.includes(mention), `"${error.message}" lacks ${mention}`);
    return true;
  };
}

describe("readJpegImages on ffmpeg's mjpeg output", () => {
  let cleanup = async () => {};
  /** Streams (one with restart markers) and the same images written one file each by ffmpeg. */
  const streams: { name: string; stream: Uint8Array; images: Uint8Array[] }[] = [];

  before(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    for (const [name, options] of [
      ["plain", []],
      ["restart markers", ["-slices", "4"]],
    ] as const) {
      const input = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "12"];
      const encode = ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", ...options];
      const dir = join(temp.dir, name.replace(" ", "-"));
      await ffmpeg([...input, ...encode, "-f", "mjpeg", `${dir}.mjpeg`]);
      await ffmpeg([...input, ...encode, "-f", "image2", `${dir}-%02d.jpg`]);
      const files = (await readdir(temp.dir))
        .filter((f) => f.startsWith(`${name.replace(" ", "-")}-`))
        .sort();
      const images = await Promise.all(
        files.map(async (f) => new Uint8Array(await readFile(join(temp.dir, f)))),
      );
      streams.push({ name, stream: new Uint8Array(await readFile(`${dir}.mjpeg`)), images });
    }
  });
  after(() => cleanup());

  it("gives back each image byte for byte, whatever the chunk sizes", async () => {
    for (const { name, stream, images } of streams) {
      assert.equal(images.length, 12, name);
      assert.equal(concat(images).length, stream.length, `${name}: the image files make up the stream`);
      for (const sizes of [[1], [2], [3, 5, 7], [4096], [65536], [stream.length]]) {
        const result = await collect(chunksOf(stream, sizes));
        assert.equal(result.trailingBytes, 0);
        assert.equal(result.images.length, 12, `${name}, chunks ${sizes}`);
        result.images.forEach((image, i) => {
          assert.deepEqual(image, images[i], `${name}: image ${i}, chunks ${sizes}`);
        });
      }
    }
    const withRestarts = streams[1]?.images[0] ?? new Uint8Array(0);
    assert.ok(
      withRestarts.some((byte, i) => byte === 0xff && withRestarts[i + 1] === 0xd0),
      "the sliced stream has restart markers",
    );
  });

  it("splits images that sharp decodes, each in its own buffer", async () => {
    const { images } = await collect(chunksOf(streams[0]?.stream ?? new Uint8Array(0), [10_000]));
    const [first, second] = images;
    assert.ok(first && second);
    assert.notEqual(first.buffer, second.buffer);
    assert.equal(first.buffer.byteLength, first.length);
    const meta = await sharp(first).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 320, 240]);
  });

  it("splits progressive JPEGs (several scans, tables between them)", async () => {
    const pixels = Buffer.alloc(64 * 48 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
    const progressive = await Promise.all(
      [60, 90].map(
        async (quality) =>
          new Uint8Array(
            await sharp(pixels, { raw: { width: 64, height: 48, channels: 3 } })
              .jpeg({ quality, progressive: true })
              .toBuffer(),
          ),
      ),
    );
    const scans = (image: Uint8Array) => image.filter((b, i) => b === 0xff && image[i + 1] === 0xda).length;
    assert.ok(scans(progressive[0] as Uint8Array) > 1, "a progressive JPEG has several scans");
    const { images } = await collect(chunksOf(concat(progressive), [100]));
    assert.deepEqual(images, progressive);
  });
});

describe("readJpegImages edge cases", () => {
  it("finds the ends by the syntax (FF D9 inside a segment, stuffing, restarts, fill bytes, two scans)", async () => {
    const { images, trailingBytes } = await collect(chunksOf(syntheticStream, [syntheticStream.length]));
    assert.deepEqual(images, synthetic);
    assert.equal(trailingBytes, 0);
  });

  it("splits the same with a chunk boundary at every position, and one byte per chunk", async () => {
    for (let cut = 1; cut < syntheticStream.length; cut++) {
      const { images } = await collect(cutAt(syntheticStream, [cut]));
      assert.deepEqual(images, synthetic, `cut at ${cut}`);
    }
    const first = synthetic[0]?.length ?? 0;
    for (let cut = 1; cut < first; cut++) {
      const { images } = await collect(cutAt(syntheticStream, [cut, cut + 1, first + cut]));
      assert.deepEqual(images, synthetic, `cuts at ${cut}, ${cut + 1}, ${first + cut}`);
    }
    assert.deepEqual((await collect(chunksOf(syntheticStream, [1]))).images, synthetic);
  });

  it("returns an image cut off by the end of the stream as trailing bytes, wherever it is cut", async () => {
    const whole = concat(synthetic.slice(0, 2));
    const last = synthetic[2] ?? new Uint8Array(0);
    for (let length = 1; length < last.length; length++) {
      const { images, trailingBytes } = await collect(
        chunksOf(concat([whole, last.subarray(0, length)]), [7]),
      );
      assert.deepEqual(images, synthetic.slice(0, 2), `last image cut after ${length} bytes`);
      assert.equal(trailingBytes, length);
    }
    assert.deepEqual(await collect(chunksOf(new Uint8Array(0), [1])), { images: [], trailingBytes: 0 });
  });

  it("throws JpegStreamError with the offset on bytes that are not JPEG images", async () => {
    const text = new TextEncoder().encode("frame=1 fps=0.0\n");
    await assert.rejects(
      collect(chunksOf(text, [4])),
      jpegError(0, "expected the start of a JPEG image (FF D8)"),
    );
    const length = synthetic[0]?.length ?? 0;
    // Garbage after a good image: the image comes out, then the error at the first bad byte.
    const images: Uint8Array[] = [];
    await assert.rejects(
      async () => {
        for await (const image of readJpegImages(chunksOf(concat([synthetic[0] as Uint8Array, text]), [5]))) {
          images.push(image);
        }
      },
      jpegError(length, "found 66"),
    );
    assert.deepEqual(images, [synthetic[0]]);
    // FF D8 then something else.
    await assert.rejects(collect(cutAt(Uint8Array.from([0xff, 0x00]), [1])), jpegError(1, "found 00"));
  });

  it("throws JpegStreamError on a broken image: bad marker, impossible length, SOI inside, no scan, no end", async () => {
    const soi = [0xff, 0xd8];
    const sof = segment(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    const cases: [string, number[], number, string][] = [
      [
        "a byte where a marker is due",
        [...soi, ...sof, 0x12],
        2 + sof.length,
        "expected a JPEG marker (FF), found 12",
      ],
      ["FF 00 as a marker", [...soi, 0xff, 0x00], 2, "FF 00 where a JPEG marker is due"],
      ["a length below 2", [...soi, 0xff, 0xe0, 0x00, 0x01], 4, "impossible length 1"],
      ["a second SOI", [...soi, ...sof, 0xff, 0xd8], 2 + sof.length, "starts again"],
      ["EOI before a scan", [...soi, ...sof, 0xff, 0xd9], 2 + sof.length, "before any scan"],
    ];
    for (const [what, bytes, offset, mention] of cases) {
      for (const sizes of [[bytes.length], [1]]) {
        await assert.rejects(
          collect(chunksOf(Uint8Array.from(bytes), sizes)),
          jpegError(offset, mention),
          what,
        );
      }
    }
    // Entropy-coded data that never ends: stopped at the size limit, not buffered without bound.
    const endless = async function* () {
      yield Uint8Array.from([...soi, ...segment(0xda, [1, 1, 0, 0, 63, 0])]);
      for (;;) yield new Uint8Array(1000).fill(0x55);
    };
    await assert.rejects(collect(endless(), 50_000), jpegError(0, "larger than the limit of 50000 bytes"));
  });

  it("rejects a size limit that is not a positive integer", async () => {
    await assert.rejects(collect(chunksOf(syntheticStream, [10]), 0), RangeError);
  });

  it("does not read ahead of the consumer (backpressure)", async () => {
    const image = synthetic[0] as Uint8Array;
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1000,
      read() {
        produced += image.length;
        this.push(image);
      },
    });
    const reader = readJpegImages(source);
    await reader.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const afterOneImage = produced;
    assert.ok(
      afterOneImage <= 1000 + 3 * image.length,
      `produced ${afterOneImage} bytes for one image consumed`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(produced, afterOneImage, "kept reading while the consumer held the image");
    await reader.return({ trailingBytes: 0 });
    source.destroy();
  });
});
