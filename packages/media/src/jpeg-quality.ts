/**
 * JPEG quality as libjpeg (and so sharp, PIL, cjpeg) understands it, for ffmpeg's mjpeg encoder. ffmpeg's
 * own scale (-q:v) multiplies the MPEG-1 intra matrix, whose shape differs from JPEG's tables: no single
 * -q:v matches a libjpeg quality on both smooth and detailed pictures. So the encoder is given libjpeg's
 * tables for the quality (Annex K scaled as jcparam.c does) with qscale 8, which makes them the tables
 * written and used. Only the DC quantizer stays ffmpeg's (8, libjpeg's at quality 75).
 */

/** libjpeg's (and sharp's) default. */
export const DEFAULT_JPEG_QUALITY = 80;

/** The mjpeg encoder's qscale at which `-intra_matrix` values are the quantizers themselves (q × m / 8). */
export const IDENTITY_QSCALE = 8;

/** ITU-T T.81 Annex K.1 luminance quantization table, row-major. */
const LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** Annex K.2 chrominance table, row-major. */
const CHROMINANCE = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  ...Array.from({ length: 36 }, () => 99),
];

/** Throws RangeError unless `quality` is an integer in [1, 100] (what sharp accepts). */
export function checkJpegQuality(quality: number): void {
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new RangeError(`JPEG quality must be an integer in [1, 100], got ${quality}`);
  }
}

/** libjpeg's jpeg_quality_scaling: the percentage the Annex K tables are scaled by. */
function scalePercent(quality: number): number {
  return quality < 50 ? Math.trunc(5000 / quality) : 200 - 2 * quality;
}

/** A table scaled as jpeg_add_quant_table does for baseline JPEG (rounded, kept in [1, 255]). */
function scaleTable(table: readonly number[], percent: number): number[] {
  return table.map((value) => Math.min(255, Math.max(1, Math.trunc((value * percent + 50) / 100))));
}

/** libjpeg's luminance and chrominance quantization tables for `quality`, row-major (ffmpeg's order). */
export function jpegQuantTables(quality: number): { luma: number[]; chroma: number[] } {
  checkJpegQuality(quality);
  const percent = scalePercent(quality);
  return { luma: scaleTable(LUMINANCE, percent), chroma: scaleTable(CHROMINANCE, percent) };
}
