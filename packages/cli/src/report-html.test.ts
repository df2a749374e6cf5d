import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { FaceSummary, VideoFaces } from "@facetracker/pipeline";
import { clipClockFrom, urlFromReport } from "./report-context.ts";
import { formatTime, NAME_ARG, renderReport, shellQuote, TRACK_ARG } from "./report-html.ts";

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
const face = (trackId: number, name: string | null, extra: Partial<FaceSummary> = {}): FaceSummary => ({
  trackId,
  identity: name ? { id: "x", name, attributes: {}, similarity: 0.71 } : null,
  firstFrame: 0,
  lastFrame: 9,
  firstTime: 0,
  lastTime: 0.36,
  frames: 10,
  segments: [{ firstFrame: 0, lastFrame: 9, firstTime: 0, lastTime: 0.36 }],
  embeddingsComputed: 2,
  thumbnail: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
  alignedThumbnail: null,
  embeddings: [],
  memoryEmbeddings: [],
  undetermined: false,
  ...extra,
});

/** The articles of the tracks, by track ID. */
function rows(html: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of html.matchAll(/<article class="track [^"]*" data-track="(\d+)"[\s\S]*?<\/article>/g))
    out.set(Number(m[1]), m[0]);
  return out;
}

describe("renderReport", () => {
  it("inlines thumbnails and escapes names", () => {
    const result: VideoFaces = {
      source: "/v/<lobby>.mp4",
      faces: [face(1, "O'Brien <b>"), face(2, null)],
      stats,
    };
    const html = renderReport(result, { generatedAt: new Date("2026-01-02T03:04:05Z") });
    assert.match(html, /<title>Faces in &lt;lobby&gt;\.mp4<\/title>/);
    assert.match(html, /#1 O&#39;Brien &lt;b&gt; <small>0\.71<\/small>/);
    assert.match(html, /data-name="O&#39;Brien &lt;b&gt;"/);
    assert.doesNotMatch(html, /<b>/);
    assert.match(html, /#2 unknown/);
    assert.equal(html.match(/src="data:image\/jpeg;base64,\/9j\/4A=="/g)?.length, 2);
    assert.match(html, /2 tracks \(1 recognised, 1 unknown\)/);
    assert.match(html, /generated 2026-01-02T03:04:05\.000Z/);
  });

  it("says which identity an unknown face came closest to", () => {
    const unknown = face(2, null, { closest: { id: "o", name: "obama <x>", similarity: 0.281 } });
    const html = renderReport({ source: "v.mp4", faces: [unknown], stats });
    assert.match(html, /#2 unknown <small>— closest: obama &lt;x&gt; 0\.28<\/small>/);
  });

  it("draws one row per track, a bar per stretch on screen, placed on the video's span, with exact times", () => {
    const amy = face(1, "amy", {
      firstFrame: 25,
      lastFrame: 250,
      firstTime: 1,
      lastTime: 10,
      segments: [
        { firstFrame: 25, lastFrame: 75, firstTime: 1, lastTime: 3.02 },
        { firstFrame: 200, lastFrame: 250, firstTime: 8.005, lastTime: 10 },
      ],
    });
    const bea = face(2, null, { firstTime: 12.345, lastTime: 15, firstFrame: 308, lastFrame: 375 });
    bea.segments = [{ firstFrame: 308, lastFrame: 375, firstTime: 12.345, lastTime: 15 }];
    const html = renderReport({ source: "v.mp4", faces: [amy, bea], stats }, { durationS: 20 });
    const byTrack = rows(html);
    assert.equal(byTrack.size, 2);
    const amyRow = byTrack.get(1) as string;
    const bars = [
      ...amyRow.matchAll(
        /<button class="bar" data-t="([\d.]+)" data-end="([\d.]+)" style="left:([\d.]+)%;width:([\d.]+)%"/g,
      ),
    ].map((m) => m.slice(1).map(Number));
    assert.deepEqual(bars, [
      [1, 3.02, 5, 10.1],
      [8.005, 10, 40.025, 9.975],
    ]);
    assert.match(amyRow, /data-name="amy" data-first="1" data-duration="4\.015"/);
    assert.match(
      amyRow,
      /On screen 2 times: .*data-t="1".*0:01\.000.*data-t="3\.02".*0:03\.020.*data-t="8\.005".*0:08\.005/,
    );
    const beaRow = byTrack.get(2) as string;
    assert.match(
      beaRow,
      /<button class="t" data-t="12\.345" data-label="0:12\.345">0:12\.345<\/button>–<button class="t" data-t="15"/,
    );
    assert.doesNotMatch(beaRow, /On screen \d+ times/, "one stretch: no list");
    assert.match(html, /<body data-span="20">/);
    // The axis: 0 to 20 s, ticks every 2 s.
    assert.match(html, /<span style="left:10%">0:02<\/span>/);
    assert.match(html, /<span style="left:100%">0:20<\/span>/);
    assert.equal(formatTime(3723.4567), "1:02:03.457");
    assert.equal(formatTime(0.0004), "0:00.000");
  });

  it("gives a stored clip's times on the wall clock: each frame's capture time, else the start plus the offset", () => {
    const f = face(3, "amy", {
      firstFrame: 2,
      lastFrame: 50,
      firstTime: 0.08,
      lastTime: 2,
      segments: [{ firstFrame: 2, lastFrame: 50, firstTime: 0.08, lastTime: 2 }],
    });
    const start = Date.UTC(2026, 10, 24, 10, 15, 0, 120);
    const html = renderReport(
      { source: "cam1/2026-11-24/101503-a1.mp4", faces: [f], stats },
      { clock: { startMs: start, frameTimesMs: [start, start + 40, start + 85], note: "the side file" } },
    );
    // Frame 2's capture time (85 ms, not 80), and frame 50's from the start (no time for it: 2 s later).
    assert.match(html, /<time class="wall" datetime="2026-11-24T10:15:00\.205Z">/);
    assert.match(html, /<time class="wall" datetime="2026-11-24T10:15:02\.120Z">/);
    assert.match(
      html,
      /data-t="0\.08" data-label="2026-11-24T10:15:00\.205Z" title="0:00\.080 into the video"/,
    );
    assert.match(
      html,
      /times on the wall clock \(your time zone; the side file\), from 2026-11-24T10:15:00\.120Z/,
    );
    // Without a clock: offsets only.
    assert.doesNotMatch(renderReport({ source: "v.mp4", faces: [f], stats }), /<time /);
  });

  it("reads a clip's side file for its clock", () => {
    const clock = clipClockFrom(
      JSON.stringify({
        start_ms: 1000,
        end_ms: 3000,
        per_frame: [
          { index: 0, time_ms: 1000 },
          { index: 1, time_ms: 1041 },
        ],
      }),
    );
    assert.deepEqual(clock, { startMs: 1000, endMs: 3000, frameTimesMs: [1000, 1041] });
    assert.equal(clipClockFrom("{not json"), undefined);
    assert.equal(clipClockFrom(JSON.stringify({ version: 1 })), undefined);
  });

  it("writes each track's enroll command, quoted for the shell, with NAME to fill in for an unknown face", () => {
    const args = [
      "facetracker",
      "enroll",
      "--db",
      "/g dir/it's",
      "--name",
      NAME_ARG,
      "--from-video",
      "/v/a b.mp4",
      "--track",
      TRACK_ARG,
    ];
    const html = renderReport(
      { source: "a b.mp4", faces: [face(1, "amy"), face(4, null), face(5, "O'Brien")], stats },
      { enroll: { args } },
    );
    const byTrack = rows(html);
    assert.match(
      byTrack.get(4) as string,
      /Enroll this face: <code>facetracker enroll --db &#39;\/g dir\/it&#39;\\&#39;&#39;s&#39; --name NAME --from-video &#39;\/v\/a b\.mp4&#39; --track 4<\/code> <small>\(NAME: who it is\)<\/small>/,
    );
    assert.match(
      byTrack.get(1) as string,
      /Enroll more of this face: <code>facetracker enroll .* --name amy .* --track 1<\/code>/,
    );
    assert.match(byTrack.get(5) as string, /--name &#39;O&#39;\\&#39;&#39;Brien&#39; /);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote("clip:cam1/2026-11-24/101503-a1"), "clip:cam1/2026-11-24/101503-a1");
    const none = renderReport(
      { source: "-", faces: [face(1, null)], stats },
      { enroll: { unavailable: "A live stream cannot be read again" } },
    );
    assert.match(none, /<p class="enroll">A live stream cannot be read again<\/p>/);
  });

  it("plays the video beside the report, and says how to get one when there is none", () => {
    const html = renderReport(
      { source: "v.mp4", faces: [face(1, "amy")], stats },
      { video: { src: "out/annotated%20copy.mp4", annotated: true } },
    );
    assert.match(
      html,
      /<video id="player" controls preload="metadata" src="out\/annotated%20copy\.mp4"><\/video>/,
    );
    assert.match(html, /The annotated copy \(out\/annotated copy\.mp4\)/);
    const without = renderReport({ source: "v.mp4", faces: [face(1, "amy")], stats });
    assert.doesNotMatch(without, /<video/);
    assert.match(without, /--annotate/);
    assert.equal(urlFromReport("/r/report.html", "/r/out/a b#1.mp4"), "out/a%20b%231.mp4");
    assert.equal(urlFromReport("/r/x/report.html", "/r/a.mp4"), "../a.mp4");
    assert.equal(urlFromReport("-", "/r/a.mp4"), "file:///r/a.mp4");
  });

  it("loads nothing from elsewhere: a Content-Security-Policy allowing its own script by hash", () => {
    const html = renderReport({ source: "v.mp4", faces: [face(1, "amy")], stats });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";
    assert.match(csp, /^default-src 'none'; img-src data:; /);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    const hash = createHash("sha256").update(script).digest("base64");
    assert.ok(csp.includes(`script-src 'sha256-${hash}'`), csp);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
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
