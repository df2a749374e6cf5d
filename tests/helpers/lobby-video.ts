/**
 * The generated "lobby" video of the end-to-end tests: two people cut from the registry sample photos,
 * amy (whom most tests enroll) and bea (who stays unknown), 640×360 at 25 fps.
 */
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";

/** Top-left corner of a person's picture on a frame, or null while they are out of view. */
type Path = (frame: number) => [number, number] | null;

export interface LobbyOptions {
  frames: number;
  /** Frame rate (default 25). */
  fps?: number;
  /** amy's top-left corner on each frame (default: walks right from [40, 40]). */
  amy?: Path;
  /** bea's top-left corner on each frame (default: stands at [420, 150]). */
  bea?: Path;
}

export interface Lobby {
  analyzer: FaceAnalyzer;
  /** The two faces as placed in the video (amy's makes an enrollment photo: writeMirroredJpeg). */
  amy: RgbImage;
  bea: RgbImage;
}

/** The lobby's two people (70 px wide faces of two registry sample photos), as every lobby test uses them. */
export async function lobbyFaces(analyzer: FaceAnalyzer): Promise<{ amy: RgbImage; bea: RgbImage }> {
  const [amy, bea] = (await sampleFaces(
    analyzer,
    samplePhotos(),
    [
      [0, 0],
      [5, 0],
    ],
    70,
  )) as [RgbImage, RgbImage];
  return { amy, bea };
}

export async function renderLobby(file: string, options: LobbyOptions): Promise<Lobby> {
  const analyzer = await FaceAnalyzer.create();
  const { amy, bea } = await lobbyFaces(analyzer);
  const actors: Actor[] = [
    {
      name: "amy",
      picture: amy,
      faceInPicture: await locateFace(analyzer, amy),
      position: options.amy ?? ((f) => [40 + 2 * f, 40]),
    },
    {
      name: "bea",
      picture: bea,
      faceInPicture: await locateFace(analyzer, bea),
      position: options.bea ?? (() => [420, 150]),
    },
  ];
  await renderScene(file, {
    width: 640,
    height: 360,
    fps: options.fps ?? 25,
    frames: options.frames,
    actors,
  });
  return { analyzer, amy, bea };
}
