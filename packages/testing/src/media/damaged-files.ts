/**
 * Damaged copies of media files, made the way damage happens (bytes changed on disk), and a valid image
 * too large to decode, made cheaply.
 */

import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";

const run = promisify(execFile);

/** Copies `input` to `output` with `count` bytes inverted (XOR 0xFF) from `at` × the file's size. */
export async function flipBytes(
  input: string,
  output: string,
  options: { at: number; count: number },
): Promise<string> {
  const bytes = new Uint8Array(await readFile(input));
  const start = Math.floor(bytes.length * options.at);
  const end = Math.min(bytes.length, start + options.count);
  for (let i = start; i < end; i++) bytes[i] = (bytes[i] as number) ^ 0xff;
  await writeFile(output, bytes);
  return output;
}

/**
 * Copies `input` (MP4) to `output` with the packets of frames [from, to) of its first video stream (in
 * decode order) overwritten with 0xFF bytes: those frames cannot be decoded, the rest of the file is
 * intact. Packet places come from ffprobe.
 */
export async function wipeVideoPackets(
  input: string,
  output: string,
  frames: { from: number; to: number },
): Promise<string> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size", "-of", "csv=p=0"],
    input,
  ]);
  const packets = stdout
    .trim()
    .split("\n")
    .map((line) => line.split(",").map(Number) as [number, number]);
  const bytes = new Uint8Array(await readFile(input));
  for (const [size, pos] of packets.slice(frames.from, frames.to)) bytes.fill(0xff, pos, pos + size);
  await writeFile(output, bytes);
  return output;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode(type), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/**
 * A valid black 1-bit greyscale PNG of `width` × `height` pixels, written without an image library (a
 * 20000 × 20000 image is about 50 KB and takes a fraction of a second).
 */
export async function writeBlankPng(path: string, width: number, height: number): Promise<string> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte 0 (none), then black pixels
  const pixels = deflateSync(new Uint8Array(rowBytes * height), { level: 9 });
  const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  const parts = [
    signature,
    pngChunk("IHDR", header),
    pngChunk("IDAT", pixels),
    pngChunk("IEND", new Uint8Array()),
  ];
  await writeFile(path, Buffer.concat(parts));
  return path;
}
