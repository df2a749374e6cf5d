import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { readFrames } from "./frame-reader.ts";

async function* chunksOf(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = sizes[i++ % sizes.length] ?? 1;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect(source: AsyncIterable<Uint8Array>, frameSize: number) {
  const frames: Uint8Array[] = [];
  const reader = readFrames(source, frameSize);
  for (;;) {
    const next = await reader.next();
    if (next.done) return { frames, trailingBytes: next.value.trailingBytes };
    frames.push(next.value);
  }
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 251);

describe("readFrames", () => {
  it("with reuse, writes the frames into that many buffers in turn", async () => {
    const data = bytes(7 * 12);
    const reader = readFrames(chunksOf(data, [5]), 12, 3);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 7; i++) {
      const next = await reader.next();
      assert.equal(next.done, false);
      const frame = next.value as Uint8Array;
      assert.deepEqual(frame, data.subarray(i * 12, (i + 1) * 12), `frame ${i} as read`);
      frames.push(frame);
    }
    assert.equal(new Set(frames.map((f) => f.buffer)).size, 3);
    assert.equal(frames[0], frames[3], "frame 3 went into frame 0's buffer");
    await assert.rejects(readFrames(chunksOf(data, [5]), 12, 1).next(), /at least 2/);
  });

  it("reassembles frames whatever the chunk boundaries", async () => {
    const data = bytes(5 * 12);
    for (const sizes of [[1], [5], [12], [13], [7, 30, 1], [60]]) {
      const { frames, trailingBytes } = await collect(chunksOf(data, sizes), 12);
      assert.equal(frames.length, 5, `chunks ${sizes}`);
      assert.equal(trailingBytes, 0);
      frames.forEach((frame, i) => {
        assert.deepEqual(frame, data.subarray(i * 12, (i + 1) * 12), `frame ${i}, chunks ${sizes}`);
      });
    }
  });

  it("gives each frame its own buffer (not a view of a reused one)", async () => {
    const { frames } = await collect(chunksOf(bytes(36), [36]), 12);
    const [a, b] = frames;
    assert.ok(a && b);
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, 12);
  });

  it("reports an incomplete last frame instead of yielding it", async () => {
    const { frames, trailingBytes } = await collect(chunksOf(bytes(12 * 2 + 5), [10]), 12);
    assert.equal(frames.length, 2);
    assert.equal(trailingBytes, 5);
    assert.deepEqual(await collect(chunksOf(new Uint8Array(0), [1]), 12), { frames: [], trailingBytes: 0 });
  });

  it("rejects a frame size that is not a positive integer", async () => {
    await assert.rejects(collect(chunksOf(bytes(4), [4]), 0), RangeError);
    await assert.rejects(collect(chunksOf(bytes(4), [4]), 2.5), RangeError);
  });

  it("does not read ahead of the consumer (backpressure)", async () => {
    const frameSize = 1000;
    let produced = 0;
    const source = new Readable({
      highWaterMark: frameSize,
      read() {
        produced += 100;
        this.push(new Uint8Array(100));
      },
    });
    const reader = readFrames(source, frameSize);
    await reader.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const afterOneFrame = produced;
    // One frame taken: the stream buffered at most about its high-water mark beyond it, then stopped.
    assert.ok(afterOneFrame <= 3 * frameSize, `produced ${afterOneFrame} bytes for one frame consumed`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(produced, afterOneFrame, "kept reading while the consumer held the frame");
    await reader.return({ trailingBytes: 0 });
    assert.ok(source.destroyed);
  });
});
