/**
 * Face filters: decide whether a face is good enough to be embedded (recognised). A face a filter rejects
 * keeps its track; it is only not embedded on that frame. Keys follow DeGirum's FaceTracker `face_filters`.
 */

export type Box = [number, number, number, number];
export type Point = [number, number];

export interface FaceFilterConfig {
  enable_small_face_filter: boolean;
  /** Minimum of face box width and height, px. */
  min_face_size: number;
  enable_zone_filter: boolean;
  /** Polygon [[x, y], …] in frame pixels; the box centre must be inside. */
  zone?: Point[];
  /** The nose must be inside the quadrilateral of the eyes and mouth corners. */
  enable_frontal_filter: boolean;
  /** The keypoints must not all be in the left or all in the right half of the box. */
  enable_shift_filter: boolean;
}

export type FilterName = "small_face" | "zone" | "frontal" | "shift";

export interface FaceForFilter {
  box: Box;
  /** 5 points: left eye, right eye, nose, left mouth corner, right mouth corner; needed by frontal and shift. */
  landmarks?: Point[];
}

/** Even-odd ray casting; points on the boundary may fall either way. */
export function pointInPolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function isSmallFace(box: Box, minSize: number): boolean {
  return Math.min(box[2] - box[0], box[3] - box[1]) < minSize;
}

/** Frontal: the nose tip lies inside the quadrilateral left eye → right eye → right mouth → left mouth. */
export function isFrontal(landmarks: readonly Point[]): boolean {
  const [le, re, nose, lm, rm] = landmarks as [Point, Point, Point, Point, Point];
  return pointInPolygon(nose, [le, re, rm, lm]);
}

/** Shifted: every keypoint lies in the left half of the box, or every one in the right half. */
export function isShifted(box: Box, landmarks: readonly Point[]): boolean {
  const mid = (box[0] + box[2]) / 2;
  return landmarks.every((p) => p[0] < mid) || landmarks.every((p) => p[0] > mid);
}

/** Filters that need landmarks are enabled. */
export function needsLandmarks(config: FaceFilterConfig): boolean {
  return config.enable_frontal_filter || config.enable_shift_filter;
}

/**
 * The first filter that rejects the face, or null when it passes. Landmark filters are skipped when the
 * face has no landmarks (call again once they are computed).
 */
export function rejectingFilter(face: FaceForFilter, config: FaceFilterConfig): FilterName | null {
  const { box, landmarks } = face;
  if (config.enable_small_face_filter && isSmallFace(box, config.min_face_size)) return "small_face";
  if (config.enable_zone_filter && config.zone && config.zone.length >= 3) {
    const centre: Point = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
    if (!pointInPolygon(centre, config.zone)) return "zone";
  }
  if (landmarks && landmarks.length === 5) {
    if (config.enable_frontal_filter && !isFrontal(landmarks)) return "frontal";
    if (config.enable_shift_filter && isShifted(box, landmarks)) return "shift";
  }
  return null;
}
