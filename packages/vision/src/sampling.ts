import type { Box, Similarity } from "./geometry.ts";
import type { RgbImage } from "./image.ts";

/**
 * Bilinear resize of the region `roi` of `image` to outW×outH, written as a planar (CHW) float tensor with
 * (px − mean) / std. Pixel centres follow OpenCV's INTER_LINEAR convention, as the models were trained.
 */
export function resizeToTensor(
  image: RgbImage,
  roi: Box,
  outW: number,
  outH: number,
  mean: number,
  std: number,
  out = new Float32Array(3 * outW * outH),
): Float32Array {
  const { width, height, data } = image;
  const scaleX = (roi[2] - roi[0]) / outW;
  const scaleY = (roi[3] - roi[1]) / outH;
  const plane = outW * outH;
  const inv = 1 / std;
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    let sx = roi[0] + (x + 0.5) * scaleX - 0.5;
    if (sx < 0) sx = 0;
    if (sx > width - 1) sx = width - 1;
    const x0 = Math.floor(sx);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, width - 1) * 3;
    fxs[x] = sx - x0;
  }
  for (let y = 0; y < outH; y++) {
    let sy = roi[1] + (y + 0.5) * scaleY - 0.5;
    if (sy < 0) sy = 0;
    if (sy > height - 1) sy = height - 1;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const r0 = y0 * width * 3;
    const r1 = Math.min(y0 + 1, height - 1) * width * 3;
    const rowOut = y * outW;
    for (let x = 0; x < outW; x++) {
      const a = r0 + (x0s[x] as number);
      const b = r0 + (x1s[x] as number);
      const c = r1 + (x0s[x] as number);
      const d = r1 + (x1s[x] as number);
      const fx = fxs[x] as number;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const o = rowOut + x;
      for (let ch = 0; ch < 3; ch++) {
        const v =
          (data[a + ch] as number) * w00 +
          (data[b + ch] as number) * w01 +
          (data[c + ch] as number) * w10 +
          (data[d + ch] as number) * w11;
        out[ch * plane + o] = (v - mean) * inv;
      }
    }
  }
  return out;
}

/** Bilinear resize of `roi` to an outW×outH grey tensor (BT.601 luma) scaled by 1/`divisor`. */
export function resizeGreyToTensor(
  image: RgbImage,
  roi: Box,
  outW: number,
  outH: number,
  divisor: number,
  out = new Float32Array(outW * outH),
): Float32Array {
  const rgb = resizeToTensor(image, roi, outW, outH, 0, 1);
  const plane = outW * outH;
  for (let i = 0; i < plane; i++) {
    const grey =
      0.299 * (rgb[i] as number) +
      0.587 * (rgb[plane + i] as number) +
      0.114 * (rgb[2 * plane + i] as number);
    out[i] = Math.round(grey) / divisor;
  }
  return out;
}

/**
 * Warps `image` by the similarity `toCrop` (image → crop coordinates) into a size×size RGB crop, bilinear,
 * with black outside the image (OpenCV warpAffine with a constant border).
 */
export function warpSimilarity(image: RgbImage, toCrop: Similarity, size: number): RgbImage {
  const { width, height, data } = image;
  const d = toCrop.a * toCrop.a + toCrop.b * toCrop.b;
  const ia = toCrop.a / d;
  const ib = -toCrop.b / d;
  const itx = -(ia * toCrop.tx - ib * toCrop.ty);
  const ity = -(ib * toCrop.tx + ia * toCrop.ty);
  const out = new Uint8Array(size * size * 3);
  const stride = width * 3;
  const px = (x: number, y: number, ch: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : (data[y * stride + x * 3 + ch] as number);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const sx = ia * u - ib * v + itx;
      const sy = ib * u + ia * v + ity;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const o = (v * size + u) * 3;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        // Fast path: all four neighbours inside the image.
        const a = y0 * stride + x0 * 3;
        const c = a + stride;
        for (let ch = 0; ch < 3; ch++) {
          out[o + ch] = Math.round(
            (data[a + ch] as number) * w00 +
              (data[a + 3 + ch] as number) * w01 +
              (data[c + ch] as number) * w10 +
              (data[c + 3 + ch] as number) * w11,
          );
        }
      } else {
        for (let ch = 0; ch < 3; ch++) {
          out[o + ch] = Math.round(
            px(x0, y0, ch) * w00 +
              px(x0 + 1, y0, ch) * w01 +
              px(x0, y0 + 1, ch) * w10 +
              px(x0 + 1, y0 + 1, ch) * w11,
          );
        }
      }
    }
  }
  return { width: size, height: size, data: out };
}

/** RGB image → planar (CHW) float tensor with (px − mean) / std (a 256-entry table: no arithmetic per pixel). */
export function imageToTensor(image: RgbImage, mean: number, std: number, out?: Float32Array): Float32Array {
  const plane = image.width * image.height;
  const t = out ?? new Float32Array(3 * plane);
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = (v - mean) / std;
  const { data } = image;
  const g = plane;
  const b = 2 * plane;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    t[i] = lut[data[j] as number] as number;
    t[g + i] = lut[data[j + 1] as number] as number;
    t[b + i] = lut[data[j + 2] as number] as number;
  }
  return t;
}
