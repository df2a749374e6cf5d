import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MicroBatcher } from "./micro-batcher.ts";

describe("MicroBatcher", () => {
  it("runs what waits as one batch and hands each submitter its own results", async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      runs.push(items);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return items.map((x) => x * 10);
    });
    const first = batcher.submit([1]);
    // These three arrive while the first batch runs: one batch.
    const rest = [batcher.submit([2, 3]), batcher.submit([4]), batcher.submit([5, 6])];
    assert.deepEqual(await first, [10]);
    assert.deepEqual(await Promise.all(rest), [[20, 30], [40], [50, 60]]);
    assert.deepEqual(runs, [[1], [2, 3, 4, 5, 6]]);
    assert.deepEqual(batcher.batchSizes, [1, 5]);
  });

  it("caps a batch at maxItems and fails only the submitters of a failed batch", async () => {
    const batcher = new MicroBatcher<number, number>(async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (items.includes(-1)) throw new Error("bad crop");
      return items;
    }, 2);
    const a = batcher.submit([1]);
    const b = batcher.submit([2, -1]);
    const c = batcher.submit([3]);
    assert.deepEqual(await a, [1]);
    await assert.rejects(b, /bad crop/);
    assert.deepEqual(await c, [3]);
    assert.deepEqual(batcher.batchSizes, [1, 2, 1]);
  });
});
