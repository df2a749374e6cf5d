/**
 * @facetracker/samples: sample faces and synthetic video, production code used by the CLI's demo and by the
 * tests. samplePhotos are the registry sample photos (models:install fetches them from @vladmandic/face-api);
 * renderScene pastes face pictures on a background along known paths and encodes the MP4, returning the
 * truth box of each face on each frame.
 */

export { faceVariant, samplePhotos, writeSampleFaceVariants } from "./sample-faces.ts";
export {
  type Actor,
  background,
  facePicture,
  locateFace,
  renderScene,
  sampleFaces,
  type TruthFrame,
} from "./synthetic-video.ts";
