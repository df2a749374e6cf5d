import { crc32, createDeflate } from "node:zlib";

/** One PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The zlib stream of `height` rows of filter byte 0 and `width` zero bytes, written in slices. */
async function blackRows(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => deflate.on("end", resolve).on("error", reject));
  const rowsPerSlice = Math.max(1, Math.floor((16 * 2 ** 20) / (width + 1)));
  const slice = Buffer.alloc(rowsPerSlice * (width + 1));
  for (let row = 0; row < height; row += rowsPerSlice) {
    const rows = Math.min(rowsPerSlice, height - row);
    const part = slice.subarray(0, rows * (width + 1));
    if (!deflate.write(part)) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/**
 * A real, valid, black 8-bit grey PNG of `width`×`height` whose pixels deflate to almost nothing: a
 * decompression bomb (16000×16000 is under 1 MB of file and 768 MB once decoded to RGB). Built slice by
 * slice without holding the decoded image.
 */
export async function hugePng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey, deflate, adaptive filters, not interlaced
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", await blackRows(width, height)),
    chunk("IEND", new Uint8Array()),
  ]);
}
