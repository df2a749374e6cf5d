import type { DetectedFace } from "./detect-stage.ts";

/** A frame for a detect worker. */
export interface DetectRequest {
  id: number;
  jpeg: Uint8Array;
}

/** A detect worker's answer: the frame's faces and scene thumbnail, or why it failed. */
export type DetectResponse =
  | { id: number; width: number; height: number; faces: DetectedFace[]; thumbnail: Float32Array }
  | { id: number; error: string };
