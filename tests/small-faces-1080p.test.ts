import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Actor,
  locateFace,
  renderScene,
  sampleFaces,
  samplePhotos,
  type TruthFrame,
} from "@facetracker/samples";
import { FaceTracker } from "@facetracker/sdk";
import { FaceAnalyzer, iou, type RgbImage } from "@facetracker/vision";

const W = 1920;
const H = 1080;
const FRAMES = 24;

describe("small faces in a generated 1080p video (tiled detection)", () => {
  let dir: string;
  let analyzer: FaceAnalyzer;
  let video: string;
  let truth: TruthFrame[][];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-1080p-"));
    analyzer = await FaceAnalyzer.create();
    const picks: [number, number][] = [
      [0, 0],
      [0, 2],
      [5, 0],
      [5, 1],
      [3, 0],
      [2, 2],
    ];
    const widths = [30, 34, 38, 42, 46, 50];
    const actors: Actor[] = [];
    for (const [i, pick] of picks.entries()) {
      const [picture] = (await sampleFaces(analyzer, samplePhotos(), [pick], widths[i] as number)) as [
        RgbImage,
      ];
      // The face is located on a 1080p frame, where the tiles (not the whole-frame pass) find it.
      const faceInPicture = await locateFace(analyzer, picture, W, H, "auto");
      const x0 = 150 + i * 290;
      const y0 = 200 + (i % 3) * 250;
      actors.push({ name: `face${i}`, picture, faceInPicture, position: (f) => [x0 + 2 * f, y0] });
    }
    video = path.join(dir, "plaza-1080p.mp4");
    truth = await renderScene(video, { width: W, height: H, fps: 25, frames: FRAMES, actors });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function recall(tiling: "auto" | "off"): Promise<number> {
    const tracker = await FaceTracker.create(
      { db_path: path.join(dir, "gallery"), detection: { tiling } },
      { analyzer },
    );
    let found = 0;
    let total = 0;
    try {
      for await (const r of tracker.predictBatch(video)) {
        for (const t of truth[r.index] ?? []) {
          total++;
          if (r.tracks.some((k) => k.state !== "lost" && iou(k.box, t.box) >= 0.4)) found++;
        }
      }
    } finally {
      await tracker.close();
    }
    return found / total;
  }

  it("tracks faces 30–50 px wide with tiles, which the whole-frame pass misses", async () => {
    const tiled = await recall("auto");
    const whole = await recall("off");
    console.log(`1080p small faces: recall ${tiled.toFixed(3)} with tiles, ${whole.toFixed(3)} without`);
    assert.ok(tiled >= 0.9, `recall with tiles ${tiled}`);
    assert.ok(whole < 0.5, `recall without tiles ${whole}: the test scene is not hard enough`);
  });
});
