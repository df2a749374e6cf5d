/** Seeded synthetic face detections for the tracker's tests and benchmark: reproducible across runs. */

import type { Box, Detection } from "@facetracker/tracking";

/** A square face moving on a straight line at constant velocity (pixels per frame). */
export interface LinearFace {
  x: number;
  y: number;
  size: number;
  vx: number;
  vy: number;
}

/** Ground-truth box of a face on a frame (frame 1 is the starting position). */
export function faceBox(face: LinearFace, frame: number): Box {
  const x = face.x + face.vx * (frame - 1);
  const y = face.y + face.vy * (frame - 1);
  return [x, y, x + face.size, y + face.size];
}

export interface SceneOptions {
  faces: number;
  frames: number;
  width?: number;
  height?: number;
  minSize?: number;
  maxSize?: number;
}

/** Faces on random straight paths that stay inside a width × height frame for the whole clip. */
export function randomLinearFaces(random: () => number, options: SceneOptions): LinearFace[] {
  const { faces, frames, width = 1920, height = 1080, minSize = 60, maxSize = 120 } = options;
  return Array.from({ length: faces }, () => {
    const size = minSize + random() * (maxSize - minSize);
    const start = [random() * (width - size), random() * (height - size)] as const;
    const end = [random() * (width - size), random() * (height - size)] as const;
    const steps = Math.max(1, frames - 1);
    return {
      x: start[0],
      y: start[1],
      size,
      vx: (end[0] - start[0]) / steps,
      vy: (end[1] - start[1]) / steps,
    };
  });
}

export interface FrameOptions {
  /** Probability that a face gets no detection on this frame. */
  missRate?: number;
  /** Each coordinate moves by a uniform amount in [−jitter, +jitter] pixels. */
  jitter?: number;
  /** Detection scores are uniform in [minScore, maxScore]. */
  minScore?: number;
  maxScore?: number;
}

/** One frame's detections, shuffled, with the index of the face behind each one. */
export function detectFaces(
  faces: readonly LinearFace[],
  frame: number,
  random: () => number,
  options: FrameOptions = {},
): { detections: Detection[]; faceOfDetection: number[] } {
  const { missRate = 0, jitter = 0, minScore = 0.7, maxScore = 0.95 } = options;
  const found: { detection: Detection; face: number }[] = [];
  faces.forEach((face, index) => {
    if (random() < missRate) return;
    const box = faceBox(face, frame).map((v) => v + (random() * 2 - 1) * jitter) as Box;
    found.push({ detection: { box, score: minScore + random() * (maxScore - minScore) }, face: index });
  });
  for (let i = found.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [found[i], found[j]] = [found[j] as (typeof found)[number], found[i] as (typeof found)[number]];
  }
  return { detections: found.map((f) => f.detection), faceOfDetection: found.map((f) => f.face) };
}
