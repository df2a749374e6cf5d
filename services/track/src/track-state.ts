/**
 * Where the track service keeps each camera's tracking state between runs: the ft_track_state key-value
 * bucket (file storage, latest value only), key = camera ID, value = JSON
 * `{ v: 1, streamSeq, streamCreated, stage }`:
 *
 * - `stage`: the camera's CameraTrackStage snapshot (tracker with Kalman states and ID counters, per-track
 *   memory, identity evidence, re-identification schedule, what the event deriver knows of each track);
 * - `streamSeq`: the FT_DETECTIONS stream sequence of the last detections message of this camera whose
 *   processing the snapshot includes;
 * - `streamCreated`: when that FT_DETECTIONS stream was created: a stream created since (a memory stream
 *   after a nats-server restart) numbers its messages afresh, and the saved sequence then means nothing.
 */

import { openStateBucket, type StateBucket } from "@facetracker/bus";
import type { CameraTrackStage } from "@facetracker/pipeline";

export const TRACK_STATE_BUCKET = "ft_track_state";
/** Format version of the saved records (the stage snapshot inside carries its own versions). */
export const TRACK_STATE_VERSION = 1;

export type StageSnapshot = ReturnType<CameraTrackStage["snapshot"]>;

export interface SavedCameraState {
  v: typeof TRACK_STATE_VERSION;
  streamSeq: number;
  streamCreated: string;
  stage: StageSnapshot;
}

/** Checks a stored record; throws saying why it cannot be used (the camera then starts fresh). */
export function parseSavedState(value: unknown): SavedCameraState {
  if (typeof value !== "object" || value === null) throw new Error("the saved state is not an object");
  const record = value as Partial<SavedCameraState>;
  if (record.v !== TRACK_STATE_VERSION) {
    throw new Error(
      `unsupported saved state version ${JSON.stringify(record.v)} (this build reads version ${TRACK_STATE_VERSION})`,
    );
  }
  if (!Number.isSafeInteger(record.streamSeq) || (record.streamSeq as number) < 0) {
    throw new Error("the saved state has no valid streamSeq");
  }
  if (typeof record.streamCreated !== "string") throw new Error("the saved state has no streamCreated");
  if (typeof record.stage !== "object" || record.stage === null)
    throw new Error("the saved state has no stage");
  return record as SavedCameraState;
}

export interface TrackStateStore {
  /** The camera's stored value (unchecked: see parseSavedState), or the error reading it; undefined: none. */
  load(camera: string): Promise<{ value?: unknown; error?: unknown } | undefined>;
  save(camera: string, state: SavedCameraState): Promise<void>;
}

/** Opens (creating when missing) the ft_track_state bucket. */
export async function openTrackStateStore(
  js: Parameters<typeof openStateBucket>[0],
): Promise<TrackStateStore> {
  const bucket: StateBucket = await openStateBucket(js, TRACK_STATE_BUCKET, {
    description: "FaceTracker track service: tracking state per camera, to go on after a restart",
  });
  return {
    async load(camera) {
      try {
        const value = await bucket.get(camera);
        return value === undefined ? undefined : { value };
      } catch (error) {
        return { error };
      }
    },
    async save(camera, state) {
      await bucket.put(camera, state);
    },
  };
}
