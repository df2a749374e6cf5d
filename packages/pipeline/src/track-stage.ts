import {
  type AlertDecision,
  type AlertMode,
  AlertRules,
  type TrackEvent,
  TrackEventDeriver,
} from "@facetracker/alerts";
import type { FaceTrackerConfig } from "@facetracker/config";
import { type Identification, type SessionFrame, TrackingSession } from "@facetracker/sdk";
import type { Box, Point, RgbImage } from "@facetracker/vision";
import { decodeJpeg } from "./jpeg.ts";

export interface CameraDetections {
  seq: number;
  pts: number;
  width: number;
  height: number;
  sceneCut: boolean;
  faces: { box: Box; score: number; landmarks: Point[]; alignedJpeg: Uint8Array }[];
}

/** Sends aligned crops (JPEG) to the embed workers; one result per crop, in order. */
export type RemoteIdentify = (alignedJpegs: Uint8Array[]) => Promise<Identification[]>;

export interface TrackStageOutput {
  frame: SessionFrame;
  events: TrackEvent[];
}

/**
 * Track stage of one camera: detections (with landmarks and aligned crops) → the tracking session
 * (credence, filters, re-identification schedule, identity) → per-frame tracks and track events.
 * Identification goes through `identify` (the embed workers on the bus).
 */
export class CameraTrackStage {
  readonly camera: string;
  readonly #session: TrackingSession;
  readonly #events = new TrackEventDeriver();
  readonly #jpegOf = new WeakMap<RgbImage, Uint8Array>();

  constructor(
    camera: string,
    config: FaceTrackerConfig,
    options: { frameRate: number; identify: RemoteIdentify },
  ) {
    this.camera = camera;
    this.#session = new TrackingSession(config, {
      frameRate: options.frameRate,
      identify: (faces) => options.identify(faces.map((f) => this.#jpegOf.get(f) as Uint8Array)),
    });
  }

  get counters() {
    return this.#session.counters;
  }

  async run(d: CameraDetections): Promise<TrackStageOutput> {
    const frame = await this.#session.process({
      index: d.seq,
      pts: d.pts,
      width: d.width,
      height: d.height,
      sceneCut: d.sceneCut,
      detections: d.faces.map((f) => ({ box: f.box, score: f.score })),
      landmarks: async (i) => d.faces[i]?.landmarks ?? [],
      aligned: async (i) => {
        const jpeg = d.faces[i]?.alignedJpeg as Uint8Array;
        const image = await decodeJpeg(jpeg);
        this.#jpegOf.set(image, jpeg);
        return image;
      },
    });
    return { frame, events: this.#events.next(frame) };
  }
}

/** Alert stage of one camera: track events → alert decisions (mode, once per track). */
export class CameraAlertStage {
  readonly #rules: AlertRules;

  constructor(mode: AlertMode, once = true) {
    this.#rules = new AlertRules({ mode, once });
  }

  run(event: TrackEvent): AlertDecision | null {
    return this.#rules.decide(event);
  }
}
