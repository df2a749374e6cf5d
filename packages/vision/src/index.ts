export { ALIGNED_SIZE, ARCFACE_REFERENCE, alignFace, alignmentTransform } from "./align.ts";
export {
  drawLabels,
  drawLabelsRaw,
  type Label,
  type LabelPlace,
  labelMetrics,
  labelPlace,
  labelTop,
} from "./annotate.ts";
export {
  DEFAULT_DETECT,
  DETECTOR_INPUT,
  type Detection,
  type DetectOptions,
  FaceDetector,
  suppress,
} from "./detector.ts";
export { cosine, EMBEDDING_DIM, FaceEmbedder, l2normalize } from "./embedder.ts";
export {
  type AnalyzedFace,
  type AnalyzeOptions,
  emptyStageTimes,
  FaceAnalyzer,
  type StageTimes,
} from "./face-analyzer.ts";
export {
  FACE_COLORS,
  type FaceKind,
  faceColorsCss,
  faceLabel,
  faceLabelText,
  type LabeledFace,
  trackFaceKind,
} from "./face-labels.ts";
export {
  alignedSharpness,
  assessFaceQuality,
  DEFAULT_FACE_QUALITY,
  type FacePose,
  type FaceQuality,
  type FaceQualityInput,
  type FaceQualityOptions,
  type FaceQualityReason,
  type FaceQualitySignals,
  facePose,
  faceQualityReasons,
  faceQualitySignals,
  landmarkImplausibility,
  landmarkJitter,
  NON_FACE_PROTOTYPE,
  nonFaceSimilarity,
} from "./face-quality.ts";
export {
  applySimilarity,
  type Box,
  boxArea,
  estimateSimilarity,
  invertSimilarity,
  iou,
  nms,
  type Point,
  type Similarity,
} from "./geometry.ts";
export {
  checkImagePixels,
  cropImage,
  DEFAULT_MAX_IMAGE_PIXELS,
  type DecodeImageOptions,
  decodeImage,
  detectionCopyOf,
  encodeJpeg,
  ImageError,
  type ImageInput,
  ImageTooLargeError,
  isRgbImage,
  loadPixels,
  type RgbImage,
} from "./image.ts";
export { fivePoints, LandmarkModel, landmarkCrop } from "./landmarks.ts";
export {
  DEFAULT_MOTION,
  type GreyImage,
  insidePolygon,
  MOTION_WIDTH,
  MotionDetector,
  type MotionOptions,
  type MotionResult,
  motionThumbnail,
} from "./motion-detector.ts";
export type { RuntimeOptions } from "./onnx-session.ts";
export { assColor, assText, assTime, OverlayScript, type OverlayScriptOptions } from "./overlay-script.ts";
export {
  type ChosenBy,
  choosePhotoFace,
  type FaceChoice,
  FaceChoiceError,
  facesInReadingOrder,
  formatBox,
  type PhotoSubject,
  parseFaceBox,
  SUBJECT_MIN_AREA_FRACTION,
} from "./photo-subject.ts";
export { imageToTensor, resizeGreyToTensor, resizeToTensor, warpSimilarity } from "./sampling.ts";
export { SceneChangeDetector, sceneThumbnail } from "./scene-change.ts";
export {
  AUTO_TILING_ABOVE,
  DEFAULT_TILING,
  intersectionOverSmaller,
  keepTileDetection,
  planTiles,
  shouldTile,
  type TilingOptions,
  touchesInnerEdge,
} from "./tiling.ts";
