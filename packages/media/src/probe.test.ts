import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, tempDir, testVideo } from "@facetracker/testing/media";
import { parseFrameRate, probeVideo } from "./probe.ts";

let dir = "";
let cleanup = async () => {};
before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), []);
});

describe("parseFrameRate", () => {
  it("reads ffprobe's rational rates and refuses unknown or absurd ones", () => {
    assert.equal(parseFrameRate("25/1"), 25);
    assert.equal(parseFrameRate("30000/1001"), 30000 / 1001);
    assert.equal(parseFrameRate("12"), 12);
    for (const bad of ["0/0", "0/1", "90000/1", "abc", "", undefined])
      assert.equal(parseFrameRate(bad), undefined);
  });
});

describe("probeVideo", () => {
  it("describes an MP4 (frame count recorded) and a Matroska file (duration only)", async () => {
    const mp4 = await testVideo(join(dir, "a.mp4"), { seconds: 1, width: 176, height: 144, fps: 15 });
    assert.deepEqual(await probeVideo(mp4), {
      kind: "file",
      input: mp4,
      width: 176,
      height: 144,
      fps: 15,
      codec: "h264",
      durationS: 1,
      startS: 0,
      frameCount: 15,
      pixelFormat: "yuv420p",
    });
    const mkv = await testVideo(join(dir, "a.mkv"), {
      seconds: 1,
      fps: 30000 / 1001,
      extra: ["-c:v", "mpeg4"],
    });
    const info = await probeVideo(mkv, { timeoutS: 5 });
    assert.equal(info.codec, "mpeg4");
    assert.ok(Math.abs((info.fps ?? 0) - 29.97) < 0.01, `fps ${info.fps}`);
    assert.equal(info.frameCount, undefined);
    assert.ok(
      info.durationS !== undefined && Math.abs(info.durationS - 1) < 0.1,
      `duration ${info.durationS}`,
    );
  });

  it("gives the colour matrix and range a stream declares", async () => {
    const tagged = await testVideo(join(dir, "bt709.mp4"), {
      seconds: 0.2,
      extra: ["-colorspace", "bt709", "-color_range", "tv"],
    });
    const info = await probeVideo(tagged);
    assert.deepEqual([info.pixelFormat, info.colorSpace, info.colorRange], ["yuv420p", "bt709", "tv"]);
  });

  it("accepts a parsed source and rejects a bad timeout", async () => {
    const mp4 = await testVideo(join(dir, "b.mp4"), { seconds: 0.2 });
    assert.equal((await probeVideo({ kind: "file", input: mp4 })).width, 320);
    await assert.rejects(probeVideo(mp4, { timeoutS: 0 }), { code: "INVALID_ARGUMENT" });
  });
});
