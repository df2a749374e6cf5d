import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clipBaseKey,
  clipKey,
  InvalidClipKeyError,
  parseClipKey,
  validateKey,
  validatePrefix,
  validateSuffix,
} from "./clip-key.ts";

describe("clipKey", () => {
  it("makes <camera>/<YYYY-MM-DD>/<HHMMSS>-<alertId><ext> in UTC", () => {
    const t = Date.UTC(2024, 4, 17, 8, 3, 9, 999);
    assert.equal(clipKey("cam1", t, "a1b2", ".mp4"), "cam1/2024-05-17/080309-a1b2.mp4");
    assert.equal(clipKey("cam1", t, "a1b2", ".annotated.mp4"), "cam1/2024-05-17/080309-a1b2.annotated.mp4");
    assert.equal(clipKey("cam1", t, "a1b2", ""), "cam1/2024-05-17/080309-a1b2");
    // 23:59:59.5 UTC on Dec 31 stays on that UTC day whatever the local zone.
    assert.equal(
      clipKey("c", Date.UTC(2023, 11, 31, 23, 59, 59, 500), "x", ".json"),
      "c/2023-12-31/235959-x.json",
    );
  });

  it("refuses camera ids, alert ids, times and extensions that would make an unsafe key", () => {
    assert.throws(() => clipKey("../etc", 0, "a", ".mp4"), InvalidClipKeyError);
    assert.throws(() => clipKey("cam/1", 0, "a", ".mp4"), /invalid camera id "cam\/1"/);
    assert.throws(() => clipKey("cam1", 0, "a b", ".mp4"), /invalid alert id "a b"/);
    assert.throws(() => clipKey("cam1", Number.NaN, "a", ".mp4"), /invalid clip time NaN/);
    assert.throws(() => clipKey("cam1", 0, "a", "mp4"), /invalid clip file suffix "mp4"/);
    assert.throws(() => clipKey("cam1", 0, "a", "./x"), InvalidClipKeyError);
  });
});

describe("validateKey", () => {
  it("accepts safe relative keys", () => {
    for (const key of ["a", "cam1/2024-05-17/080309-a1.mp4", "A_b-c.d/e"]) validateKey(key);
  });

  it("refuses traversal, absolute paths, empty segments, hidden names and unsafe characters, saying why", () => {
    const cases: [string, RegExp][] = [
      ["", /non-empty/],
      ["/abs/x.mp4", /no leading '\/'/],
      ["a/../b", /'\.\.' segments/],
      ["..", /'\.\.' segments/],
      ["a/./b", /'\.' segments/],
      ["a//b", /empty path segment/],
      ["a/b/", /empty path segment/],
      ["a/.hidden", /not start with '\.'/],
      ["a b", /segment "a b"/],
      ["a\\b", /segment "a\\b"/],
      ["caf\u00e9", /letters, digits/],
      ["x".repeat(1025), /longer than 1024/],
    ];
    for (const [key, message] of cases) {
      assert.throws(
        () => validateKey(key),
        (error: Error) => error instanceof InvalidClipKeyError && message.test(error.message),
        key,
      );
    }
  });

  it("validates prefixes and suffixes", () => {
    validatePrefix("");
    validatePrefix("cam1/");
    validatePrefix("cam1/2024-05");
    assert.throws(() => validatePrefix("../"), /invalid clip key prefix "\.\.\/"/);
    assert.throws(() => validatePrefix("/cam1"), /invalid clip key prefix/);
    validateSuffix("");
    validateSuffix(".annotated.mp4");
    assert.throws(() => validateSuffix(".mp4/"), InvalidClipKeyError);
  });
});

describe("clipBaseKey", () => {
  it("strips the clip file suffixes so a clip's files group together", () => {
    assert.equal(clipBaseKey("c/d/1-a.mp4"), "c/d/1-a");
    assert.equal(clipBaseKey("c/d/1-a.json"), "c/d/1-a");
    assert.equal(clipBaseKey("c/d/1-a.annotated.mp4"), "c/d/1-a");
    assert.equal(clipBaseKey("c/d/1-a.txt"), "c/d/1-a.txt");
  });
});

describe("parseClipKey", () => {
  it("reads back what clipKey writes", () => {
    const t = Date.UTC(2024, 4, 17, 8, 3, 9);
    for (const ext of ["", ".mp4", ".json", ".annotated.mp4"]) {
      assert.deepEqual(parseClipKey(clipKey("cam1", t, "a1b2", ext)), {
        camera: "cam1",
        time: new Date(t),
        alertId: "a1b2",
        ext,
      });
    }
  });

  it("is undefined for keys of another form or an impossible date", () => {
    assert.equal(parseClipKey("cam1/clip.mp4"), undefined);
    assert.equal(parseClipKey("cam1/2024-02-30/080309-a.mp4"), undefined);
  });
});
