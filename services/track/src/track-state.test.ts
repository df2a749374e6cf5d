import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSavedState } from "./track-state.ts";

describe("parseSavedState (a camera's saved tracking state)", () => {
  it("refuses another format version or a record missing its parts, saying why", () => {
    assert.throws(
      () => parseSavedState({ v: 0, streamSeq: 1 }),
      /unsupported saved state version 0 \(this build reads version 1\)/,
    );
    assert.throws(() => parseSavedState({ v: 1, streamSeq: -1 }), /no valid streamSeq/);
    assert.throws(() => parseSavedState({ v: 1, streamSeq: 3 }), /no streamCreated/);
    assert.throws(() => parseSavedState({ v: 1, streamSeq: 3, streamCreated: "t" }), /no stage/);
    assert.throws(() => parseSavedState("x"), /not an object/);
  });

  it("accepts a complete record", () => {
    const record = { v: 1, streamSeq: 3, streamCreated: "t", stage: {} };
    assert.equal(parseSavedState(record), record);
  });
});
