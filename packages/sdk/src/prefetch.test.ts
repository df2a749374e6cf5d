import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { prefetch } from "./prefetch.ts";

describe("prefetch", () => {
  it("yields in input order while keeping work in flight ahead", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const out: number[] = [];
    const work = async (n: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep((5 - n) * 3); // later items finish first
      inFlight--;
      return n * 10;
    };
    for await (const r of prefetch([0, 1, 2, 3, 4], 3, work)) {
      assert.ok(r.ok);
      out.push(r.value);
    }
    assert.deepEqual(out, [0, 10, 20, 30, 40]);
    assert.ok(maxInFlight >= 3 && maxInFlight <= 4, `max in flight ${maxInFlight}`);
  });

  it("reports a failure in place and goes on", async () => {
    const results = [];
    for await (const r of prefetch(["a", "bad", "c"], 2, async (s) => {
      if (s === "bad") throw new Error("broken input");
      return s.toUpperCase();
    })) {
      results.push(r.ok ? r.value : `error: ${r.error.message}`);
    }
    assert.deepEqual(results, ["A", "error: broken input", "C"]);
  });
});
