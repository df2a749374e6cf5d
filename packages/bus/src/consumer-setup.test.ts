import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startConfig } from "./consumer-setup.ts";

describe("startConfig (where a new consumer starts)", () => {
  it("starts at a time: the first message stored at or after it", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    assert.deepEqual(startConfig({ startTime: at }), {
      deliver_policy: "by_start_time",
      opt_start_time: "2026-01-02T03:04:05.678Z",
    });
  });

  it("a start sequence wins over a start time and a policy; a policy alone, default all", () => {
    assert.deepEqual(startConfig({ startSeq: 7, startTime: new Date(), deliverPolicy: "new" }), {
      deliver_policy: "by_start_sequence",
      opt_start_seq: 7,
    });
    assert.deepEqual(startConfig({ deliverPolicy: "new" }), { deliver_policy: "new" });
    assert.deepEqual(startConfig({}), { deliver_policy: "all" });
  });

  it("refuses a start time that is not a date", () => {
    assert.throws(() => startConfig({ startTime: new Date("not a date") }), /startTime is not a valid date/);
  });
});
