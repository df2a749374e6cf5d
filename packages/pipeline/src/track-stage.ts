import { type TrackEvent, TrackEventDeriver } from "@facetracker/alerts";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import { ALIGNED_RGB_BYTES, alignedImage } from "./aligned-crop.ts";
import { type Identification, type SessionFrame, TrackingSession } from "./tracking-session.ts";

export interface CameraDetections {
  seq: number;
  pts: number;
  width: number;
  height: number;
  sceneCut: boolean;
  /** No detection ran on this frame: the tracker carries the tracks (DetectOutput.predicted). */
  predicted?: boolean;
  faces: { box: Box; score: number; landmarks: Point[]; alignedRgb: Uint8Array }[];
}

/** Sends aligned crops (JPEG) to the embed workers; one result per crop, in order. */
export type RemoteIdentify = (alignedCrops: RgbImage[]) => Promise<Identification[]>;

export interface TrackStageOutput {
  frame: SessionFrame;
  events: TrackEvent[];
}

/** Format version of {@link CameraTrackStageSnapshot}. */
export const TRACK_STAGE_SNAPSHOT_VERSION = 1;

/**
 * A camera's tracking state as plain JSON, to go on after a restart: the tracking session (tracker,
 * per-track memory) and what the event deriver knows of each track.
 */
export interface CameraTrackStageSnapshot {
  v: typeof TRACK_STAGE_SNAPSHOT_VERSION;
  camera: string;
  session: ReturnType<TrackingSession["snapshot"]>;
  events: ReturnType<TrackEventDeriver["snapshot"]>;
}

/**
 * Track stage of one camera: detections (with landmarks and aligned crops) → the tracking session
 * (credence, filters, re-identification schedule, identity) → per-frame tracks and track events.
 * Identification goes through `identify` (the embed workers on the bus).
 */
export class CameraTrackStage {
  readonly camera: string;
  readonly #session: TrackingSession;
  #events = new TrackEventDeriver();

  constructor(
    camera: string,
    config: FaceTrackerConfig,
    options: { frameRate: number; identify: RemoteIdentify },
  ) {
    this.camera = camera;
    this.#session = new TrackingSession(config, {
      frameRate: options.frameRate,
      identify: (faces) => options.identify(faces),
      // A camera runs for ever and is never summarised: keep only what the live tracks need.
      keepSummaries: false,
    });
  }

  get counters() {
    return this.#session.counters;
  }

  /** The stage's state, JSON-able (see {@link CameraTrackStageSnapshot}). */
  snapshot(): CameraTrackStageSnapshot {
    return {
      v: TRACK_STAGE_SNAPSHOT_VERSION,
      camera: this.camera,
      session: this.#session.snapshot(),
      events: this.#events.snapshot(),
    };
  }

  /**
   * Replaces the stage's state with a snapshot's (of the same camera, taken with the same configuration).
   * Throws, leaving the stage as it was, for another format version, another camera or a malformed
   * snapshot.
   */
  restore(snapshot: CameraTrackStageSnapshot): void {
    const s = snapshot as Partial<CameraTrackStageSnapshot> | null;
    if (typeof s !== "object" || s === null || s.v !== TRACK_STAGE_SNAPSHOT_VERSION) {
      throw new Error(
        `CameraTrackStage snapshot: unsupported format version ${JSON.stringify(s?.v)} (this build reads version ${TRACK_STAGE_SNAPSHOT_VERSION})`,
      );
    }
    if (s.camera !== this.camera) {
      throw new Error(`CameraTrackStage snapshot: of camera ${JSON.stringify(s.camera)}, not ${this.camera}`);
    }
    const events = new TrackEventDeriver();
    events.restore(s.events as CameraTrackStageSnapshot["events"]);
    this.#session.restore(s.session as CameraTrackStageSnapshot["session"]);
    this.#events = events;
  }

  async run(d: CameraDetections): Promise<TrackStageOutput> {
    const frame = await this.#session.process({
      index: d.seq,
      pts: d.pts,
      width: d.width,
      height: d.height,
      sceneCut: d.sceneCut,
      predicted: d.predicted ?? false,
      detections: d.faces.map((f) => ({ box: f.box, score: f.score })),
      // The detect service crops only the faces it expects due (an empty crop: not on this frame).
      hasCrop: (i) => (d.faces[i]?.alignedRgb.length ?? 0) > 0,
      landmarks: async (i) => d.faces[i]?.landmarks ?? [],
      aligned: async (i) => {
        const data = d.faces[i]?.alignedRgb;
        if (data?.length !== ALIGNED_RGB_BYTES) {
          throw new Error(
            `face ${i}: aligned crop must be 112×112 RGB (${ALIGNED_RGB_BYTES} bytes), got ${data?.length ?? 0}`,
          );
        }
        return alignedImage(data);
      },
    });
    const events = this.#events.next(frame).map((e) => {
      if (e.type === "ended") {
        const memoryEmbeddings = this.#session.takeEndedRepresentatives(e.trackId);
        return memoryEmbeddings ? { ...e, memoryEmbeddings } : e;
      }
      if (e.type !== "identified" && e.type !== "identity_changed") return e;
      const embedding = this.#session.faceEmbedding(e.trackId);
      return embedding ? { ...e, embedding } : e;
    });
    return { frame, events };
  }
}
