export { ALIGNED_RGB_BYTES, ALIGNED_SIZE, alignedImage } from "./aligned-crop.ts";
export { type DetectedFace, type DetectOutput, DetectStage } from "./detect-stage.ts";
export { DropOldestQueue } from "./drop-oldest-queue.ts";
export { type EmbedItem, type EmbedItemResult, EmbedStage } from "./embed-stage.ts";
export { decodeJpeg, encodeFrameJpeg } from "./jpeg.ts";
export { OrderedSteps } from "./ordered-steps.ts";
export {
  CameraAlertStage,
  type CameraDetections,
  CameraTrackStage,
  type RemoteIdentify,
  type TrackStageOutput,
} from "./track-stage.ts";
export { ClipWaiter } from "./clip-waiter.ts";
