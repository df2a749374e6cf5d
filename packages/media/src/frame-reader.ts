/**
 * Splits a byte stream of raw frames (rawvideo, fixed size) into frames. Each frame is one allocation,
 * filled by copying the chunk pieces into it (no concatenation of buffers). Reading is pull-based: while
 * the consumer holds a frame, the stream is not read, its buffer fills and the pipe pauses (backpressure),
 * so a fast producer never piles frames up in memory.
 */

/** A frame buffer of `size` bytes, not zero-filled (every byte gets written), owning its ArrayBuffer. */
function allocateFrame(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

export interface FrameReadResult {
  /** Bytes at the end of the stream that did not make a whole frame (0 for a clean end). */
  trailingBytes: number;
}

/** Yields each complete frame of `frameSize` bytes of `chunks`; returns what was left over at the end. */
export async function* readFrames(
  chunks: AsyncIterable<Uint8Array>,
  frameSize: number,
): AsyncGenerator<Uint8Array, FrameReadResult> {
  if (!Number.isSafeInteger(frameSize) || frameSize <= 0) {
    throw new RangeError(`frame size must be a positive integer, got ${frameSize}`);
  }
  let frame: Uint8Array | undefined;
  let filled = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      frame ??= allocateFrame(frameSize);
      const count = Math.min(frameSize - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + count), filled);
      filled += count;
      offset += count;
      if (filled === frameSize) {
        const complete = frame;
        frame = undefined;
        filled = 0;
        yield complete;
      }
    }
  }
  return { trailingBytes: filled };
}
