/**
 * Generated 720p camera scenes of the benchmarks (registry sample photos pasted on a still background,
 * renderScene): "busy", three faces always in view and always moving; "entrance", a still hallway that
 * people walk through, a face in view about a third of the time, the light drifting slowly.
 */
import {
  type Actor,
  locateFace,
  renderScene,
  sampleFaces,
  samplePhotos,
  type TruthFrame,
} from "@facetracker/samples";
import type { FaceAnalyzer, RgbImage } from "@facetracker/vision";

export const CAMERA_SCENES = ["busy", "entrance"] as const;
export type CameraScene = (typeof CAMERA_SCENES)[number];

export interface RenderedScene {
  /** Frames of the loop and its frame rate. */
  frames: number;
  fps: number;
  /** The faces of each frame (where the detector finds them). */
  truth: TruthFrame[][];
  /** Fraction of the frames with at least one face wholly in view. */
  facesPresent: number;
}

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 15;

async function actorsOf(
  analyzer: FaceAnalyzer,
  picks: [number, number][],
  faceWidths: number[],
  paths: Actor["position"][],
): Promise<Actor[]> {
  const actors: Actor[] = [];
  for (const [i, pick] of picks.entries()) {
    const [picture] = (await sampleFaces(analyzer, samplePhotos(), [pick], faceWidths[i] as number)) as [
      RgbImage,
    ];
    actors.push({
      name: `p${i}`,
      picture,
      faceInPicture: await locateFace(analyzer, picture, WIDTH, HEIGHT),
      position: paths[i] as Actor["position"],
    });
  }
  return actors;
}

/**
 * A walk through the frame from `from` to `to` (top-left corners) over frames [start, end) of the loop;
 * absent otherwise. With `pause`, the walker stands still at the midpoint for that many frames.
 */
function walk(
  start: number,
  end: number,
  from: [number, number],
  to: [number, number],
  pause = 0,
): Actor["position"] {
  const moving = end - start - pause;
  return (f) => {
    if (f < start || f >= end) return null;
    let t = f - start;
    if (pause > 0) {
      const half = moving / 2;
      t = t < half ? t : t < half + pause ? half : t - pause;
    }
    const k = t / moving;
    return [from[0] + (to[0] - from[0]) * k, from[1] + (to[1] - from[1]) * k];
  };
}

/** Renders `scene` to `file` (1280×720, 15 fps; the cameras loop it). */
export async function renderCameraScene(
  file: string,
  scene: CameraScene,
  analyzer: FaceAnalyzer,
): Promise<RenderedScene> {
  let frames: number;
  let actors: Actor[];
  let lighting: ((f: number) => number) | undefined;
  if (scene === "busy") {
    frames = 150;
    actors = await actorsOf(
      analyzer,
      [
        [0, 0],
        [5, 0],
        [2, 2],
      ],
      [110, 110, 110],
      [0, 1, 2].map((i) => (f: number): [number, number] => [
        100 + i * 380 + 60 * Math.sin(f / 15),
        150 + i * 60,
      ]),
    );
  } else {
    // 30 s: three people walk through (the last one stops for 20 frames on the way), a face in view on
    // about a third of the frames; the light drifts by ±12 % over the loop.
    frames = 450;
    actors = await actorsOf(
      analyzer,
      [
        [0, 0],
        [5, 0],
        [3, 0],
      ],
      [90, 110, 130],
      [
        walk(0, 60, [-200, 180], [1300, 220]),
        walk(150, 210, [1300, 260], [-220, 200]),
        walk(300, 380, [-240, 160], [1320, 180], 20),
      ],
    );
    lighting = (f) => 1 + 0.12 * Math.sin((2 * Math.PI * f) / frames);
  }
  const truth = await renderScene(file, {
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    frames,
    actors,
    ...(lighting ? { lighting } : {}),
  });
  const inView = (t: TruthFrame) => t.box[0] >= 0 && t.box[1] >= 0 && t.box[2] <= WIDTH && t.box[3] <= HEIGHT;
  const facesPresent = truth.filter((faces) => faces.some(inView)).length / frames;
  return { frames, fps: FPS, truth, facesPresent };
}
