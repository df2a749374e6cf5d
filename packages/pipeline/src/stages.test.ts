import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AlertRules } from "@facetracker/alerts";
import { parseConfig } from "@facetracker/config";
import { EmbeddedGallery } from "@facetracker/gallery";
import { samplePhotos } from "@facetracker/samples";
import { cropImage, decodeImage, FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import { EmbedStage } from "./embed-stage.ts";
import { decodeJpeg, encodeFrameJpeg } from "./jpeg.ts";
import { CameraTrackStage } from "./track-stage.ts";

// The stage chain of the distributed pipeline, run in one process with real models (no bus):
// frame → JPEG → detect (landmarks, aligned JPEG crops) → track (embedding through the embed stage) → alerts.
describe("pipeline stages in one process (real models, registry sample photo)", () => {
  let dir: string;
  let gallery: EmbeddedGallery;
  let analyzer: FaceAnalyzer;
  let scene: RgbImage;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-stages-"));
    analyzer = await FaceAnalyzer.create();
    gallery = await EmbeddedGallery.open(path.join(dir, "gallery"), { dimension: 512 });
    const image = await decodeImage(samplePhotos()[0] as string);
    const faces = (await analyzer.analyze(image)).sort((a, b) => a.box[0] - b.box[0]);
    // Enroll the left person only.
    await gallery.enroll("left", [{ vector: faces[0]?.embedding as Float32Array }]);
    scene = cropImage(image, [0, 150, 1920, 1230]);
  });
  after(async () => {
    await gallery.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("tracks, names and alerts on still faces", async () => {
    const config = parseConfig({ credence_count: 2 });
    const detect = new DetectStage(analyzer, config);
    const embed = new EmbedStage(analyzer.embedder, gallery);
    let requests = 0;
    const track = new CameraTrackStage("cam1", config, {
      frameRate: 10,
      identify: async (crops) => {
        requests++;
        const results = await embed.run(crops.map((c, key) => ({ key, alignedRgb: c.data })));
        return results.map((r) => ({ embedding: r.vector, matches: r.matches }));
      },
    });
    const alerts = new AlertRules({ mode: "ON_ALL" });
    const jpeg = await encodeFrameJpeg(scene);
    const decisions = [];
    let last: Awaited<ReturnType<CameraTrackStage["run"]>> | undefined;
    let crops = 0;
    let predicted = 0;
    for (let seq = 0; seq < 12; seq++) {
      const frame = await decodeJpeg(jpeg);
      const detected = await detect.run("cam1", frame);
      // Still faces: after a few frames the motion gate predicts every other frame or two (no detection).
      assert.equal(detected.faces.length, detected.predicted ? 0 : 3);
      if (detected.predicted) predicted++;
      // Landmarks and crops of the faces whose crop is due (every face on the first frame), none else.
      const cropped = detected.faces.filter((f) => f.alignedRgb.length > 0);
      if (seq === 0) assert.equal(cropped.length, 3);
      assert.ok(cropped.every((f) => f.landmarks.length === 5 && f.alignedRgb.length === 112 * 112 * 3));
      assert.ok(detected.faces.every((f) => f.alignedRgb.length > 0 || f.landmarks.length === 0));
      crops += cropped.length;
      last = await track.run({ seq, pts: seq / 10, width: frame.width, height: frame.height, ...detected });
      for (const e of last.events) {
        const d = alerts.decide(e);
        if (d) decisions.push(d);
      }
    }
    const names = last?.frame.tracks.map((t) => t.identity?.name ?? "unknown").sort();
    assert.deepEqual(names, ["left", "unknown", "unknown"]);
    assert.equal(decisions.length, 3, "one alert per track in ON_ALL");
    assert.deepEqual(decisions.map((d) => d.identity?.name ?? "unknown").sort(), [
      "left",
      "unknown",
      "unknown",
    ]);
    assert.ok(requests < 12, `embed requests batched per frame and backed off: ${requests}`);
    assert.ok(crops < 3 * 12, `crops only when due: ${crops} of ${3 * 12} faces`);
    assert.ok(predicted > 0, "frames predicted");
    assert.deepEqual(
      last?.frame.tracks.map((t) => t.state),
      ["confirmed", "confirmed", "confirmed"],
      "predicted frames lose no track",
    );
    // The faces leave: each track's ended event carries a few of its embeddings for the face memory
    // (quality-ranked, unit length: a live track keeps no list of them), and only the ended event.
    const ended = [];
    for (let seq = 12; seq < 80 && ended.length < 3; seq++) {
      const out = await track.run({
        seq,
        pts: seq / 10,
        width: scene.width,
        height: scene.height,
        sceneCut: false,
        faces: [],
      });
      ended.push(...out.events.filter((e) => e.type === "ended"));
      assert.ok(out.events.every((e) => e.type === "ended" || e.memoryEmbeddings === undefined));
    }
    assert.equal(ended.length, 3, "the three tracks end");
    for (const e of ended) {
      const kept = e.memoryEmbeddings ?? [];
      assert.ok(kept.length >= 1 && kept.length <= config.memory.embeddings_per_track, `${kept.length} kept`);
      for (const m of kept) {
        assert.ok(Math.abs(Math.hypot(...m.vector) - 1) < 1e-3, "unit length");
        assert.ok(m.quality >= 0 && m.quality <= 1);
      }
      assert.equal(kept[0]?.quality, Math.max(...kept.map((m) => m.quality)), "the best face's first");
    }
  });

  it("the embed stage refuses a crop that is not an aligned face", async () => {
    const embed = new EmbedStage(analyzer.embedder, gallery);
    const wrong = new Uint8Array(64 * 64 * 3);
    await assert.rejects(
      embed.run([{ key: 7, alignedRgb: wrong }]),
      /item 7: aligned face must be 112×112 RGB \(37632 bytes\), got 12288 bytes/,
    );
  });
});
