import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";

/**
 * The demo camera of the embedded run when no camera is configured: a 12-second 640×360 video made from
 * the registry sample photos (three people walking past), generated once into `dir`.
 */
export async function ensureDemoCamera(dir: string, analyzer?: FaceAnalyzer): Promise<string> {
  const file = path.join(dir, "demo-camera.mp4");
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const models = analyzer ?? (await FaceAnalyzer.create());
  const people = (await sampleFaces(
    models,
    samplePhotos(),
    [
      [0, 0],
      [5, 0],
      [2, 2],
    ],
    70,
  )) as RgbImage[];
  const actors: Actor[] = [];
  for (const [i, picture] of people.entries()) {
    const start = i * 60;
    actors.push({
      name: `person${i + 1}`,
      picture,
      faceInPicture: await locateFace(models, picture),
      position: (f) => (f < start || f > start + 200 ? null : [-40 + 3.2 * (f - start), 40 + i * 70]),
    });
  }
  const partial = `${file}.partial.mp4`;
  await renderScene(partial, { width: 640, height: 360, fps: 25, frames: 300, actors });
  await rename(partial, file);
  return file;
}
