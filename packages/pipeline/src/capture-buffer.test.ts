import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CaptureBuffer } from "./capture-buffer.ts";

/** Frame `n`, captured at n × 100 ms, 10 bytes. */
const frame = (n: number) => ({ n, capturedAtMs: n * 100, bytes: 10 });
type Frame = ReturnType<typeof frame>;
const numbers = (items: { n: number }[]) => items.map((i) => i.n);

async function drain(buffer: CaptureBuffer<Frame>): Promise<number[]> {
  const out: number[] = [];
  while (buffer.size > 0) out.push((await buffer.take())?.n ?? -1);
  return out;
}

describe("CaptureBuffer (frames between capture and publishing)", () => {
  it("keeps the newest liveItems normally, dropping and counting the oldest", async () => {
    const buffer = new CaptureBuffer<Frame>({ liveItems: 2, outageMs: 10_000, maxBytes: 1_000_000 });
    assert.deepEqual(buffer.push(frame(1)), []);
    assert.deepEqual(buffer.push(frame(2)), []);
    assert.deepEqual(numbers(buffer.push(frame(3))), [1]);
    assert.equal(buffer.dropped, 1);
    assert.deepEqual(await drain(buffer), [2, 3]);
    assert.equal(buffer.bytes, 0);
  });

  it("during an outage keeps what was captured within outageMs, drops older frames, then returns to normal", async () => {
    const buffer = new CaptureBuffer<Frame>({ liveItems: 2, outageMs: 1000, maxBytes: 1_000_000 });
    buffer.push(frame(1));
    const failed = await buffer.take(); // publishing it failed: the bus is down
    assert.equal(buffer.beginOutage(), true);
    assert.equal(buffer.beginOutage(), false, "one outage");
    assert.deepEqual(buffer.putBack(failed as Frame), []);
    const dropped: number[] = [];
    for (let n = 2; n <= 15; n++) dropped.push(...numbers(buffer.push(frame(n))));
    // Frame 15 at 1500 ms: frames captured before 500 ms (1 … 4) are beyond the bound.
    assert.deepEqual(dropped, [1, 2, 3, 4]);
    assert.equal(buffer.outageDropped, 4);
    assert.equal(buffer.size, 11);
    // The bus is back: published in capture order.
    assert.deepEqual((await buffer.take())?.n, 5);
    assert.deepEqual(numbers(buffer.endOutage()), [6, 7, 8, 9, 10, 11, 12, 13], "back to the normal bound");
    assert.equal(buffer.inOutage, false);
    assert.deepEqual(await drain(buffer), [14, 15]);
  });

  it("bounds an outage by bytes too; a frame put back that is too old is dropped at once", () => {
    const buffer = new CaptureBuffer<Frame>({ liveItems: 1, outageMs: 60_000, maxBytes: 35 });
    buffer.beginOutage();
    const dropped: number[] = [];
    for (let n = 1; n <= 5; n++) dropped.push(...numbers(buffer.push(frame(n))));
    assert.deepEqual(dropped, [1, 2], "40 bytes, then 50, are above 35");
    assert.equal(buffer.bytes, 30);
    const short = new CaptureBuffer<Frame>({ liveItems: 1, outageMs: 100, maxBytes: 1000 });
    short.beginOutage();
    short.push(frame(10));
    assert.deepEqual(numbers(short.putBack(frame(1))), [1]);
  });

  it("outage_buffer_s 0: an outage keeps only the normal items", () => {
    const buffer = new CaptureBuffer<Frame>({ liveItems: 2, outageMs: 0, maxBytes: 0 });
    buffer.beginOutage();
    for (let n = 1; n <= 5; n++) buffer.push(frame(n));
    assert.equal(buffer.size, 2);
    assert.equal(buffer.outageDropped, 3);
  });

  it("pushWhenRoom waits instead of dropping; close() lets take() drain what is left", async () => {
    const buffer = new CaptureBuffer<Frame>({ liveItems: 1, outageMs: 0, maxBytes: 0 });
    assert.equal(await buffer.pushWhenRoom(frame(1)), true);
    let second = false;
    const pushing = buffer.pushWhenRoom(frame(2)).then((ok) => {
      second = ok;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, false, "waits while full");
    assert.equal((await buffer.take())?.n, 1);
    await pushing;
    assert.equal(second, true);
    buffer.close();
    assert.equal((await buffer.take())?.n, 2);
    assert.equal(await buffer.take(), undefined);
    assert.equal(await buffer.pushWhenRoom(frame(3)), false);
    assert.throws(() => buffer.push(frame(4)), /closed/);
  });

  it("refuses bounds that cannot work, naming them", () => {
    assert.throws(
      () => new CaptureBuffer<Frame>({ liveItems: 0, outageMs: 0, maxBytes: 0 }),
      /liveItems must be/,
    );
    assert.throws(
      () => new CaptureBuffer<Frame>({ liveItems: 1, outageMs: -1, maxBytes: 0 }),
      /outageMs must be/,
    );
  });
});
