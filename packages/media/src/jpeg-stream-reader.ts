/**
 * Splits a byte stream of concatenated JPEG images (ffmpeg's mjpeg output) into images. The boundaries come
 * from the JPEG syntax, not from searching for FF D9 (which may appear inside a segment): after SOI each
 * marker segment is skipped by its length up to SOS, then the entropy-coded data is scanned for the first
 * marker that is neither stuffing (FF 00) nor a restart (FF D0..D7). That is EOI, the end of the image, or
 * another segment between the scans of a multi-scan image, which is skipped in turn.
 *
 * Reading is pull-based like frame-reader.ts: the next chunk is read only when the consumer asks for the
 * next image, so a fast producer is held back by the pipe (backpressure). Each image is copied once into its
 * own buffer. Bytes that break the syntax (anything but an image where one should start, a bad marker, an
 * image beyond the size limit) throw JpegStreamError naming the stream offset.
 */

import type { FrameReadResult } from "./frame-reader.ts";

/** Default bound on one image's size: a stream that never reaches EOI fails instead of filling memory. */
export const DEFAULT_MAX_JPEG_BYTES = 64 * 1024 * 1024;

/** The stream is not a sequence of JPEG images; `offset` is the stream position of the offending byte. */
export class JpegStreamError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset} of the stream)`);
    this.name = "JpegStreamError";
    this.offset = offset;
  }
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** TEM: a marker without a length (like RSTn, SOI, EOI). */
const TEM = 0x01;

const isRestart = (code: number) => code >= 0xd0 && code <= 0xd7;
const hex = (byte: number) => byte.toString(16).toUpperCase().padStart(2, "0");

/** Where the scanner is in the JPEG syntax. */
type ScanState =
  /** Between images: the next byte starts an image (FF of SOI). */
  | "start"
  /** After the FF of SOI. */
  | "start-code"
  /** A marker is due (its FF). */
  | "marker"
  /** After a marker's FF (fill FFs may repeat). */
  | "marker-code"
  /** The two bytes of a segment length. */
  | "length-high"
  | "length-low"
  /** Inside a segment's payload, `remaining` bytes left. */
  | "segment"
  /** Entropy-coded data after SOS. */
  | "entropy"
  /** After an FF in entropy-coded data. */
  | "entropy-marker";

/**
 * Finds where JPEG images end in a stream fed in pieces, whatever the piece boundaries (a marker or a
 * segment length may be split across two pieces).
 */
export class JpegBoundaryScanner {
  #state: ScanState = "start";
  /** Stream offset of the next byte to scan. */
  #offset = 0;
  /** Stream offset of index 0 of the bytes being scanned (for the offsets of errors). */
  #base = 0;
  /** The marker whose segment is being read. */
  #marker = 0;
  #lengthHigh = 0;
  /** Payload bytes of the current segment still to skip. */
  #remaining = 0;
  /** Whether the current image has had a scan (SOS) yet. */
  #scanned = false;

  /**
   * Scans `bytes` from `from`: returns the index just past the EOI of the image that ends there, or -1 when
   * the image goes on past the end of `bytes`. Throws JpegStreamError where the bytes break the syntax.
   */
  scan(bytes: Uint8Array, from = 0): number {
    let i = from;
    const end = bytes.length;
    this.#base = this.#offset - from;
    try {
      while (i < end) {
        switch (this.#state) {
          case "start":
            this.#expect(bytes, i, 0xff, "the start of a JPEG image (FF D8)");
            this.#state = "start-code";
            i++;
            break;
          case "start-code":
            this.#expect(bytes, i, SOI, "the start of a JPEG image (FF D8)");
            this.#scanned = false;
            this.#state = "marker";
            i++;
            break;
          case "marker":
            this.#expect(bytes, i, 0xff, "a JPEG marker (FF)");
            this.#state = "marker-code";
            i++;
            break;
          case "marker-code": {
            const code = bytes[i++] as number;
            if (code === 0xff) break; // fill byte before the marker code
            if (this.#markerCode(code, i - 1)) return i;
            break;
          }
          case "length-high":
            this.#lengthHigh = bytes[i++] as number;
            this.#state = "length-low";
            break;
          case "length-low": {
            const length = (this.#lengthHigh << 8) | (bytes[i++] as number);
            if (length < 2) {
              throw this.#error(
                `JPEG segment FF ${hex(this.#marker)} has an impossible length ${length}`,
                i - 2,
              );
            }
            this.#remaining = length - 2;
            this.#state = "segment";
            if (this.#remaining === 0) this.#segmentDone();
            break;
          }
          case "segment": {
            const count = Math.min(this.#remaining, end - i);
            i += count;
            this.#remaining -= count;
            if (this.#remaining === 0) this.#segmentDone();
            break;
          }
          case "entropy": {
            const ff = bytes.indexOf(0xff, i);
            if (ff === -1) {
              i = end;
            } else {
              i = ff + 1;
              this.#state = "entropy-marker";
            }
            break;
          }
          case "entropy-marker": {
            const code = bytes[i++] as number;
            if (code === 0x00 || isRestart(code)) this.#state = "entropy";
            else if (code !== 0xff && this.#markerCode(code, i - 1)) return i;
            break;
          }
        }
      }
      return -1;
    } finally {
      this.#offset = this.#base + i;
    }
  }

  /** Handles the marker `code` read at index `at`; true when it is the EOI that ends the image. */
  #markerCode(code: number, at: number): boolean {
    if (code === EOI) {
      if (!this.#scanned) throw this.#error("JPEG image ends (FF D9) before any scan (FF DA)", at - 1);
      this.#state = "start";
      return true;
    }
    if (code === SOI) throw this.#error("JPEG image starts again (FF D8) before its end (FF D9)", at - 1);
    if (code === 0x00) throw this.#error("FF 00 where a JPEG marker is due", at - 1);
    if (isRestart(code) || code === TEM) {
      this.#state = "marker";
      return false;
    }
    this.#marker = code;
    this.#state = "length-high";
    return false;
  }

  #segmentDone(): void {
    if (this.#marker === SOS) {
      this.#scanned = true;
      this.#state = "entropy";
    } else {
      this.#state = "marker";
    }
  }

  #expect(bytes: Uint8Array, at: number, expected: number, what: string): void {
    const found = bytes[at] as number;
    if (found !== expected) throw this.#error(`expected ${what}, found ${hex(found)}`, at);
  }

  /** An error about the byte at index `at` of the bytes being scanned (negative: an earlier piece). */
  #error(message: string, at: number): JpegStreamError {
    return new JpegStreamError(message, this.#base + at);
  }
}

/** A buffer of exactly `size` bytes owning its ArrayBuffer, filled from `pieces`. */
function joinPieces(pieces: Uint8Array[], size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  const image = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  let filled = 0;
  for (const piece of pieces) {
    image.set(piece, filled);
    filled += piece.length;
  }
  return image;
}

export interface JpegReadOptions {
  /** Largest image accepted, bytes (default DEFAULT_MAX_JPEG_BYTES); a larger one throws JpegStreamError. */
  maxImageBytes?: number;
}

/**
 * Yields each complete JPEG image of `chunks`, in its own buffer; returns the size of an incomplete image
 * cut off by the end of the stream (0 for a clean end). Throws JpegStreamError on bytes that are not JPEG
 * images back to back.
 */
export async function* readJpegImages(
  chunks: AsyncIterable<Uint8Array>,
  options: JpegReadOptions = {},
): AsyncGenerator<Uint8Array, FrameReadResult> {
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_JPEG_BYTES;
  if (!Number.isSafeInteger(maxImageBytes) || maxImageBytes <= 0) {
    throw new RangeError(`maxImageBytes must be a positive integer, got ${maxImageBytes}`);
  }
  const scanner = new JpegBoundaryScanner();
  /** Stream offset where the current image starts. */
  let imageStart = 0;
  /** The current image's bytes so far: views of the chunks, copied once the image is complete. */
  let pieces: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const end = scanner.scan(chunk, offset);
      const stop = end === -1 ? chunk.length : end;
      pieces.push(chunk.subarray(offset, stop));
      size += stop - offset;
      offset = stop;
      if (size > maxImageBytes) {
        throw new JpegStreamError(`JPEG image larger than the limit of ${maxImageBytes} bytes`, imageStart);
      }
      if (end !== -1) {
        const image = joinPieces(pieces, size);
        imageStart += size;
        pieces = [];
        size = 0;
        yield image;
      }
    }
  }
  return { trailingBytes: size };
}
