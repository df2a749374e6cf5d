import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VideoFaces } from "@facetracker/pipeline";
import { renderReport } from "./report-html.ts";

const stats = {
  frames: 10,
  detections: 12,
  embeddings: 4,
  splits: 0,
  fps: 50,
  wallMs: 200,
  stages: { decode: 0, detect: 0, track: 0, landmarks: 0, align: 0, embed: 0, match: 0 },
  lostFrames: 0,
  corruptFrames: 0,
  damagedRanges: [],
};
const face = (trackId: number, name: string | null) => ({
  trackId,
  identity: name ? { id: "x", name, attributes: {}, similarity: 0.71 } : null,
  firstFrame: 0,
  lastFrame: 9,
  firstTime: 0,
  lastTime: 0.36,
  frames: 10,
  embeddingsComputed: 2,
  thumbnail: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
  alignedThumbnail: null,
  embeddings: [],
  memoryEmbeddings: [],
  undetermined: false,
});

describe("renderReport", () => {
  it("inlines thumbnails and escapes names", () => {
    const result: VideoFaces = {
      source: "/v/<lobby>.mp4",
      faces: [face(1, "O'Brien <b>"), face(2, null)],
      stats,
    };
    const html = renderReport(result, new Date("2026-01-02T03:04:05Z"));
    assert.match(html, /<title>Faces in &lt;lobby&gt;\.mp4<\/title>/);
    assert.match(html, /#1 O&#39;Brien &lt;b&gt; <small>0\.71<\/small>/);
    assert.match(html, /#2 unknown/);
    assert.equal(html.match(/src="data:image\/jpeg;base64,\/9j\/4A=="/g)?.length, 2);
    assert.match(html, /2 tracks \(1 recognised, 1 unknown\)/);
  });

  it("says which identity an unknown face came closest to", () => {
    const unknown = { ...face(2, null), closest: { id: "o", name: "obama <x>", similarity: 0.281 } };
    const html = renderReport({ source: "v.mp4", faces: [unknown], stats });
    assert.match(html, /#2 unknown <small>closest: obama &lt;x&gt; 0\.28<\/small>/);
  });

  it("says what a damaged video lost, and nothing of the kind for a clean one", () => {
    const damaged = {
      ...stats,
      lostFrames: 5,
      damagedRanges: [{ startS: 1.2, endS: 1.4, frames: 5, kind: "lost" as const }],
    };
    assert.match(
      renderReport({ source: "cut.mp4", faces: [], stats: damaged }),
      /Damaged video: lost 5 of 15 frames: 1\.20–1\.40 s\./,
    );
    assert.doesNotMatch(renderReport({ source: "clean.mp4", faces: [], stats }), /Damaged/);
  });

  it("says so when no face was tracked", () => {
    assert.match(
      renderReport({ source: "empty.mp4", faces: [], stats }),
      /No face was tracked in this video/,
    );
  });
});
