import assert from "node:assert/strict";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, isGone, probeFrames, tempDir } from "@facetracker/testing/media";
import { MediaError, type MediaErrorCode } from "./errors.ts";
import { VideoSource } from "./video-source.ts";
import { VideoWriter } from "./video-writer.ts";

let dir = "";
let cleanup = async () => {};
before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

/** Left half red, right half blue, with a green bar moving down by one row per frame. */
function frame(width: number, height: number, i: number): { data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      if (Math.abs(y - 10 - 3 * i) < 4) data.set([0, 220, 0], p);
      else data.set(x < width / 2 ? [220, 20, 20] : [20, 20, 220], p);
    }
  }
  return { data };
}

function mediaError(code: MediaErrorCode, mention?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MediaError, `not a MediaError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (mention !== undefined)
      assert.ok(error.message.includes(mention), `"${error.message}" lacks ${mention}`);
    return true;
  };
}

async function writeClip(path: string, width: number, height: number, count: number): Promise<void> {
  const writer = await VideoWriter.open(path, { width, height, fps: 25 });
  for (let i = 0; i < count; i++) await writer.write(frame(width, height, i));
  await writer.close();
}

describe("VideoWriter", () => {
  it("writes 30 RGB frames as H.264 MP4 that decodes back to the same picture", async () => {
    const path = join(dir, "out.mp4");
    await writeClip(path, 320, 240, 30);
    assert.deepEqual(await probeFrames(path), {
      codec: "h264",
      width: 320,
      height: 240,
      frames: 30,
      pixFmt: "yuv420p",
    });
    const source = await VideoSource.open(path);
    let count = 0;
    for await (const decoded of source.frames()) {
      const pixel = (x: number, y: number) => [
        ...decoded.data.subarray((y * 320 + x) * 3, (y * 320 + x) * 3 + 3),
      ];
      const barY = 10 + 3 * decoded.index;
      const close = (actual: number[], expected: number[]) =>
        actual.every((v, c) => Math.abs(v - (expected[c] ?? 0)) < 40);
      assert.ok(close(pixel(40, 200), [220, 20, 20]), `frame ${decoded.index} left is ${pixel(40, 200)}`);
      assert.ok(close(pixel(280, 200), [20, 20, 220]), `frame ${decoded.index} right is ${pixel(280, 200)}`);
      assert.ok(
        close(pixel(100, barY), [0, 220, 0]),
        `frame ${decoded.index} bar at ${barY} is ${pixel(100, barY)}`,
      );
      count++;
    }
    assert.equal(count, 30);
  });

  it("pads odd sizes to even (161x121 → 162x122)", async () => {
    const path = join(dir, "odd.mp4");
    await writeClip(path, 161, 121, 30);
    assert.deepEqual(await probeFrames(path), {
      codec: "h264",
      width: 162,
      height: 122,
      frames: 30,
      pixFmt: "yuv420p",
    });
  });

  it("rejects frames of the wrong size, and writes after close", async () => {
    const writer = await VideoWriter.open(join(dir, "sizes.mp4"), { width: 16, height: 16, fps: 10 });
    await assert.rejects(writer.write({ data: new Uint8Array(16 * 16 * 4) }), mediaError("INVALID_ARGUMENT"));
    await writer.write(frame(16, 16, 0));
    const closing = writer.close();
    assert.equal(writer.close(), closing);
    await closing;
    await assert.rejects(writer.write(frame(16, 16, 1)), mediaError("WRITE"));
    assert.equal(writer.framesWritten, 1);
  });

  it("abort() stops ffmpeg and removes the incomplete file", async () => {
    const path = join(dir, "aborted.mp4");
    const writer = await VideoWriter.open(path, { width: 64, height: 48, fps: 25, preset: "ultrafast" });
    await writer.write(frame(64, 48, 0));
    const child = (await childPids())[0];
    assert.ok(child !== undefined);
    await writer.abort();
    await writer.abort();
    assert.ok(await isGone(child));
    await assert.rejects(stat(path), { code: "ENOENT" });
  });

  it("close() without any frame fails with WRITE and leaves no file", async () => {
    const path = join(dir, "empty.mp4");
    const writer = await VideoWriter.open(path, { width: 64, height: 48, fps: 25 });
    await assert.rejects(writer.close(), mediaError("WRITE", path));
    await assert.rejects(stat(path), { code: "ENOENT" });
  });

  it("reports ffmpeg's failure naming the path", async () => {
    // The output path is a directory: ffmpeg cannot open it.
    const path = join(dir, "taken.mp4");
    await mkdir(path);
    const writer = await VideoWriter.open(path, { width: 64, height: 48, fps: 25 });
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 5; i++) await writer.write(frame(64, 48, i));
        await writer.close();
      })(),
      mediaError("WRITE", path),
    );
  });

  it("checks its options, the directory and ffmpeg before starting", async () => {
    for (const options of [
      { width: 0, height: 10, fps: 25 },
      { width: 10, height: 10, fps: 0 },
      { width: 10, height: 10, fps: 25, crf: 60 },
      { width: 10, height: 10, fps: 25, preset: "warp" },
    ]) {
      await assert.rejects(VideoWriter.open(join(dir, "x.mp4"), options), mediaError("INVALID_ARGUMENT"));
    }
    await assert.rejects(
      VideoWriter.open(join(dir, "no-dir", "x.mp4"), { width: 10, height: 10, fps: 25 }),
      mediaError("NOT_FOUND", join(dir, "no-dir")),
    );
    await assert.rejects(
      VideoWriter.open(join(dir, "x.mp4"), {
        width: 10,
        height: 10,
        fps: 25,
        ffmpegPath: "/nonexistent/ffmpeg",
      }),
      mediaError("FFMPEG_MISSING", "Debian package ffmpeg"),
    );
  });
});
