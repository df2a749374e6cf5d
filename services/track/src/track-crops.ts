/**
 * Each live track's last aligned face crop (112×112 RGB) on one camera. The detect service crops a face
 * only on the frames its embedding is due, so a track event on another frame (a track identified when
 * its embedding came back, frames later) takes its thumbnail from here. In memory only.
 */

import type { CameraDetections, SessionFrame } from "@facetracker/pipeline";
import { type Box, iou } from "@facetracker/vision";

export class TrackCrops {
  readonly #crops = new Map<number, Uint8Array>();

  /** Takes in a tracked frame: the faces that have a crop, matched to their tracks by box. */
  update(input: CameraDetections, frame: Pick<SessionFrame, "tracks">): void {
    const cropOf = (box: Box) =>
      input.faces.find((f) => f.alignedRgb.length > 0 && iou(f.box, box) > 0.99)?.alignedRgb;
    for (const t of frame.tracks) {
      if (t.trackId === 0) continue; // tentative: no public ID yet
      const crop = cropOf(t.box);
      if (crop) this.#crops.set(t.trackId, crop);
    }
  }

  /** The track's last crop (this frame's when it had one); undefined when it never had one. */
  get(trackId: number): Uint8Array | undefined {
    return this.#crops.get(trackId);
  }

  /** Forgets tracks that ended. */
  forget(trackIds: Iterable<number>): void {
    for (const id of trackIds) this.#crops.delete(id);
  }

  get size(): number {
    return this.#crops.size;
  }
}
