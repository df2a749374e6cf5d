import sharp from "sharp";
import type { Box } from "./geometry.ts";
import type { RgbImage } from "./image.ts";

export interface Label {
  box: Box;
  text: string;
  /** CSS colour of the box and label background. */
  color: string;
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string,
  );

/**
 * How labels are drawn on a picture of this size, wherever they are drawn (photos, video frames, the
 * overlay script of an annotated video copy): the box outline's width and the label's font size, px.
 */
export function labelMetrics(width: number, height: number): { stroke: number; font: number } {
  return {
    stroke: Math.max(2, Math.round(Math.min(width, height) / 300)),
    font: Math.max(12, Math.round(Math.min(width, height) / 40)),
  };
}

/** Top of a label's box (font + 6 px high): above the face box, or below it when there is no room above. */
export function labelTop(box: Box, font: number): number {
  const above = Math.round(box[1]) - font - 6;
  return above >= 0 ? above : Math.round(box[3]);
}

/** Where a label's box goes on a picture, px (whole numbers): its top-left corner and size. */
export interface LabelPlace {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where a label's box (font + 6 px high, as wide as its text) goes on a `width`×`height` picture: above the
 * face box at its left edge, or below it when there is no room above; always inside the picture: at a
 * face box against the right edge it is moved left, at a face box against the left edge right, and when it
 * fits neither above nor below (a face filling the picture's height) it goes inside the box, at its top.
 */
export function labelPlace(box: Box, text: string, font: number, width: number, height: number): LabelPlace {
  const [x1, y1, , y2] = box.map(Math.round) as Box;
  const w = Math.round(text.length * font * 0.6) + 8;
  const h = font + 6;
  const clamp = (v: number, max: number) => Math.max(0, Math.min(v, max));
  const above = y1 - h;
  const y = above >= 0 ? above : y2 + h <= height ? y2 : clamp(y1, height - h);
  return { x: clamp(x1, width - w), y: clamp(y, height - h), width: w, height: h };
}

/** The image with the labels composited on (an SVG overlay), as a sharp pipeline. */
function overlay(image: RgbImage, labels: Label[]) {
  const { stroke, font } = labelMetrics(image.width, image.height);
  const parts = labels.map(({ box, text, color }) => {
    const [x1, y1, x2, y2] = box.map(Math.round) as Box;
    const place = labelPlace(box, text, font, image.width, image.height);
    return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="${stroke}"/>
<rect x="${place.x}" y="${place.y}" width="${place.width}" height="${place.height}" fill="${color}"/>
<text x="${place.x + 4}" y="${place.y + font}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(text)}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${parts.join("")}</svg>`;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).composite([
    { input: Buffer.from(svg), top: 0, left: 0 },
  ]);
}

/** Draws labelled boxes on the image and encodes it as JPEG or PNG. */
export async function drawLabels(
  image: RgbImage,
  labels: Label[],
  format: "jpeg" | "png" = "jpeg",
): Promise<Buffer> {
  const pipeline = overlay(image, labels);
  return format === "png" ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 90 }).toBuffer();
}

/** Draws labelled boxes on the image; returns a new RGB image (for video frames). */
export async function drawLabelsRaw(image: RgbImage, labels: Label[]): Promise<RgbImage> {
  if (labels.length === 0) return image;
  const { data, info } = await overlay(image, labels)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
