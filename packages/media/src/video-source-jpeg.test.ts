import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, isGone, tempDir, testVideo } from "@facetracker/testing/media";
import sharp from "sharp";
import { MediaError, type MediaErrorCode } from "./errors.ts";
import { type VideoFrame, VideoSource, type VideoSourceOptions } from "./video-source.ts";

let dir = "";
let cleanup = async () => {};
const files = { mp4: "" };
/**
 * Sources whose colours take each way of conversion to the JPEG's full-range BT.601 (see jpegFilters):
 * HD video is usually BT.709 (converted, not copied), some cameras send full-range video.
 */
const colourCases = [
  { name: "BT.709 4:2:0 (colorspace filter)", extra: ["-colorspace", "bt709", "-color_primaries", "bt709"] },
  {
    name: "full-range yuv420p (colorspace filter)",
    extra: ["-c:v", "mpeg4", "-color_range", "pc"],
    ext: "mkv",
  },
  { name: "full-range yuvj420p (swscale)", extra: ["-color_range", "pc"] },
  { name: "4:4:4 (swscale)", extra: ["-pix_fmt", "yuv444p"] },
  { name: "odd size 4:2:0 (swscale)", extra: ["-vf", "scale=321:241", "-c:v", "ffv1"], ext: "mkv" },
].map((c) => ({ ext: "mp4", ...c, path: "" }));

before(async () => {
  ({ dir, cleanup } = await tempDir());
  files.mp4 = await testVideo(join(dir, "clip.mp4"));
  for (const [i, c] of colourCases.entries()) {
    c.path = await testVideo(join(dir, `colour-${i}.${c.ext}`), { seconds: 0.6, extra: c.extra });
  }
});

after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

async function readRgb(spec: string, options: VideoSourceOptions = {}) {
  const source = await VideoSource.open(spec, options);
  const frames: VideoFrame[] = [];
  for await (const frame of source.frames()) frames.push(frame);
  return frames;
}

async function readJpeg(spec: string, options: VideoSourceOptions & { jpegQuality?: number } = {}) {
  const source = await VideoSource.open(spec, { ...options, output: "jpeg" });
  const frames: VideoFrame<"jpeg">[] = [];
  for await (const frame of source.frames()) frames.push(frame);
  return { source, frames };
}

/** Mean of each channel of RGB24 pixels. */
function meanColour(rgb: Uint8Array): number[] {
  const sums = [0, 0, 0];
  for (let i = 0; i < rgb.length; i++) sums[i % 3] = (sums[i % 3] ?? 0) + (rgb[i] as number);
  return sums.map((sum) => sum / (rgb.length / 3));
}

/** Mean absolute difference between two RGB24 images, per sample. */
function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** RGB24 pixels of a JPEG image decoded by sharp (libjpeg), checked to be `width` × `height`. */
async function decodeWithSharp(jpeg: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [width, height, 3]);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Decodes a JPEG frame (default quality 80) with sharp and compares it with the rgb24 output's same frame:
 * mean colour within 2.5 levels a channel (swscale's YCbCr to RGB and the colorspace filter's round
 * differently, by up to about 1.5 on BT.709 video), and a mean difference per sample at most 1.5 times that
 * of the rgb24 frame encoded by sharp at quality 80 and decoded back (the loss of JPEG itself).
 * Limited-range YCbCr taken as full range, or BT.709 data read as BT.601, give 3 to 4 times that loss.
 */
async function assertSamePicture(jpeg: VideoFrame<"jpeg">, rgb: VideoFrame, what: string) {
  const { width, height } = rgb;
  const decoded = await decodeWithSharp(jpeg.data, width, height);
  const [expected, actual] = [meanColour(rgb.data), meanColour(decoded)];
  for (const c of [0, 1, 2]) {
    const delta = Math.abs((actual[c] as number) - (expected[c] as number));
    assert.ok(delta < 2.5, `${what}: mean of channel ${c} ${actual[c]}, rgb24 gives ${expected[c]}`);
  }
  const bySharp = await sharp(rgb.data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  const jpegLoss = meanAbsoluteDifference(await decodeWithSharp(bySharp, width, height), rgb.data);
  const difference = meanAbsoluteDifference(decoded, rgb.data);
  assert.ok(
    difference < 1.5 * jpegLoss,
    `${what}: mean difference ${difference} per sample from the rgb24 frame, sharp's JPEG ${jpegLoss}`,
  );
}

/** The quantization tables (8-bit, in zigzag order) of a baseline JPEG's DQT segments, by table number. */
function quantTables(jpeg: Uint8Array): number[][] {
  const tables: number[][] = [];
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff && jpeg[at + 1] !== 0xda) {
    const length = ((jpeg[at + 2] as number) << 8) | (jpeg[at + 3] as number);
    if (jpeg[at + 1] === 0xdb) {
      for (let t = at + 4; t < at + 2 + length; t += 65) {
        tables[(jpeg[t] as number) & 0x0f] = [...jpeg.subarray(t + 1, t + 65)];
      }
    }
    at += 2 + length;
  }
  return tables;
}

function rejectsWith(code: MediaErrorCode, mention?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MediaError, `not a MediaError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (mention !== undefined)
      assert.ok(error.message.includes(mention), `"${error.message}" lacks ${mention}`);
    return true;
  };
}

const isJpeg = (data: Uint8Array) =>
  data[0] === 0xff && data[1] === 0xd8 && data.at(-2) === 0xff && data.at(-1) === 0xd9;

describe("VideoSource with output jpeg", () => {
  it("gives every frame as a JPEG image with the rgb24 output's pts, size and colours", async () => {
    const [rgb, { source, frames }] = await Promise.all([readRgb(files.mp4), readJpeg(files.mp4)]);
    assert.deepEqual(source.info, {
      kind: "file",
      input: files.mp4,
      width: 320,
      height: 240,
      fps: 25,
      durationS: 2,
      frameCount: 50,
      codec: "h264",
    });
    assert.equal(frames.length, 50);
    assert.equal(rgb.length, 50);
    frames.forEach((frame, i) => {
      assert.equal(frame.index, i);
      assert.equal(frame.encoding, "jpeg");
      assert.deepEqual([frame.width, frame.height], [320, 240]);
      assert.equal(frame.pts, rgb[i]?.pts, `pts of frame ${i}`);
      assert.ok(isJpeg(frame.data), `frame ${i} is not one JPEG image`);
      assert.ok(frame.data.length < 320 * 240, `frame ${i}: ${frame.data.length} bytes`);
    });
    assert.equal(rgb[0]?.encoding, "rgb24");
    for (const i of [0, 17, 49]) {
      await assertSamePicture(frames[i] as VideoFrame<"jpeg">, rgb[i] as VideoFrame, `frame ${i}`);
    }
    const meta = await sharp(frames[0]?.data).metadata();
    assert.deepEqual([meta.format, meta.isProgressive, meta.chromaSubsampling], ["jpeg", false, "4:2:0"]);
  });

  it("converts each kind of source to the JPEG's full-range BT.601 (colours as in rgb24)", async () => {
    for (const { name, path } of colourCases) {
      const [rgb, { source, frames }] = await Promise.all([readRgb(path), readJpeg(path)]);
      assert.ok(rgb[0], name);
      assert.deepEqual([source.info.width, source.info.height], [rgb[0].width, rgb[0].height], name);
      assert.equal(frames.length, 15, name);
      await assertSamePicture(frames[7] as VideoFrame<"jpeg">, rgb[7] as VideoFrame, name);
    }
  });

  it("applies the fps and resolution overrides as rgb24 does", async () => {
    const options = { fps: 10, resolution: { width: 160, height: 120 } };
    const [rgb, { source, frames }] = await Promise.all([
      readRgb(files.mp4, options),
      readJpeg(files.mp4, options),
    ]);
    assert.deepEqual([source.info.width, source.info.height, source.info.fps], [160, 120, 10]);
    assert.equal(frames.length, 20);
    assert.deepEqual(
      frames.map((f) => f.pts),
      rgb.map((f) => f.pts),
    );
    for (const frame of frames) {
      const meta = await sharp(frame.data).metadata();
      assert.deepEqual([meta.width, meta.height], [160, 120]);
    }
    await assertSamePicture(frames[5] as VideoFrame<"jpeg">, rgb[5] as VideoFrame, "scaled frame 5");
  });

  it("jpegQuality is libjpeg's: the quantization tables of sharp at the same quality, DC aside", async () => {
    const [first] = await readRgb(files.mp4, { fps: 1 });
    assert.ok(first);
    const pixels = first.data;
    for (const jpegQuality of [30, 80, 95]) {
      const { frames } = await readJpeg(files.mp4, { jpegQuality, fps: 1 });
      const bySharp: Buffer = await sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } })
        .jpeg({ quality: jpegQuality })
        .toBuffer();
      const ours = quantTables(frames[0]?.data ?? new Uint8Array(0));
      const theirs = quantTables(bySharp);
      assert.equal(ours.length, 2, `quality ${jpegQuality}: luminance and chrominance tables`);
      // ffmpeg keeps its own DC quantizer (8); every AC one is libjpeg's.
      assert.deepEqual(
        ours.map((table) => table.slice(1)),
        theirs.map((table) => table.slice(1)),
        `quality ${jpegQuality}`,
      );
    }
  });

  it("stops ffmpeg when the loop is left early", async () => {
    const source = await VideoSource.open(files.mp4, { output: "jpeg" });
    let pid: number | undefined;
    for await (const frame of source.frames()) {
      pid = source.pid;
      if (frame.index === 2) break;
    }
    assert.ok(pid !== undefined);
    assert.ok(await isGone(pid));
    assert.equal(source.pid, undefined);
  });

  it("INVALID_ARGUMENT for an unknown output or a quality out of range or without jpeg", async () => {
    for (const options of [
      { output: "png" },
      { output: "jpeg", jpegQuality: 0 },
      { output: "jpeg", jpegQuality: 101 },
      { output: "jpeg", jpegQuality: Number.NaN },
      { jpegQuality: 80 },
      { output: "rgb24", jpegQuality: 80 },
    ]) {
      await assert.rejects(
        VideoSource.open(files.mp4, options as VideoSourceOptions),
        rejectsWith("INVALID_ARGUMENT"),
        JSON.stringify(options),
      );
    }
  });
});

describe("VideoSource with output jpeg when ffmpeg misbehaves", () => {
  it("yields the complete images of a run cut mid-image, then throws DECODE with ffmpeg's error", async () => {
    const { frames } = await readJpeg(files.mp4);
    const threeAndAHalf = frames.slice(0, 3).reduce((sum, f) => sum + f.data.length, 0) + 500;
    const fake = join(dir, "failing-ffmpeg");
    await writeFile(
      fake,
      `#!/bin/sh\nffmpeg "$@" | head -c ${threeAndAHalf}\necho "[mjpeg @ 0x1] [error] simulated encoder failure" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const source = await VideoSource.open(files.mp4, { output: "jpeg", ffmpegPath: fake });
    const got: VideoFrame<"jpeg">[] = [];
    await assert.rejects(
      async () => {
        for await (const frame of source.frames()) got.push(frame);
      },
      rejectsWith("DECODE", "simulated encoder failure"),
    );
    assert.deepEqual(
      got.map((f) => f.data),
      frames.slice(0, 3).map((f) => f.data),
    );
  });

  it("throws DECODE naming the source when ffmpeg writes something that is not JPEG", async () => {
    const fake = join(dir, "garbage-ffmpeg");
    await writeFile(fake, `#!/bin/sh\nffmpeg "$@" >/dev/null\necho "this is not a JPEG stream"\n`, {
      mode: 0o755,
    });
    const source = await VideoSource.open(files.mp4, { output: "jpeg", ffmpegPath: fake });
    await assert.rejects(
      async () => {
        for await (const _ of source.frames()) assert.fail("no frame expected");
      },
      (error) => rejectsWith("DECODE", files.mp4)(error) && rejectsWith("DECODE", "FF D8")(error),
    );
  });
});
