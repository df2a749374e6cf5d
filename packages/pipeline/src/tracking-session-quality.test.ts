import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AlertRules, type TrackEvent, TrackEventDeriver } from "@facetracker/alerts";
import { parseConfig } from "@facetracker/config";
import { seededRandom } from "@facetracker/infra";
import {
  type Box,
  DEFAULT_FACE_QUALITY,
  NON_FACE_PROTOTYPE,
  type Point,
  type RgbImage,
} from "@facetracker/vision";
import {
  type FrameObservations,
  type GalleryMatch,
  type Identification,
  TrackingSession,
} from "./tracking-session.ts";

// The quality gate in the tracking stage, with scripted detections and embeddings (no models): a track
// whose faces are all below the bar is undetermined (never unknown, never alerted on as unknown), upgrades
// when good faces come; a track whose faces are no human face is never confirmed.

/** A 112×112 crop: "sharp" (a checkerboard: detail everywhere) or "blurred" (one flat grey). */
const crop = (sharp: boolean): RgbImage => {
  const data = new Uint8Array(112 * 112 * 3).fill(128);
  if (sharp) {
    for (let i = 0; i < 112 * 112; i++) {
      data.fill((((i % 112) ^ Math.floor(i / 112)) & 1) * 160 + 40, 3 * i, 3 * i + 3);
    }
  }
  return { width: 112, height: 112, data };
};
const SHARP = crop(true);
const BLURRED = crop(false);

/** A random unit vector of the embedder's size: far from the non-face prototype (|cos| ≈ 0.05). */
function faceVector(seed: number): Float32Array {
  const r = seededRandom(seed);
  const v = Float32Array.from({ length: NON_FACE_PROTOTYPE.length }, () => r() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const points: Point[] = [
  [40, 50],
  [70, 50],
  [55, 72],
  [44, 88],
  [67, 88],
];
const BOX: Box = [20, 20, 90, 110];

interface Script {
  aligned: RgbImage;
  embedding: Float32Array;
  matches: GalleryMatch[];
}

function observations(index: number, script: Script): FrameObservations {
  return {
    index,
    pts: index / 25,
    width: 640,
    height: 360,
    sceneCut: false,
    detections: [{ box: BOX, score: 0.97 }],
    landmarks: async () => points,
    aligned: async () => script.aligned,
  };
}

/** A session (credence 2, default schedule) fed by `script`, with ON_UNKNOWNS alert rules behind it. */
function pipeline(script: () => Script) {
  const config = parseConfig({ credence_count: 2 });
  const session = new TrackingSession(config, {
    frameRate: 25,
    identify: async (faces) =>
      faces.map((): Identification => {
        const s = script();
        return { embedding: s.embedding, norm: 3.5, matches: s.matches };
      }),
  });
  const deriver = new TrackEventDeriver();
  const rules = new AlertRules({ mode: "ON_UNKNOWNS" });
  const events: TrackEvent[] = [];
  const alerts: { frame: number; identity: string | null }[] = [];
  return {
    session,
    events,
    alerts,
    async run(frames: number[]) {
      let last: Awaited<ReturnType<TrackingSession["process"]>> | undefined;
      for (const f of frames) {
        last = await session.process(observations(f, script()));
        for (const e of deriver.next(last)) {
          events.push(e);
          const alert = rules.decide(e, f * 40);
          if (alert) alerts.push({ frame: f, identity: alert.identity?.name ?? null });
        }
      }
      return last;
    },
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("TrackingSession with the face-quality gate", () => {
  it("the configuration's face_quality defaults are vision's DEFAULT_FACE_QUALITY", () => {
    assert.deepEqual(parseConfig({}).face_quality, { ...DEFAULT_FACE_QUALITY });
  });

  it("a track with only blurred faces stays undetermined and never alerts in ON_UNKNOWNS; good faces make it unknown, and it alerts once", async () => {
    let aligned = BLURRED;
    const embedding = faceVector(1);
    const p = pipeline(() => ({ aligned, embedding, matches: [] }));
    const poor = await p.run(range(0, 30));
    const [track] = poor?.tracks ?? [];
    assert.deepEqual(
      [track?.trackId, track?.state, track?.identity, track?.undetermined, track?.identifying],
      [1, "confirmed", null, true, true],
      "confirmed (a human face), but nothing told of who it is",
    );
    assert.deepEqual(track?.quality, null, "not embedded on every frame: the schedule backs off");
    assert.ok(
      p.events.every((e) => e.type === "confirmed" || e.undetermined),
      "no identified event, every event marks the track undetermined",
    );
    assert.equal(p.alerts.length, 0, "no unknown alert for a face nothing could be told of");
    assert.ok(p.session.counters.embeddings < 15, `backoff: ${p.session.counters.embeddings} embeddings`);
    // The face memory still gets the undetermined track's best (blurred) faces, so a search can find it.
    const [undetermined] = await p.session.summaries();
    assert.equal(undetermined?.undetermined, true);
    assert.equal(undetermined?.embeddings.length, 0, "no embedding for enrollment from blurred faces");
    assert.equal(undetermined?.memoryEmbeddings.length, 1, "the same face each time: kept once");
    const blurredQuality = undetermined?.memoryEmbeddings[0]?.quality as number;

    aligned = SHARP;
    const good = await p.run(range(30, 40));
    assert.deepEqual(
      [good?.tracks[0]?.identity, good?.tracks[0]?.undetermined, good?.tracks[0]?.identifying],
      [null, false, false],
      "unknown now: good faces that match nobody",
    );
    assert.equal(p.alerts.length, 1);
    assert.equal(p.alerts[0]?.identity, null, "alerted as unknown");
    assert.ok((p.alerts[0]?.frame ?? 0) >= 30, "only once good faces came");
    const [summary] = await p.session.summaries();
    assert.deepEqual([summary?.identity, summary?.undetermined], [null, false]);
    // Once good faces came, the memory keeps theirs.
    assert.ok(
      (summary?.memoryEmbeddings[0]?.quality as number) > blurredQuality,
      `${summary?.memoryEmbeddings[0]?.quality} > ${blurredQuality}`,
    );
  });

  it("blurred faces are no evidence of a name either: the track upgrades to the name only once good faces come", async () => {
    let aligned = BLURRED;
    const alice: GalleryMatch = { identityId: "a", name: "alice", attributes: {}, similarity: 0.9 };
    const p = pipeline(() => ({ aligned, embedding: faceVector(2), matches: [alice] }));
    const poor = await p.run(range(0, 20));
    assert.deepEqual([poor?.tracks[0]?.identity, poor?.tracks[0]?.undetermined], [null, true]);
    aligned = SHARP;
    const good = await p.run(range(20, 30));
    assert.equal(good?.tracks[0]?.identity?.name, "alice");
    assert.equal(good?.tracks[0]?.undetermined, false);
    assert.deepEqual(p.alerts, [], "ON_UNKNOWNS: alice is no unknown");
    const identified = p.events.filter((e) => e.type === "identified");
    assert.deepEqual(
      identified.map((e) => [e.frame, e.identity?.name]),
      [[24, "alice"]],
      "named on the 2nd good face (credence 2): the undetermined track was due again at frame 23 (embedded at 0, 1, 3, 7, 15, 23: gaps capped at 8), then at once",
    );
  });

  it("a face the embedder places among non-faces keeps its track tentative (no ID); a human face confirms it", async () => {
    let embedding: Float32Array = Float32Array.from(NON_FACE_PROTOTYPE);
    const p = pipeline(() => ({ aligned: SHARP, embedding, matches: [] }));
    const held = await p.run(range(0, 16)); // embedded at 0, 1, 3, 7, 15
    assert.deepEqual(
      held?.tracks.map((t) => [t.trackId, t.state, t.quality?.reasons]),
      [[0, "tentative", ["not a face"]]],
    );
    assert.deepEqual(p.events, [], "no event at all: the track never got an ID");
    embedding = faceVector(3);
    const confirmed = await p.run(range(16, 25)); // judged again at 23 (gap capped at 8), confirmed at 24
    assert.deepEqual(
      confirmed?.tracks.map((t) => [t.trackId, t.state]),
      [[1, "confirmed"]],
    );
  });

  it("the quality record of a track survives a snapshot: a restored undetermined track stays undetermined", async () => {
    const p = pipeline(() => ({ aligned: BLURRED, embedding: faceVector(4), matches: [] }));
    await p.run(range(0, 6));
    const restored = new TrackingSession(parseConfig({ credence_count: 2 }), {
      frameRate: 25,
      identify: async (faces) => faces.map(() => ({ embedding: faceVector(4), norm: 3.5, matches: [] })),
    });
    restored.restore(JSON.parse(JSON.stringify(p.session.snapshot())));
    const next = await restored.process(
      observations(6, { aligned: BLURRED, embedding: faceVector(4), matches: [] }),
    );
    assert.deepEqual([next.tracks[0]?.trackId, next.tracks[0]?.undetermined], [1, true]);
  });
});
