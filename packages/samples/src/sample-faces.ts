import { writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveFile } from "@facetracker/models";
import { type Box, cropImage, decodeImage, type FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import sharp from "sharp";

/** The six registry-shipped sample photos (models:install fetches them). */
export const samplePhotos = (): string[] => [1, 2, 3, 4, 5, 6].map((i) => resolveFile(`sample${i}`));

/** A different picture of the face in `box`: cropped with margin, mirrored, shrunk and darkened, as JPEG. */
export async function faceVariant(image: RgbImage, box: Box): Promise<Buffer> {
  const [x1, y1, x2, y2] = box;
  const m = 0.6 * Math.max(x2 - x1, y2 - y1);
  const crop = cropImage(image, [x1 - m, y1 - m, x2 + m, y2 + m]);
  return sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
    .flop()
    .resize({ width: Math.round(crop.width * 0.7) })
    .modulate({ brightness: 0.8 })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * Writes `person-N.jpg` into `dir` for each person of sample1.jpg, left to right: enrollment photos that
 * differ from the sample they are recognised in. Returns the file paths.
 */
export async function writeSampleFaceVariants(analyzer: FaceAnalyzer, dir: string): Promise<string[]> {
  const image = await decodeImage(samplePhotos()[0] as string);
  const faces = (await analyzer.analyze(image, { embed: false })).sort((a, b) => a.box[0] - b.box[0]);
  const files: string[] = [];
  for (const [i, face] of faces.entries()) {
    const file = path.join(dir, `person-${i + 1}.jpg`);
    await writeFile(file, await faceVariant(image, face.box));
    files.push(file);
  }
  return files;
}
