import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type FaceFilterConfig,
  isFrontal,
  isShifted,
  type Point,
  pointInPolygon,
  rejectingFilter,
} from "./face-filters.ts";

const off: FaceFilterConfig = {
  enable_small_face_filter: false,
  min_face_size: 0,
  enable_zone_filter: false,
  enable_frontal_filter: false,
  enable_shift_filter: false,
};

// A frontal face in the box [100, 100, 200, 220].
const frontal: Point[] = [
  [130, 150],
  [170, 150],
  [150, 175],
  [135, 195],
  [165, 195],
];
// Turned to the side: the nose past the right eye and mouth corner.
const profile: Point[] = [
  [160, 150],
  [185, 150],
  [196, 175],
  [162, 195],
  [184, 195],
];

describe("pointInPolygon", () => {
  const square: Point[] = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  it("tells inside from outside, for convex and concave polygons", () => {
    assert.equal(pointInPolygon([5, 5], square), true);
    assert.equal(pointInPolygon([15, 5], square), false);
    const l: Point[] = [
      [0, 0],
      [10, 0],
      [10, 4],
      [4, 4],
      [4, 10],
      [0, 10],
    ];
    assert.equal(pointInPolygon([2, 8], l), true);
    assert.equal(pointInPolygon([8, 8], l), false);
  });
});

describe("face filters", () => {
  it("frontal: nose inside the eyes–mouth quadrilateral", () => {
    assert.equal(isFrontal(frontal), true);
    assert.equal(isFrontal(profile), false);
  });

  it("shift: all keypoints in one half of the box", () => {
    assert.equal(isShifted([100, 100, 200, 220], frontal), false);
    assert.equal(isShifted([40, 100, 160, 220], profile), true);
  });

  it("passes everything when every filter is off", () => {
    assert.equal(rejectingFilter({ box: [0, 0, 5, 5], landmarks: profile }, off), null);
  });

  it("names the first filter that rejects", () => {
    const all: FaceFilterConfig = {
      enable_small_face_filter: true,
      min_face_size: 50,
      enable_zone_filter: true,
      zone: [
        [0, 0],
        [300, 0],
        [300, 300],
        [0, 300],
      ],
      enable_frontal_filter: true,
      enable_shift_filter: true,
    };
    assert.equal(rejectingFilter({ box: [100, 100, 140, 220] }, all), "small_face");
    assert.equal(rejectingFilter({ box: [400, 100, 500, 220] }, all), "zone");
    assert.equal(rejectingFilter({ box: [100, 100, 200, 220], landmarks: profile }, all), "frontal");
    assert.equal(rejectingFilter({ box: [100, 100, 200, 220], landmarks: frontal }, all), null);
    const shiftOnly = { ...off, enable_shift_filter: true };
    assert.equal(rejectingFilter({ box: [40, 100, 160, 220], landmarks: profile }, shiftOnly), "shift");
  });

  it("defers landmark filters until landmarks are known", () => {
    const frontalOnly = { ...off, enable_frontal_filter: true };
    assert.equal(rejectingFilter({ box: [100, 100, 200, 220] }, frontalOnly), null);
  });
});
