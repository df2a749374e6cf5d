import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DropOldestQueue } from "./drop-oldest-queue.ts";

describe("DropOldestQueue", () => {
  it("drops the oldest item when full and counts drops", () => {
    const q = new DropOldestQueue<number>(2);
    assert.equal(q.push(1), undefined);
    assert.equal(q.push(2), undefined);
    assert.equal(q.push(3), 1);
    assert.equal(q.dropped, 1);
    assert.equal(q.size, 2);
  });

  it("hands an item straight to a waiting consumer, and ends waiters on close", async () => {
    const q = new DropOldestQueue<string>(1);
    const waiting = q.take();
    q.push("a");
    assert.equal(await waiting, "a");
    const pending = q.take();
    q.close();
    assert.equal(await pending, undefined);
    assert.throws(() => q.push("b"), /closed/);
  });

  it("pushWhenRoom waits for room instead of dropping, and gives up on close", async () => {
    const q = new DropOldestQueue<number>(1);
    assert.equal(await q.pushWhenRoom(1), true);
    let second = false;
    const pushing = q.pushWhenRoom(2).then((ok) => {
      second = ok;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, false, "waits while full");
    assert.equal(await q.take(), 1);
    await pushing;
    assert.equal(second, true);
    assert.equal(await q.take(), 2);
    assert.equal(q.dropped, 0);
    await q.pushWhenRoom(3);
    const blocked = q.pushWhenRoom(4);
    q.close();
    assert.equal(await blocked, false);
  });

  it("refuses a capacity below 1", () => {
    assert.throws(() => new DropOldestQueue(0), /capacity/);
  });
});
