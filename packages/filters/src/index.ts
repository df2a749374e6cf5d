export {
  type Box,
  type FaceFilterConfig,
  type FaceForFilter,
  type FilterName,
  isFrontal,
  isShifted,
  isSmallFace,
  needsLandmarks,
  type Point,
  pointInPolygon,
  rejectingFilter,
} from "./face-filters.ts";
