import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OrderedSteps } from "./ordered-steps.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("OrderedSteps", () => {
  it("publishes in start order although later computations finish first", async () => {
    const steps = new OrderedSteps();
    const computed: number[] = [];
    const published: number[] = [];
    const delays = [40, 5, 20, 0];
    await Promise.all(
      delays.map((ms, i) =>
        steps.run(
          async () => {
            await sleep(ms);
            computed.push(i);
            return i;
          },
          async (v) => {
            published.push(v);
          },
        ),
      ),
    );
    assert.notDeepEqual(computed, [0, 1, 2, 3], "the computations overlapped");
    assert.deepEqual(published, [0, 1, 2, 3]);
  });

  it("a failed run neither blocks nor reorders the runs after it", async () => {
    const steps = new OrderedSteps();
    const published: number[] = [];
    const results = await Promise.allSettled([
      steps.run(
        async () => 0,
        async (v) => void published.push(v),
      ),
      steps.run(
        async () => {
          await sleep(10);
          throw new Error("bad frame");
        },
        async () => {},
      ),
      steps.run(
        async () => 2,
        async (v) => void published.push(v),
      ),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.deepEqual(published, [0, 2]);
  });

  it("keeps order per key: a slow run of one key holds none of another key", async () => {
    const steps = new OrderedSteps();
    const published: string[] = [];
    const run = (key: string, name: string, ms: number) =>
      steps.run(
        async () => {
          await sleep(ms);
          return name;
        },
        async (v) => void published.push(v),
        key,
      );
    await Promise.all([run("a", "a1", 40), run("b", "b1", 0), run("a", "a2", 0), run("b", "b2", 5)]);
    assert.deepEqual(published, ["b1", "b2", "a1", "a2"]);
  });
});
