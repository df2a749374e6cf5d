import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readAhead } from "./decoder-process.ts";

/** Yields 0…n-1 then returns "end", counting the items it was asked for. */
function counting(n: number, failAt?: number) {
  const state = { produced: 0, returned: false };
  async function* source(): AsyncGenerator<number, string> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`item ${i} failed`);
        state.produced++;
        yield i;
      }
      return "end";
    } finally {
      state.returned = true;
    }
  }
  return { source: source(), state };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("readAhead", () => {
  it("passes the items on in order with the end value, reading at most `ahead` beyond the consumer", async () => {
    const { source, state } = counting(10);
    const ahead = readAhead(source, 3);
    assert.deepEqual(await ahead.next(), { done: false, value: 0 });
    await tick();
    // Item 0 taken, items 1-3 buffered, and one more asked for while there was room.
    assert.ok(state.produced <= 5, `${state.produced} items read with 3 ahead`);
    const rest: number[] = [];
    for (;;) {
      const next = await ahead.next();
      if (next.done) {
        assert.equal(next.value, "end");
        break;
      }
      rest.push(next.value);
    }
    assert.deepEqual(rest, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("passes an error on after the items before it", async () => {
    const { source } = counting(10, 4);
    const ahead = readAhead(source, 2);
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const item of ahead) got.push(item);
      })(),
      /item 4 failed/,
    );
    assert.deepEqual(got, [0, 1, 2, 3]);
  });

  it("stops reading and returns the source when left early", async () => {
    const { source, state } = counting(1000);
    for await (const item of readAhead(source, 2)) if (item === 1) break;
    await tick();
    assert.ok(state.returned, "the source was returned");
    assert.ok(state.produced < 10, `${state.produced} items read`);
  });
});
