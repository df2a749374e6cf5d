import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, ffmpeg, isGone, tempDir, testVideo } from "@facetracker/testing/media";
import { MediaError, type MediaErrorCode } from "./errors.ts";
import { type VideoFrame, VideoSource, type VideoSourceOptions } from "./video-source.ts";

let dir = "";
let cleanup = async () => {};
const files = { mp4: "", mkv: "", late: "" };

before(async () => {
  ({ dir, cleanup } = await tempDir());
  files.mp4 = await testVideo(join(dir, "clip.mp4"), { extra: ["-movflags", "+faststart"] });
  files.mkv = await testVideo(join(dir, "clip.mkv"));
  // Audio from 5 s, video from 5.6 s: the first frame's timestamp is not 0 even after ffmpeg removes the
  // file's start time.
  files.late = join(dir, "late.mp4");
  await ffmpeg([
    ...[
      "-f",
      "lavfi",
      "-i",
      "sine=duration=2",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25:duration=1",
    ],
    ...["-map", "0:a", "-map", "1:v", "-vf", "setpts=PTS+0.6/TB", "-c:v", "libx264", "-preset", "ultrafast"],
    ...["-c:a", "aac", "-output_ts_offset", "5", files.late],
  ]);
});

after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

async function readAll(spec: string, options: VideoSourceOptions = {}) {
  const source = await VideoSource.open(spec, options);
  const frames: VideoFrame[] = [];
  for await (const frame of source.frames()) frames.push(frame);
  return { source, frames };
}

const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual}, expected ${expected}`);

function rejectsWith(code: MediaErrorCode, mention?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MediaError, `not a MediaError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (mention !== undefined)
      assert.ok(error.message.includes(mention), `"${error.message}" lacks ${mention}`);
    return true;
  };
}

describe("VideoSource on files", () => {
  it("decodes every frame of a 2 s 25 fps file, with size, index, pts and changing content", async () => {
    const events: unknown[] = [];
    const { source, frames } = await readAll(files.mp4, { onEvent: (e) => events.push(e) });
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
    frames.forEach((frame, i) => {
      assert.equal(frame.index, i);
      assert.equal(frame.width, 320);
      assert.equal(frame.height, 240);
      assert.equal(frame.data.length, 320 * 240 * 3);
      near(frame.pts, i / 25, `pts of frame ${i}`);
    });
    const [first, second] = frames;
    assert.ok(first && second);
    assert.notDeepEqual(first.data, second.data, "consecutive testsrc2 frames should differ");
    assert.ok(new Set(first.data).size > 16, "a testsrc2 frame has many colours");
    assert.deepEqual(events, [{ type: "ended" }]);
    assert.equal(source.pid, undefined);
  });

  it("fps override: 10 fps gives 20 frames 0.1 s apart", async () => {
    const { source, frames } = await readAll(files.mkv, { fps: 10 });
    assert.equal(source.info.fps, 10);
    assert.equal(source.info.frameCount, 20);
    assert.equal(frames.length, 20);
    for (const [i, frame] of frames.entries()) near(frame.pts, i / 10, `pts of frame ${i}`);
  });

  it("resolution override scales the frames", async () => {
    const { source, frames } = await readAll(files.mp4, { resolution: { width: 160, height: 120 } });
    assert.equal(source.info.width, 160);
    assert.equal(source.info.height, 120);
    assert.equal(frames.length, 50);
    for (const frame of frames) {
      assert.equal(frame.width, 160);
      assert.equal(frame.height, 120);
      assert.equal(frame.data.length, 160 * 120 * 3);
    }
  });

  it("gives pts from 0 for a video that starts late in its file", async () => {
    const { frames } = await readAll(files.late);
    assert.equal(frames.length, 25);
    for (const [i, frame] of frames.entries()) near(frame.pts, i / 25, `pts of frame ${i}`);
  });

  it("stops ffmpeg when the loop is left early", async () => {
    const source = await VideoSource.open(files.mp4);
    let pid: number | undefined;
    let count = 0;
    for await (const frame of source.frames()) {
      pid = source.pid;
      if (frame.index === 2) break;
      count++;
    }
    assert.equal(count, 2);
    assert.ok(pid !== undefined);
    assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
    assert.equal(source.pid, undefined);
  });

  it("keeps ffmpeg waiting while the consumer is slow (no buffering of the whole file)", async () => {
    const source = await VideoSource.open(files.mp4);
    const frames = source.frames();
    await frames.next();
    const pid = source.pid;
    assert.ok(pid !== undefined);
    // 50 raw frames are 11 MB; ffmpeg decodes them in a fraction of this wait when nothing holds it back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await isGone(pid), false, "ffmpeg finished: the frames were buffered, not paused");
    let count = 1;
    for await (const _ of { [Symbol.asyncIterator]: () => frames }) count++;
    assert.equal(count, 50);
  });

  it("close() is idempotent, ends the iteration and stops ffmpeg", async () => {
    const source = await VideoSource.open(files.mp4);
    const frames = source.frames();
    assert.equal((await frames.next()).done, false);
    const pid = source.pid;
    assert.ok(pid !== undefined);
    const closing = source.close();
    assert.equal(source.close(), closing);
    await closing;
    assert.ok(await isGone(pid));
    assert.deepEqual(await frames.next(), { done: true, value: undefined });
    await source.close();
    assert.ok(source.closed);
  });

  it("close() before iterating: frames() yields nothing and starts no ffmpeg", async () => {
    const source = await VideoSource.open(files.mp4);
    await source.close();
    const frames: VideoFrame[] = [];
    for await (const frame of source.frames()) frames.push(frame);
    assert.deepEqual(frames, []);
  });

  it("frames() can be called once", async () => {
    const source = await VideoSource.open(files.mp4);
    source.frames();
    assert.throws(() => source.frames(), rejectsWith("INVALID_ARGUMENT"));
    await source.close();
  });

  it("gives each frame its detection copy (the whole picture at the size asked), frame for frame", async () => {
    const copySize = { width: 80, height: 60 };
    const source = await VideoSource.open(files.late, { detectionCopy: copySize });
    const frames: VideoFrame[] = [];
    for await (const frame of source.frames()) frames.push(frame);
    const plain = (await readAll(files.late)).frames;
    assert.equal(frames.length, plain.length);
    for (const [i, frame] of frames.entries()) {
      const copy = frame.detectionCopy;
      assert.deepEqual([copy?.width, copy?.height, copy?.data.length], [80, 60, 80 * 60 * 3], `frame ${i}`);
      assert.deepEqual(frame.data, plain[i]?.data, `frame ${i}: the same pixels as without a copy`);
      near(frame.streamS ?? Number.NaN, plain[i]?.streamS ?? Number.NaN, `frame ${i}'s timestamp`);
      // The copy is this frame resized (a 4× coarser grid of the same picture), not another frame's.
      let diff = 0;
      let other = 0;
      const next = plain[(i + 12) % plain.length] as VideoFrame;
      for (let y = 0; y < 60; y++) {
        for (let x = 0; x < 80; x++) {
          const o = (y * 80 + x) * 3;
          const f = ((y * 4 + 1) * 320 + x * 4 + 1) * 3;
          diff += Math.abs((copy?.data[o] as number) - (frame.data[f] as number));
          other += Math.abs((copy?.data[o] as number) - (next.data[f] as number));
        }
      }
      assert.ok(
        diff < other,
        `frame ${i}: its copy is closer to it than to frame ${(i + 12) % plain.length}`,
      );
    }
    await assert.rejects(
      VideoSource.open(files.mp4, { output: "jpeg", detectionCopy: copySize } as VideoSourceOptions),
      rejectsWith("INVALID_ARGUMENT", "detectionCopy"),
    );
  });

  it("reuses its frames' buffers when asked: a frame stays as it is until the second frame after it is asked for", async () => {
    const plain = (await readAll(files.mp4)).frames;
    const source = await VideoSource.open(files.mp4, {
      reuseBuffers: true,
      detectionCopy: { width: 80, height: 60 },
    });
    const seen = new Set<ArrayBufferLike>();
    let previous: { data: Uint8Array; copy: Uint8Array | undefined; index: number } | undefined;
    let count = 0;
    for await (const frame of source.frames()) {
      assert.deepEqual(frame.data, plain[frame.index]?.data, `frame ${frame.index}`);
      // The frame before is still intact while this one is worked on.
      if (previous)
        assert.deepEqual(previous.data, plain[previous.index]?.data, `frame ${previous.index} kept`);
      seen.add(frame.data.buffer);
      previous = { data: frame.data, copy: frame.detectionCopy?.data, index: frame.index };
      count++;
    }
    assert.equal(count, 50);
    assert.ok(seen.size < 16, `${seen.size} buffers for 50 frames`);
  });

  it("reads a file name with a colon (not taken for a protocol)", async () => {
    const odd = join(dir, "cam:1.mkv");
    await writeFile(odd, await readFile(files.mkv));
    const { frames } = await readAll(odd, { fps: 5 });
    assert.equal(frames.length, 10);
  });
});

describe("VideoSource on damaged files", () => {
  async function truncated(from: string, name: string): Promise<string> {
    const bytes = await readFile(from);
    const path = join(dir, name);
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return path;
  }

  for (const [name, from] of [
    ["half.mkv", () => files.mkv],
    ["half-faststart.mp4", () => files.mp4],
  ] as const) {
    it(`yields the frames that decode from a truncated ${name.split(".")[1]}, then ends or throws DECODE`, {
      timeout: 30_000,
    }, async () => {
      const path = await truncated(from(), name);
      const source = await VideoSource.open(path);
      let count = 0;
      try {
        for await (const frame of source.frames()) {
          assert.equal(frame.index, count++);
        }
      } catch (error) {
        rejectsWith("DECODE", path)(error);
      }
      assert.ok(count > 0 && count < 50, `${count} frames`);
    });
  }

  it("throws DECODE naming the file and ffmpeg's error when ffmpeg fails mid-file", async () => {
    // An "ffmpeg" that passes 3 frames through, then fails like a crashing decoder.
    const fake = join(dir, "failing-ffmpeg");
    await writeFile(
      fake,
      `#!/bin/sh\nffmpeg "$@" | head -c ${320 * 240 * 3 * 3}\necho "[h264 @ 0x1] [error] simulated decoder failure" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const source = await VideoSource.open(files.mp4, { ffmpegPath: fake });
    let count = 0;
    await assert.rejects(
      async () => {
        for await (const _ of source.frames()) count++;
      },
      (error) =>
        rejectsWith("DECODE", files.mp4)(error) && rejectsWith("DECODE", "simulated decoder failure")(error),
    );
    assert.equal(count, 3);
  });

  it("rejects a truncated MP4 without its index (moov at the end) with DECODE", async () => {
    const plain = await testVideo(join(dir, "plain.mp4"), { seconds: 1 });
    await assert.rejects(
      VideoSource.open(await truncated(plain, "half-plain.mp4")),
      rejectsWith("DECODE", "moov"),
    );
  });
});

describe("VideoSource.open errors", () => {
  it("NOT_FOUND for a missing file, naming it", async () => {
    const missing = join(dir, "nope.mp4");
    await assert.rejects(VideoSource.open(missing), rejectsWith("NOT_FOUND", missing));
  });

  it("NOT_VIDEO for text files, short or long (.txt is ANSI art to ffmpeg), and for a directory", async () => {
    const short = join(dir, "notes");
    await writeFile(short, "hello, this is not a video\n");
    const long = join(dir, "log.txt");
    await writeFile(long, Array.from({ length: 3000 }, (_, i) => `line ${i}`).join("\n"));
    await mkdir(join(dir, "folder.mp4"));
    for (const path of [short, long, join(dir, "folder.mp4")]) {
      await assert.rejects(VideoSource.open(path), rejectsWith("NOT_VIDEO", path));
    }
  });

  it("NO_VIDEO_STREAM for an audio-only file", async () => {
    const audio = join(dir, "tone.m4a");
    await ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", audio]);
    await assert.rejects(VideoSource.open(audio), rejectsWith("NO_VIDEO_STREAM", audio));
  });

  it("FFMPEG_MISSING when ffmpeg or ffprobe cannot be found, with the install hint", async () => {
    await assert.rejects(
      VideoSource.open(files.mp4, { ffmpegPath: join(dir, "no-such-ffmpeg") }),
      rejectsWith("FFMPEG_MISSING", "Debian package ffmpeg"),
    );
    await assert.rejects(
      VideoSource.open(files.mp4, { ffprobePath: "no-such-ffprobe-in-path" }),
      rejectsWith("FFMPEG_MISSING", "no-such-ffprobe-in-path"),
    );
  });

  it("INVALID_ARGUMENT for impossible options", async () => {
    for (const options of [
      { fps: 0 },
      { fps: Number.NaN },
      { resolution: { width: 0, height: 10 } },
      { resolution: { width: 10.5, height: 10 } },
      { timeoutS: -1 },
      { reconnect: { maxAttempts: -1 } },
      { reconnect: { initialDelayMs: Number.NaN } },
    ]) {
      await assert.rejects(VideoSource.open(files.mp4, options), rejectsWith("INVALID_ARGUMENT"));
    }
  });
});
