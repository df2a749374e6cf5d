import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allCamerasSubject,
  deadLetterSubject,
  InvalidCameraIdError,
  parseCameraSubject,
  subject,
  validateCameraId,
} from "./subjects.ts";

describe("subjects", () => {
  it("builds ft.<kind>.<camera> for every kind", () => {
    assert.equal(subject("frames", "cam1"), "ft.frames.cam1");
    assert.equal(subject("detections", "Door_2-b"), "ft.detections.Door_2-b");
    assert.equal(subject("tracks", "c"), "ft.tracks.c");
    assert.equal(subject("snapshots", "c"), "ft.snapshots.c");
    assert.equal(subject("alerts", "c"), "ft.alerts.c");
    assert.equal(subject("clips", "c"), "ft.clips.c");
    assert.equal(allCamerasSubject("alerts"), "ft.alerts.*");
  });

  it("rejects camera ids that are not one safe subject token, saying what is allowed", () => {
    for (const bad of ["", "a.b", "cam*", "cam>", "cam 1", "ca/m", "é", "x".repeat(65)]) {
      assert.throws(
        () => subject("frames", bad),
        (error: Error) => {
          assert.ok(error instanceof InvalidCameraIdError, bad);
          assert.match(error.message, /1 to 64 letters, digits, '_' or '-'/);
          return true;
        },
      );
    }
    assert.equal(validateCameraId("x".repeat(64)), "x".repeat(64));
  });

  it("rejects unknown kinds", () => {
    assert.throws(() => subject("faces" as "frames", "cam1"), /unknown subject kind "faces"/);
  });

  it("parses camera subjects back, and nothing else", () => {
    assert.deepEqual(parseCameraSubject("ft.alerts.door"), { kind: "alerts", camera: "door" });
    assert.equal(parseCameraSubject("ft.alerts.door.extra"), undefined);
    assert.equal(parseCameraSubject("ft.embed"), undefined);
    assert.equal(parseCameraSubject("xx.alerts.door"), undefined);
  });

  it("maps a subject to its dead-letter subject", () => {
    assert.equal(deadLetterSubject("ft.detections.cam1"), "ft.dlq.detections");
    assert.equal(deadLetterSubject("ft.embed"), "ft.dlq.embed");
    assert.equal(deadLetterSubject("ft.gallery.changed"), "ft.dlq.gallery");
    assert.equal(deadLetterSubject("ft.dlq.detections"), "ft.dlq.other");
    assert.equal(deadLetterSubject("other.subject"), "ft.dlq.other");
  });
});
