import type { GreyImage } from "@facetracker/vision";
import type { DetectedFace } from "./detect-stage.ts";
import type { DetectionPlan, RecentFace } from "./motion-gate.ts";

/**
 * A detect worker's requests. A frame is handled in two steps, so the motion gate (per camera, in frame
 * order, in the service's thread) can plan between them: "decode" decodes a JPEG frame, answers its
 * thumbnails and keeps the decoded frame under `frame`; "detect" detects on the kept frame where the plan
 * says, then forgets it; "release" forgets a kept frame without detecting (no answer).
 */
export type DetectRequest =
  | { type: "decode"; id: number; frame: number; jpeg: Uint8Array }
  | { type: "detect"; id: number; frame: number; plan: DetectionPlan; faces?: RecentFace[] }
  | { type: "release"; frame: number };

/** What a "decode" answers: the frame's size and its thumbnails for shot cuts and for motion. */
export interface DecodedFrame {
  width: number;
  height: number;
  /** 32×18 grey thumbnail for shot-cut detection (DetectStage.sceneCutThumbnail). */
  thumbnail: Float32Array;
  /** The motion thumbnail (vision's motionThumbnail) for the motion gate. */
  motion: GreyImage;
}

/** A detect worker's answer to the request `id`, or why it failed. */
export type DetectResponse =
  | ({ id: number; type: "decode" } & DecodedFrame)
  | { id: number; type: "detect"; faces: DetectedFace[] }
  | { id: number; error: string };
