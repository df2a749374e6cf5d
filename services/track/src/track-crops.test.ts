import assert from "node:assert/strict";
import { test } from "node:test";
import type { CameraDetections } from "@facetracker/pipeline";
import { TrackCrops } from "./track-crops.ts";

const box = (x: number): [number, number, number, number] => [x, 10, x + 40, 50];
const crop = (v: number) => new Uint8Array(112 * 112 * 3).fill(v);
const detections = (faces: { x: number; crop?: Uint8Array }[]): CameraDetections =>
  ({
    faces: faces.map((f) => ({
      box: box(f.x),
      score: 0.9,
      landmarks: [],
      alignedRgb: f.crop ?? new Uint8Array(0),
    })),
  }) as unknown as CameraDetections;
const tracks = (ids: [number, number][]) => ({
  tracks: ids.map(([trackId, x]) => ({ trackId, box: box(x) })) as never,
});

test("a track's event on a frame without its crop (the crop was not due) gets the track's last crop", () => {
  const crops = new TrackCrops();
  crops.update(
    detections([{ x: 0, crop: crop(1) }, { x: 100 }]),
    tracks([
      [1, 0],
      [0, 100],
    ]),
  );
  assert.equal(crops.get(1)?.[0], 1);
  assert.equal(crops.size, 1, "no crop kept for a tentative track or a face without a crop");
  // The next frames predict or detect without crops: the last crop stays.
  crops.update(detections([{ x: 2 }]), tracks([[1, 2]]));
  assert.equal(crops.get(1)?.[0], 1);
  // A newer crop replaces it.
  crops.update(detections([{ x: 4, crop: crop(7) }]), tracks([[1, 4]]));
  assert.equal(crops.get(1)?.[0], 7);
  assert.equal(crops.get(2), undefined, "a track that never had a crop: none");
  crops.forget([1]);
  assert.equal(crops.size, 0);
});
