/** Tracking test kit: seeded synthetic face detections (faces on straight paths, misses, jitter). */
export {
  detectFaces,
  type FrameOptions,
  faceBox,
  type LinearFace,
  randomLinearFaces,
  type SceneOptions,
} from "./synthetic-scenes.ts";
