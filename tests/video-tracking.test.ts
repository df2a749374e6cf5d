import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { FrameResult } from "@facetracker/pipeline";
import {
  type Actor,
  locateFace,
  renderScene,
  sampleFaces,
  samplePhotos,
  type TruthFrame,
} from "@facetracker/samples";
import { FaceTracker } from "@facetracker/sdk";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { FaceAnalyzer, iou, type RgbImage } from "@facetracker/vision";

const W = 640;
const H = 360;
const FPS = 25;

describe("FaceTracker on a generated ground-truth video (registry face photos on known paths)", () => {
  let dir: string;
  let analyzer: FaceAnalyzer;
  let tracker: FaceTracker;
  let pictures: RgbImage[];
  const names = ["dee", "amy", "cat", "bea"];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-track-"));
    analyzer = await FaceAnalyzer.create();
    pictures = await sampleFaces(
      analyzer,
      samplePhotos(),
      [
        [5, 0],
        [0, 0],
        [2, 2],
        [0, 2],
      ],
      60,
    );
    tracker = await FaceTracker.create({ db_path: path.join(dir, "gallery") }, { analyzer });
    for (const [i, name] of names.entries()) {
      const report = await tracker.recognizer.enroll(name, [
        await writeMirroredJpeg(pictures[i] as RgbImage, path.join(dir, `${name}.jpg`)),
      ]);
      assert.equal(report.enrolled, 1, `${name}: ${JSON.stringify(report.outcomes)}`);
    }
  });
  after(async () => {
    await tracker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("tracks every face, follows the truth boxes and never switches identity while a face is visible", async () => {
    const [dee, amy, cat, bea] = pictures as [RgbImage, RgbImage, RgbImage, RgbImage];
    const low = (p: RgbImage) => H - p.height - 4;
    const actors: Actor[] = [
      // Still in the bottom-left corner (bea walks over it near the end).
      {
        name: "dee",
        picture: dee,
        faceInPicture: await locateFace(analyzer, dee),
        position: () => [12, low(dee)],
      },
      // Left to right along the top, crossing bea, leaving at the right edge at the end.
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: (f) => [20 + 3.2 * f, 20],
      },
      // Walks out on the right, is away for 2.4 s (longer than the track buffer), comes back.
      {
        name: "cat",
        picture: cat,
        faceInPicture: await locateFace(analyzer, cat),
        position: (f) => (f < 60 ? [170 + 8 * f, low(cat)] : f < 120 ? null : [W - 8 * (f - 120), low(cat)]),
      },
      // Right to left, lower than amy: crosses her around frame 76, drawn over her.
      {
        name: "bea",
        picture: bea,
        faceInPicture: await locateFace(analyzer, bea),
        position: (f) => [510 - 3.2 * f, 95],
      },
    ];
    const file = path.join(dir, "scene.mp4");
    const truth = await renderScene(file, { width: W, height: H, fps: FPS, frames: 175, actors });

    const results: FrameResult[] = [];
    for await (const r of tracker.predictBatch(file))
      results.push({ ...r, image: { width: 0, height: 0, data: new Uint8Array() } });
    assert.equal(results.length, 175);

    const namesByTrack = new Map<number, Set<string>>();
    for (const actor of names) {
      let visible = 0;
      let followed = 0;
      let runIds = new Set<number>();
      const runs: Set<number>[] = [];
      truth.forEach((frameTruth: TruthFrame[], f) => {
        const t = frameTruth.find((x) => x.actor === actor);
        if (!t?.visible) {
          if (runIds.size) runs.push(runIds);
          runIds = new Set();
          return;
        }
        visible++;
        const live = (results[f]?.tracks ?? []).filter((r) => r.state !== "lost");
        const best = live.reduce<{ r?: (typeof live)[number]; iou: number }>(
          (acc, r) => (iou(r.box, t.box) > acc.iou ? { r, iou: iou(r.box, t.box) } : acc),
          { iou: 0 },
        );
        if (best.r && best.iou >= 0.5) {
          followed++;
          if (best.r.trackId > 0) {
            runIds.add(best.r.trackId);
            const seen = namesByTrack.get(best.r.trackId) ?? new Set<string>();
            if (best.r.identity) seen.add(best.r.identity.name);
            namesByTrack.set(best.r.trackId, seen);
          }
        }
      });
      if (runIds.size) runs.push(runIds);
      assert.ok(visible > 40, `${actor}: only ${visible} visible frames in the scene`);
      assert.ok(
        followed / visible >= 0.95,
        `${actor}: a track box within IoU 0.5 of the truth on ${followed}/${visible} visible frames`,
      );
      for (const run of runs)
        assert.ok(run.size <= 1, `${actor}: track IDs ${[...run]} within one visible stretch`);
      const ids = new Set(runs.flatMap((r) => [...r]));
      for (const id of ids) {
        assert.deepEqual(
          [...(namesByTrack.get(id) ?? [])],
          [actor],
          `${actor}: names carried by track ${id}`,
        );
      }
    }
    const stats = tracker.lastStats;
    assert.ok(
      stats && stats.embeddings < stats.detections / 3,
      `embeddings ${stats?.embeddings} for ${stats?.detections} detections`,
    );
  });

  it("re-identifies still faces at least 10× less often with the ReID expiration filter, with the same identities", async () => {
    const [dee, amy, , bea] = pictures as [RgbImage, RgbImage, RgbImage, RgbImage];
    const actors: Actor[] = [
      { name: "dee", picture: dee, faceInPicture: await locateFace(analyzer, dee), position: () => [30, 60] },
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: () => [250, 80],
      },
      {
        name: "bea",
        picture: bea,
        faceInPicture: await locateFace(analyzer, bea),
        position: () => [470, 100],
      },
    ];
    const file = path.join(dir, "still.mp4");
    await renderScene(file, { width: W, height: H, fps: FPS, frames: 120, actors });
    const run = async (enabled: boolean) => {
      const t = await FaceTracker.create(
        {
          db_path: path.join(dir, "gallery"),
          face_filters: { enable_reid_expiration_filter: enabled, reid_expiration_frames: 30 },
        },
        { analyzer, gallery: tracker.gallery },
      );
      try {
        const found = await t.findFacesInFile(file);
        return {
          embeddings: found.stats.embeddings,
          names: found.faces.map((f) => f.identity?.name ?? "unknown").sort(),
        };
      } finally {
        await t.close();
      }
    };
    const on = await run(true);
    const off = await run(false);
    console.log(
      `still faces, 120 frames: ${on.embeddings} embeddings with the ReID filter, ${off.embeddings} without`,
    );
    assert.deepEqual(on.names, ["amy", "bea", "dee"]);
    assert.deepEqual(on.names, off.names);
    assert.ok(
      off.embeddings >= 3 * 115,
      `without the filter every frame of every face is embedded: ${off.embeddings}`,
    );
    assert.ok(
      on.embeddings * 10 <= off.embeddings,
      `with the filter ${on.embeddings} embeddings, without ${off.embeddings}`,
    );
  });

  it("does not embed a face a filter rejects, and keeps its track", async () => {
    const [dee, amy] = pictures as [RgbImage, RgbImage];
    const actors: Actor[] = [
      { name: "dee", picture: dee, faceInPicture: await locateFace(analyzer, dee), position: () => [40, 60] },
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: (f) => [400 + f, 80],
      },
    ];
    const file = path.join(dir, "zone.mp4");
    await renderScene(file, { width: W, height: H, fps: FPS, frames: 40, actors });
    const t = await FaceTracker.create(
      {
        db_path: path.join(dir, "gallery"),
        face_filters: {
          enable_zone_filter: true,
          zone: [
            [0, 0],
            [320, 0],
            [320, 360],
            [0, 360],
          ],
        },
      },
      { analyzer, gallery: tracker.gallery },
    );
    try {
      const right = new Set<number>();
      let rightEmbedded = 0;
      let leftEmbedded = 0;
      for await (const r of t.predictBatch(file)) {
        for (const k of r.tracks) {
          if (k.box[0] > 320) {
            if (k.trackId > 0) right.add(k.trackId);
            assert.equal(k.filteredBy, k.state === "lost" ? null : "zone");
            if (k.embedded) rightEmbedded++;
          } else if (k.embedded) leftEmbedded++;
        }
      }
      assert.equal(rightEmbedded, 0, "a face outside the zone is never embedded");
      assert.equal(right.size, 1, `the face outside the zone keeps one track: ${[...right]}`);
      assert.ok(leftEmbedded >= 3, "the face inside the zone is embedded");
    } finally {
      await t.close();
    }
  });

  it("takes decoded frames from any iterable (predictBatch without a file)", async () => {
    const [dee] = pictures as [RgbImage];
    const frames = Array.from({ length: 8 }, (_, i) => {
      const data = new Uint8Array(W * H * 3).fill(90);
      for (let y = 0; y < dee.height; y++)
        data.set(dee.data.subarray(y * dee.width * 3, (y + 1) * dee.width * 3), ((y + 50) * W + 100 + i) * 3);
      return { width: W, height: H, data, index: i, pts: i / 10 };
    });
    const results = [];
    for await (const r of tracker.predictBatch(frames, { frameRate: 10 })) results.push(r);
    assert.equal(results.length, 8);
    assert.deepEqual(
      results.map((r) => r.pts),
      frames.map((f) => f.pts),
    );
    const last = results.at(-1)?.tracks.find((k) => k.state === "confirmed");
    assert.ok(last, "one confirmed track");
    assert.equal(last.identity?.name, "dee");
  });
});
