import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { MediaError } from "./errors.ts";
import { describeSource, isLiveSource, maskCredentials, parseVideoSource } from "./source-spec.ts";

describe("parseVideoSource", () => {
  it("takes numbers and digit strings for camera indexes", () => {
    assert.deepEqual(parseVideoSource(0), { kind: "device", input: "/dev/video0" });
    assert.deepEqual(parseVideoSource("2"), { kind: "device", input: "/dev/video2" });
    assert.deepEqual(parseVideoSource("/dev/video10"), { kind: "device", input: "/dev/video10" });
  });

  it("recognises RTSP and HTTP URLs, any case", () => {
    assert.equal(parseVideoSource("rtsp://cam.local:554/stream1").kind, "rtsp");
    assert.equal(parseVideoSource("RTSPS://cam/x").kind, "rtsp");
    assert.equal(parseVideoSource("http://127.0.0.1:8080/live.ts").kind, "http");
    assert.equal(parseVideoSource("https://example.org/v.mp4").kind, "http");
    assert.equal(parseVideoSource("rtsp://u:p@cam/x").input, "rtsp://u:p@cam/x");
  });

  it("takes anything else for a file path, made absolute", () => {
    assert.deepEqual(parseVideoSource("clips/a.mp4"), { kind: "file", input: resolve("clips/a.mp4") });
    assert.deepEqual(parseVideoSource("/tmp/x:y.mkv"), { kind: "file", input: "/tmp/x:y.mkv" });
    assert.equal(parseVideoSource("/dev/videos/a.mp4").kind, "file");
    assert.equal(parseVideoSource("12a").kind, "file");
    assert.equal(parseVideoSource("ftp://host/x.mp4").kind, "file");
  });

  it("rejects negative or fractional indexes and empty strings", () => {
    for (const bad of [-1, 1.5, Number.NaN, "", "  "]) {
      assert.throws(
        () => parseVideoSource(bad),
        (e: unknown) => e instanceof MediaError && e.code === "INVALID_ARGUMENT",
      );
    }
  });

  it("counts everything but files as live", () => {
    assert.deepEqual((["file", "rtsp", "http", "device"] as const).map(isLiveSource), [
      false,
      true,
      true,
      true,
    ]);
  });
});

describe("maskCredentials", () => {
  it("hides passwords in URLs, also inside longer text", () => {
    assert.equal(maskCredentials("rtsp://admin:s3cr3t@10.0.0.5/h264"), "rtsp://admin:***@10.0.0.5/h264");
    assert.equal(
      maskCredentials("rtsp://admin:pa:ss@cam/x: Connection refused"),
      "rtsp://admin:***@cam/x: Connection refused",
    );
    assert.equal(maskCredentials("http://cam/x?a=b"), "http://cam/x?a=b");
    assert.equal(
      maskCredentials("http://cam/x.mjpg?user=admin&password=s3cr3t&fps=5: timed out"),
      "http://cam/x.mjpg?user=admin&password=***&fps=5: timed out",
    );
    assert.equal(maskCredentials("rtsp://cam/live?token=abc.def-1"), "rtsp://cam/live?token=***");
    assert.equal(maskCredentials("https://cam/x?Access_Token=t&q=1"), "https://cam/x?Access_Token=***&q=1");
  });

  it("masks the URL in descriptions", () => {
    assert.equal(describeSource(parseVideoSource("rtsp://u:pw@cam/1")), "RTSP stream rtsp://u:***@cam/1");
    assert.equal(describeSource(parseVideoSource(0)), "camera /dev/video0");
  });
});
