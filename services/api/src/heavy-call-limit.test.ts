import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { HeavyCallLimit } from "./heavy-call-limit.ts";

/** A call that runs until its `finish` is called. */
function held(): { promise: Promise<string>; finish: () => void } {
  let finish = () => {};
  const promise = new Promise<string>((resolve) => {
    finish = () => resolve("done");
  });
  return { promise, finish };
}

describe("HeavyCallLimit", () => {
  it("runs up to the limit at once and refuses one more with RESOURCE_EXHAUSTED naming the key", async () => {
    const limit = new HeavyCallLimit(2);
    const a = held();
    const b = held();
    const first = limit.run("Enroll", () => a.promise);
    const second = limit.run("Enroll", () => b.promise);
    assert.equal(limit.running, 2);
    await assert.rejects(
      limit.run("FindFacesInFile", async () => "never"),
      (e: { code: number; details: string }) => {
        assert.equal(e.code, status.RESOURCE_EXHAUSTED);
        assert.equal(
          e.details,
          "FindFacesInFile: 2 heavy calls (Enroll, EnrollFace, FindFacesInFile) are already running, the limit is 2 (config key api.max_concurrent_heavy_calls): try again later",
        );
        return true;
      },
    );
    a.finish();
    assert.equal(await first, "done");
    // The slot is free again: a call runs.
    assert.equal(await limit.run("Enroll", async () => "ran"), "ran");
    b.finish();
    assert.equal(await second, "done");
    assert.equal(limit.running, 0);
  });

  it("frees the slot of a call that fails", async () => {
    const limit = new HeavyCallLimit(1);
    await assert.rejects(
      limit.run("Enroll", async () => {
        throw new Error("bad image");
      }),
      /bad image/,
    );
    assert.equal(limit.running, 0);
    assert.equal(await limit.run("Enroll", async () => 1), 1);
  });

  it("refuses a limit below 1", () => {
    assert.throws(() => new HeavyCallLimit(0), /heavy call limit must be ≥ 1, got 0/);
  });
});
