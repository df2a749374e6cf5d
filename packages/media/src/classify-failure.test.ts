import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyFailure } from "./classify-failure.ts";

describe("classifyFailure", () => {
  it("recognises ffmpeg's network errors on live sources", () => {
    const refused =
      "[tcp @ 0x55ec90f10140] Connection to tcp://127.0.0.1:9?timeout=2000000 failed: Connection refused\n" +
      "rtsp://admin:secret@127.0.0.1:9/x: Connection refused\n";
    assert.deepEqual(classifyFailure("rtsp", refused), { code: "UNREACHABLE", reason: "connection refused" });
    assert.equal(classifyFailure("http", "http://h/x: Connection timed out").code, "UNREACHABLE");
    assert.equal(classifyFailure("http", "Failed to resolve hostname nowhere.invalid").code, "UNREACHABLE");
    assert.deepEqual(classifyFailure("http", "http://h/x: Server returned 503 Service Unavailable"), {
      code: "UNREACHABLE",
      reason: "server error (503 Service Unavailable)",
    });
  });

  it("tells credentials and missing resources apart", () => {
    assert.equal(classifyFailure("rtsp", "method DESCRIBE failed: 401 Unauthorized").code, "UNAUTHORIZED");
    assert.equal(
      classifyFailure("http", "Server returned 403 Forbidden (access denied)").code,
      "UNAUTHORIZED",
    );
    assert.equal(classifyFailure("http", "http://h/x: Server returned 404 Not Found").code, "NOT_FOUND");
    assert.equal(classifyFailure("file", "/x: No such file or directory").code, "NOT_FOUND");
  });

  it("classifies bad data and damaged MP4s", () => {
    assert.equal(
      classifyFailure("file", "x.txt: Invalid data found when processing input").code,
      "NOT_VIDEO",
    );
    assert.deepEqual(classifyFailure("file", "[mov,mp4 @ 0x1] moov atom not found\nx: Invalid data found"), {
      code: "DECODE",
      reason: "incomplete or damaged file (moov atom not found)",
    });
  });

  it("falls back to UNREACHABLE for live sources, FFMPEG_FAILED with the last line for files", () => {
    assert.deepEqual(classifyFailure("rtsp", "rtsp://u:pw@cam/x: Something odd\n"), {
      code: "UNREACHABLE",
      reason: "rtsp://u:***@cam/x: Something odd",
    });
    assert.deepEqual(classifyFailure("file", "first\nUnknown decoder 'foo'\n\n"), {
      code: "FFMPEG_FAILED",
      reason: "Unknown decoder 'foo'",
    });
    // A network-style error on a file is not "unreachable".
    assert.equal(classifyFailure("file", "x: Connection refused").code, "FFMPEG_FAILED");
    assert.equal(classifyFailure("device", "").reason, "no error output");
  });
});
