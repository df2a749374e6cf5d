import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import {
  Detections,
  decodeMessage,
  encodeMessage,
  type MessageType,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import {
  detectionsFromProto,
  detectionsToProto,
  trackEventFromProto,
  trackEventToProto,
  trackSnapshotFromProto,
  trackSnapshotToProto,
} from "./proto-mapping.ts";
import type { TrackResult } from "./tracking-types.ts";

const stamp = { camera: "door", seq: 42, pts: 1.68, capturedAtMs: 1_700_000_000_123 };
const size = { width: 640, height: 360 };

/** The message as it comes out of the bus: encoded, then decoded. */
function overTheWire<T>(type: MessageType<T>, message: T): T {
  return decodeMessage(type, encodeMessage(type, message));
}

describe("proto mapping", () => {
  it("detections: the detect stage's output goes to the track stage unchanged", () => {
    const crop = new Uint8Array(112 * 112 * 3).map((_, i) => i % 251);
    const faces = [
      {
        box: [10, 20, 110, 140] as [number, number, number, number],
        score: 0.875,
        landmarks: [
          [40, 60],
          [80, 60],
          [60, 80],
          [45, 100],
          [75, 100],
        ] as [number, number][],
        alignedRgb: crop,
      },
    ];
    const message = overTheWire(Detections, detectionsToProto(stamp, size, { faces, sceneCut: true }, 12.5));
    assert.equal(message.capturedAtMs, stamp.capturedAtMs);
    assert.equal(message.detectMs, 12.5);
    const input = detectionsFromProto(message);
    assert.deepEqual(
      { ...input, faces: input.faces.map((f) => ({ ...f, alignedRgb: [...f.alignedRgb] })) },
      {
        seq: 42,
        pts: 1.68,
        ...size,
        sceneCut: true,
        faces: faces.map((f) => ({ ...f, alignedRgb: [...crop] })),
      },
    );
  });

  it("track events: every type, with and without a box and an identity, comes back as it went", () => {
    const types: StageEvent["type"][] = [
      "confirmed",
      "identified",
      "identity_changed",
      "lost",
      "found",
      "ended",
    ];
    for (const type of types) {
      for (const event of [
        {
          type,
          trackId: 3,
          frame: 42,
          pts: 1.68,
          box: [1, 2, 30, 40] as [number, number, number, number],
          identity: { id: "id-amy", name: "amy", similarity: 0.75 },
        },
        { type, trackId: 4, frame: 42, pts: 1.68, box: null, identity: null },
      ]) {
        const message = overTheWire(
          TrackEvent,
          trackEventToProto(stamp, event, new Uint8Array([0xff, 0xd8])),
        );
        assert.equal(message.timeMs, stamp.capturedAtMs);
        assert.deepEqual([...message.thumbnailJpeg], [0xff, 0xd8]);
        assert.deepEqual(trackEventFromProto(message), event);
      }
    }
    assert.equal(
      trackEventFromProto(TrackEvent.fromPartial({ type: TrackEventType.UNSPECIFIED })),
      undefined,
      "a type the stages do not know",
    );
  });

  it("track snapshots: the live tracks of a frame as the restream, the clips and the page take them", () => {
    const result = (over: Partial<TrackResult>): TrackResult => ({
      trackId: 1,
      state: "confirmed",
      box: [10, 10, 50, 60],
      score: 0.9,
      landmarks: null,
      identity: null,
      identitySettled: true,
      identifying: false,
      embedded: false,
      filteredBy: null,
      ...over,
    });
    const tracks = [
      result({ trackId: 0, state: "tentative" }),
      result({
        trackId: 2,
        identity: { id: "id-amy", name: "amy", attributes: { team: "a" }, similarity: 0.625 },
        embedded: true,
      }),
      result({ trackId: 3, state: "lost", box: [1, 2, 3, 4] }),
    ];
    const message = overTheWire(TrackSnapshot, trackSnapshotToProto(stamp, size, tracks));
    assert.equal(message.tracks[1]?.identity?.attributes.team, "a");
    assert.equal(message.tracks[1]?.embedded, true);
    assert.deepEqual(trackSnapshotFromProto(message), {
      seq: 42,
      timeMs: stamp.capturedAtMs,
      tracks: [
        { trackId: 0, state: "tentative", box: [10, 10, 50, 60], identity: null, similarity: 0 },
        {
          trackId: 2,
          state: "confirmed",
          box: [10, 10, 50, 60],
          identity: { id: "id-amy", name: "amy" },
          similarity: 0.625,
        },
        { trackId: 3, state: "lost", box: [1, 2, 3, 4], identity: null, similarity: 0 },
      ],
    });
    const odd = TrackSnapshot.fromPartial({
      seq: 1,
      tracks: [{ trackId: 5, state: TrackStateKind.UNSPECIFIED }],
    });
    assert.deepEqual(trackSnapshotFromProto(odd).tracks, [
      { trackId: 5, state: "unspecified", box: null, identity: null, similarity: 0 },
    ]);
  });

  it("a track still identifying (no identity settled yet) says so in its events and snapshots", () => {
    const event: StageEvent = {
      type: "confirmed",
      trackId: 7,
      frame: 42,
      pts: 1.68,
      box: [1, 2, 30, 40],
      identity: null,
      identifying: true,
    };
    const message = overTheWire(TrackEvent, trackEventToProto(stamp, event, new Uint8Array()));
    assert.equal(message.identifying, true);
    assert.deepEqual(trackEventFromProto(message), event);

    const track: TrackResult = {
      trackId: 7,
      state: "confirmed",
      box: [10, 10, 50, 60],
      score: 0.9,
      landmarks: null,
      identity: null,
      identitySettled: false,
      identifying: true,
      embedded: false,
      filteredBy: null,
    };
    const snapshot = overTheWire(TrackSnapshot, trackSnapshotToProto(stamp, size, [track]));
    assert.equal(snapshot.tracks[0]?.identifying, true);
    assert.deepEqual(trackSnapshotFromProto(snapshot).tracks, [
      {
        trackId: 7,
        state: "confirmed",
        box: [10, 10, 50, 60],
        identity: null,
        similarity: 0,
        identifying: true,
      },
    ]);
  });
});
