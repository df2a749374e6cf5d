import {
  type AnalyzedFace,
  type AnalyzeOptions,
  decodeImage,
  type FaceAnalyzer,
  type ImageInput,
  type RgbImage,
} from "@facetracker/vision";

/** The largest face of an image with its embedding, or undefined when the image has no face. */
export async function embedLargestFace(
  analyzer: FaceAnalyzer,
  image: ImageInput,
  options: AnalyzeOptions,
): Promise<{ face: AnalyzedFace & { embedding: Float32Array }; decoded: RgbImage } | undefined> {
  const decoded = await decodeImage(image);
  const [face] = await analyzer.analyze(decoded, { ...options, largestOnly: true, embed: true });
  return face?.embedding ? { face: face as AnalyzedFace & { embedding: Float32Array }, decoded } : undefined;
}
