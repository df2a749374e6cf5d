import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { background, sampleFaces, samplePhotos } from "@facetracker/samples";
import { ByteTracker } from "@facetracker/tracking";
import {
  type Box,
  type Detection,
  FaceAnalyzer,
  iou,
  motionThumbnail,
  type RgbImage,
} from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import { type DetectionPlan, fit, MotionGate } from "./motion-gate.ts";
import { motionGateOptions } from "./options-from-config.ts";

const W = 1280;
const H = 720;

function paste(frame: RgbImage, picture: RgbImage, left: number, top: number): void {
  for (let y = 0; y < picture.height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= frame.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(picture.width, frame.width - left);
    if (x1 <= x0) continue;
    frame.data.set(
      picture.data.subarray((y * picture.width + x0) * 3, (y * picture.width + x1) * 3),
      (fy * frame.width + left + x0) * 3,
    );
  }
}

/** A frame of the background, `light` grey levels brighter, with pictures pasted at their places. */
function compose(
  bg: RgbImage,
  light: number,
  placed: { picture: RgbImage; at: [number, number] }[],
): RgbImage {
  const data = Uint8Array.from(bg.data);
  if (light) for (let i = 0; i < data.length; i++) data[i] = Math.min(255, (data[i] as number) + light);
  const frame = { width: bg.width, height: bg.height, data };
  for (const p of placed) paste(frame, p.picture, Math.round(p.at[0]), Math.round(p.at[1]));
  return frame;
}

describe("motion gate: planning (no models)", () => {
  const gate = (masks: [number, number][][] = []) =>
    new MotionGate(
      motionGateOptions(parseConfig({ detection: { motion: { full_frame_every: 10, masks } } })),
    );
  const still = background(W, H);
  const withSquare = (x: number) => {
    const f = compose(still, 0, []);
    for (let y = 300; y < 380; y++) f.data.fill(250, (y * W + x) * 3, (y * W + x + 80) * 3);
    return f;
  };

  it("fits regions to the detector's 4:3 input, never smaller than it, inside the frame", () => {
    assert.deepEqual(fit([600, 300, 640, 340], [0, 0, W, H]), [460, 200, 780, 440]);
    assert.deepEqual(fit([0, 0, 40, 40], [0, 0, W, H]), [0, 0, 320, 240], "shifted in at the corner");
    const wide = fit([100, 100, 900, 200], [0, 0, W, H]);
    assert.ok(Math.abs((wide[2] - wide[0]) / (wide[3] - wide[1]) - 4 / 3) < 0.01);
  });

  it("looks at the whole frame first, then nowhere while nothing moves, and at the whole frame every N frames", () => {
    const g = gate();
    const plans: DetectionPlan["kind"][] = [];
    for (let i = 0; i < 25; i++) plans.push(g.plan("cam", motionThumbnail(still), false).plan.kind);
    assert.equal(plans[0], "full");
    assert.deepEqual(
      plans.map((k, i) => (k === "full" ? i : -1)).filter((i) => i >= 0),
      [0, 10, 20],
    );
    assert.ok(plans.every((k) => k === "full" || k === "none"));
    assert.equal(g.plan("cam", motionThumbnail(still), true).plan.kind, "full", "a shot cut");
  });

  it("looks where something moved, and around a face seen lately, until it is forgotten", () => {
    const g = gate();
    g.plan("cam", motionThumbnail(still), false);
    const moved = g.plan("cam", motionThumbnail(withSquare(900)), false);
    assert.equal(moved.plan.kind, "regions");
    const [region] = moved.plan.kind === "regions" ? moved.plan.regions : [];
    assert.ok(region && region[0] <= 900 && region[2] >= 980 && region[1] <= 300 && region[3] >= 380);
    // A face found there is checked while it stands still.
    g.record("cam", moved, [{ box: [920, 310, 960, 360], score: 0.9 }]);
    const next = g.plan("cam", motionThumbnail(withSquare(900)), false);
    assert.equal(next.plan.kind, "regions");
    // Another camera has its own background and faces.
    assert.equal(g.plan("other", motionThumbnail(withSquare(900)), false).plan.kind, "full");
  });

  it("takes a lighting ramp for no motion", () => {
    const g = gate();
    const kinds = new Set<string>();
    for (let i = 0; i < 9; i++)
      kinds.add(g.plan("cam", motionThumbnail(compose(still, i * 3, [])), false).plan.kind);
    assert.deepEqual([...kinds], ["full", "none"]);
  });

  it("predicts between detections while a face is stable, every 3rd frame at most, not when it moves fast", () => {
    const g = gate();
    const face: Box = [920, 310, 980, 380];
    const kinds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const d = g.plan("cam", motionThumbnail(still), false);
      kinds.push(d.plan.kind);
      g.record("cam", d, d.plan.kind === "predict" ? [] : [{ box: face, score: 0.9 }]);
    }
    // Frame 0 whole, then regions around the face until it is stable (4 detections), then 2 predicted
    // frames of 3, and the periodic whole frame on frame 10.
    assert.deepEqual(kinds, [
      "full",
      "regions",
      "regions",
      "regions",
      "predict",
      "predict",
      "regions",
      "predict",
      "predict",
      "regions",
      "full",
      "predict",
    ]);
    // A face moving a fifth of its width a frame: k = 1, detection on every frame.
    const fast = gate();
    const moving = [];
    for (let i = 0; i < 9; i++) {
      const d = fast.plan("cam", motionThumbnail(still), false);
      moving.push(d.plan.kind);
      const x = 300 + 12 * i;
      fast.record("cam", d, [{ box: [x, 310, x + 60, 380], score: 0.9 }]);
    }
    assert.ok(!moving.includes("predict"), moving.join(" "));
  });

  it("detects when something moves away from the stable faces", () => {
    const g = gate();
    const face: Box = [120, 310, 180, 380];
    for (let i = 0; i < 5; i++) {
      const d = g.plan("cam", motionThumbnail(still), false);
      g.record("cam", d, [{ box: face, score: 0.9 }]);
    }
    assert.equal(g.plan("cam", motionThumbnail(still), false).plan.kind, "predict");
    // The square and the face: one region would cover most of the frame, so the whole frame.
    assert.equal(g.plan("cam", motionThumbnail(withSquare(900)), false).plan.kind, "full");
  });

  it("leaves out motion inside a mask", () => {
    const g = gate([
      [
        [850, 250],
        [1050, 250],
        [1050, 450],
        [850, 450],
      ],
    ]);
    g.plan("cam", motionThumbnail(still), false);
    assert.equal(g.plan("cam", motionThumbnail(withSquare(900)), false).plan.kind, "none");
    assert.equal(g.plan("cam", motionThumbnail(withSquare(300)), false).plan.kind, "regions");
  });
});

describe("motion gate: keeps every face of the test scenes (registry sample photos, 1280×720)", () => {
  let analyzer: FaceAnalyzer;
  let pictures: RgbImage[];
  before(async () => {
    analyzer = await FaceAnalyzer.create();
    pictures = await sampleFaces(
      analyzer,
      samplePhotos(),
      [
        [0, 0],
        [5, 0],
      ],
      70,
    );
  });

  /**
   * Runs a scene through a gated detect stage and an ungated one; returns the faces (score ≥ 0.7) the
   * whole-frame detection found that the gated one missed (IoU < 0.5 with every gated detection), and the
   * plans.
   */
  async function compare(frames: RgbImage[], motion: object = {}) {
    // Detection recall of the gate alone: every frame detected (no stride; the tracker test below has it).
    const gated = new DetectStage(
      analyzer,
      parseConfig({ detection: { motion: { max_stride: 1, ...motion } } }),
    );
    const whole = new DetectStage(analyzer, parseConfig({ detection: { motion: { enabled: false } } }));
    const missed: { frame: number; box: Box }[] = [];
    const plans: string[] = [];
    let found = 0;
    for (const [i, frame] of frames.entries()) {
      const decision = gated.plan("cam", frame, false);
      const mine = await gated.detections(frame, decision.plan);
      gated.record("cam", decision, mine);
      plans.push(decision.plan.kind);
      const truth: Detection[] = (await whole.detections(frame)).filter((d) => d.score >= 0.7);
      found += truth.length;
      for (const t of truth) {
        if (!mine.some((d) => iou(d.box, t.box) >= 0.5 && d.score >= 0.7))
          missed.push({ frame: i, box: t.box });
      }
    }
    return { missed, plans, found, stats: gated.gateStats };
  }

  it("a face walking in slowly from the left while another stands still; both found on every frame", async () => {
    const bg = background(W, H);
    const [walker, stander] = pictures as [RgbImage, RgbImage];
    const frames: RgbImage[] = [];
    for (let f = 0; f < 90; f++) {
      const x = Math.min(200, -walker.width + 3 * f);
      frames.push(
        compose(bg, 0, [
          { picture: stander, at: [380, 250] },
          { picture: walker, at: [x, 300] },
        ]),
      );
    }
    const { missed, plans, found } = await compare(frames);
    assert.ok(found >= 90 + 30, `the whole-frame detector found both faces on many frames (${found})`);
    assert.deepEqual(missed, [], "every face the whole frame shows is found by the gate");
    assert.ok(plans.filter((p) => p === "regions").length > 40, `regions were used: ${plans.join(" ")}`);
  });

  it("a face that appears standing still between two whole-frame passes is found by the next one", async () => {
    const bg = background(W, H);
    const frames: RgbImage[] = [];
    // Empty for 14 frames, then a face pasted in at once and standing still.
    for (let f = 0; f < 40; f++)
      frames.push(compose(bg, 0, f < 14 ? [] : [{ picture: pictures[0] as RgbImage, at: [500, 200] }]));
    const { missed, plans } = await compare(frames, { full_frame_every: 10 });
    assert.deepEqual(missed, []);
    assert.equal(plans[13], "none", "nothing to look at before it came");
  });

  it("a lighting ramp over an empty scene skips detection except every N frames", async () => {
    const bg = background(W, H);
    const frames = Array.from({ length: 30 }, (_, f) => compose(bg, f * 2, []));
    const { plans, stats } = await compare(frames, { full_frame_every: 10 });
    assert.deepEqual(
      plans.map((p, i) => (p === "full" ? i : -1)).filter((i) => i >= 0),
      [0, 10, 20],
    );
    assert.equal(stats.skipped, 27);
  });

  it("a face moving inside a motion mask is still found by the whole-frame passes and then followed", async () => {
    const bg = background(W, H);
    const mask: [number, number][] = [
      [300, 100],
      [900, 100],
      [900, 600],
      [300, 600],
    ];
    const frames = Array.from({ length: 30 }, (_, f) =>
      compose(bg, 0, f < 3 ? [] : [{ picture: pictures[1] as RgbImage, at: [400 + 4 * f, 250] }]),
    );
    const { missed, plans } = await compare(frames, { full_frame_every: 10, masks: [mask] });
    // Frames 3–9: the face moves inside the mask, no motion counts and it was not seen yet: not looked at.
    assert.deepEqual(plans.slice(3, 10), Array(7).fill("none"));
    assert.deepEqual(
      missed.map((m) => m.frame),
      [3, 4, 5, 6, 7, 8, 9],
      "missed only until the next whole-frame pass, then followed around its last box",
    );
  });

  it("with the stride, the tracker follows every face the whole frame shows, on every frame", async () => {
    const bg = background(W, H);
    const [walker, stander] = pictures as [RgbImage, RgbImage];
    const frames: RgbImage[] = [];
    for (let f = 0; f < 90; f++) {
      const x = Math.min(200, -walker.width + 3 * f);
      frames.push(
        compose(bg, 0, [
          { picture: stander, at: [380 + (f > 60 ? 2 * (f - 60) : 0), 250] },
          { picture: walker, at: [x, 300] },
        ]),
      );
    }
    const gated = new DetectStage(analyzer, parseConfig({}));
    const whole = new DetectStage(analyzer, parseConfig({ detection: { motion: { enabled: false } } }));
    const tracker = new ByteTracker({ highThreshold: 0.7, lowThreshold: 0.3, newTrackThreshold: 0.7 });
    const unfollowed: number[] = [];
    let predicted = 0;
    for (const [i, frame] of frames.entries()) {
      const decision = gated.plan("cam", frame, false);
      const mine = await gated.detections(frame, decision.plan);
      gated.record("cam", decision, mine);
      if (decision.plan.kind === "predict") predicted++;
      const update = decision.plan.kind === "predict" ? tracker.predict() : tracker.update(mine);
      for (const t of (await whole.detections(frame)).filter((d) => d.score >= 0.7)) {
        if (!update.tracks.some((k) => k.state !== "lost" && iou(k.box, t.box) >= 0.5)) unfollowed.push(i);
      }
    }
    assert.ok(predicted >= 20, `frames predicted: ${predicted}`);
    assert.deepEqual(unfollowed, [], "a face the whole frame shows without a track on it");
  });
});
