/**
 * The track service's cameras: each one's track stage and where it stands in FT_DETECTIONS (the stream
 * sequence of the last detections message it took in), saved to and restored from the state store.
 */

import type { TypedBus } from "@facetracker/bus";
import type { CameraTrackStage } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";
import { TrackCrops } from "./track-crops.ts";
import {
  parseSavedState,
  type SavedCameraState,
  TRACK_STATE_BUCKET,
  TRACK_STATE_VERSION,
  type TrackStateStore,
} from "./track-state.ts";

export interface CameraRun {
  readonly camera: string;
  readonly stage: CameraTrackStage;
  /** Stream sequence of the last detections message the stage has taken in (0: none yet). */
  lastSeq: number;
  /** lastSeq when the state was last saved (0: never saved). */
  savedSeq: number;
  /**
   * The newest frame taken in (its ingest sequence number and capture time), to drop frames that arrive
   * after a newer one (several detect instances finish frames in any order). In memory only.
   */
  lastFrame?: { seq: number; capturedAtMs: number };
  /**
   * The last frame's events while they are not published yet (publishing failed: the message comes back
   * for them). In memory only.
   */
  unpublished?: { streamSeq: number; publish: () => Promise<void> } | undefined;
  /** Each live track's last face crop, for the thumbnails of its events. In memory only. */
  readonly crops: TrackCrops;
}

export interface CameraRunsDeps {
  bus: TypedBus;
  store: TrackStateStore;
  logger: ServiceDeps["logger"];
  newStage: (camera: string) => CameraTrackStage;
}

export class CameraRuns {
  readonly #deps: CameraRunsDeps;
  readonly #runs = new Map<string, CameraRun>();
  /** When FT_DETECTIONS was created: the stream the sequences refer to. */
  #streamCreated: string;

  private constructor(deps: CameraRunsDeps, streamCreated: string) {
    this.#deps = deps;
    this.#streamCreated = streamCreated;
  }

  static async open(deps: CameraRunsDeps): Promise<CameraRuns> {
    return new CameraRuns(deps, await detectionsCreated(deps.bus));
  }

  /** The camera's run, a fresh one for a camera seen for the first time. */
  run(camera: string): CameraRun {
    let run = this.#runs.get(camera);
    if (!run) {
      run = { camera, stage: this.#deps.newStage(camera), lastSeq: 0, savedSeq: 0, crops: new TrackCrops() };
      this.#runs.set(camera, run);
    }
    return run;
  }

  all(): CameraRun[] {
    return [...this.#runs.values()];
  }

  /** The camera's run, if it has one. */
  get(camera: string): CameraRun | undefined {
    return this.#runs.get(camera);
  }

  /** Forgets the camera (another instance owns it now; its state is in the store). */
  forget(camera: string): void {
    this.#runs.delete(camera);
  }

  /**
   * Restores the camera's saved state (none saved: it starts afresh). One that cannot be used (another
   * format version, malformed) is logged and the camera starts afresh. A state saved against an
   * FT_DETECTIONS since re-created is restored without its sequence (there is nothing to replay).
   */
  async restore(camera: string): Promise<void> {
    const { logger, newStage } = this.#deps;
    this.#runs.delete(camera);
    try {
      const stored = await this.#deps.store.load(camera);
      if (stored === undefined) return;
      if (stored.error !== undefined) throw stored.error;
      const saved = parseSavedState(stored.value);
      const stage = newStage(camera);
      stage.restore(saved.stage);
      await this.#sameStream(); // brings #streamCreated up to date
      const sameStream = saved.streamCreated === this.#streamCreated;
      const seq = sameStream ? saved.streamSeq : 0;
      this.#runs.set(camera, { camera, stage, lastSeq: seq, savedSeq: seq, crops: new TrackCrops() });
      logger.info("camera tracking state restored", {
        camera,
        streamSeq: saved.streamSeq,
        tracks: saved.stage.session.tracks.length,
        ...(sameStream ? {} : { note: "FT_DETECTIONS was re-created since: nothing to replay" }),
      });
    } catch (error) {
      logger.warn("camera tracking state not restored: the camera starts afresh", {
        camera,
        bucket: TRACK_STATE_BUCKET,
        error: error as Error,
      });
    }
  }

  /** A message at or before the last one the camera took in (a redelivery), unless the stream was re-created. */
  async alreadyTaken(run: CameraRun, streamSeq: number): Promise<boolean> {
    return streamSeq <= run.lastSeq && (await this.#sameStream());
  }

  /** Saves the camera's state; a failure is logged (the next save tries again). */
  async save(run: CameraRun): Promise<void> {
    const state: SavedCameraState = {
      v: TRACK_STATE_VERSION,
      streamSeq: run.lastSeq,
      streamCreated: this.#streamCreated,
      stage: run.stage.snapshot(),
    };
    try {
      await this.#deps.store.save(run.camera, state);
      run.savedSeq = state.streamSeq;
    } catch (error) {
      this.#deps.logger.warn("could not save the camera's tracking state; trying again at the next save", {
        camera: run.camera,
        error: error as Error,
      });
    }
  }

  /** Saves every camera that took in messages since its last save. */
  async saveChanged(): Promise<void> {
    const changed = this.all().filter((run) => run.lastSeq > run.savedSeq);
    if (changed.length === 0) return;
    try {
      if (!(await this.#sameStream())) return;
    } catch (error) {
      this.#deps.logger.warn("cannot read FT_DETECTIONS; saving at the next round", {
        error: error as Error,
      });
      return;
    }
    for (const run of changed) await this.save(run);
  }

  /**
   * Whether FT_DETECTIONS is still the stream the sequences refer to. A re-created stream (memory storage,
   * after a nats-server restart) numbers its messages afresh: every camera then forgets its sequences.
   */
  async #sameStream(): Promise<boolean> {
    const created = await detectionsCreated(this.#deps.bus);
    if (created === this.#streamCreated) return true;
    this.#deps.logger.warn("FT_DETECTIONS was re-created: its sequences start over", {
      before: this.#streamCreated,
      created,
    });
    this.#streamCreated = created;
    for (const run of this.#runs.values()) {
      run.lastSeq = 0;
      run.savedSeq = 0;
    }
    return false;
  }
}

/** When FT_DETECTIONS was created (creating it when missing). */
async function detectionsCreated(bus: TypedBus): Promise<string> {
  return (await bus.streamState("detections")).created;
}
