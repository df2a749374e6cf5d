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

/** The image with the labels composited on (an SVG overlay), as a sharp pipeline. */
function overlay(image: RgbImage, labels: Label[]) {
  const stroke = Math.max(2, Math.round(Math.min(image.width, image.height) / 300));
  const font = Math.max(12, Math.round(Math.min(image.width, image.height) / 40));
  const parts = labels.map(({ box, text, color }) => {
    const [x1, y1, x2, y2] = box.map(Math.round) as Box;
    const tw = Math.round(text.length * font * 0.6) + 8;
    const ty = y1 - font - 6 >= 0 ? y1 - font - 6 : y2;
    return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="${stroke}"/>
<rect x="${x1}" y="${ty}" width="${tw}" height="${font + 6}" fill="${color}"/>
<text x="${x1 + 4}" y="${ty + font}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(text)}</text>`;
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
