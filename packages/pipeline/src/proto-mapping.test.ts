import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import {
  Alert,
  AlertUpdate,
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
  alertToProto,
  alertUpdateToProto,
  detectionsFromProto,
  detectionsToProto,
  enrollOutcomeToProto,
  faceChoiceFromProto,
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
        predicted: false,
        faces: faces.map((f) => ({ ...f, alignedRgb: [...crop] })),
      },
    );
    const predicted = detectionsFromProto(
      overTheWire(
        Detections,
        detectionsToProto(stamp, size, { faces: [], sceneCut: false, predicted: true }, 0),
      ),
    );
    assert.equal(predicted.predicted, true, "a frame the tracker carries");
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
      undetermined: false,
      embedded: false,
      filteredBy: null,
      quality: null,
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
      undetermined: false,
      embedded: false,
      filteredBy: null,
      quality: null,
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

describe("one alert per person and the closest match on the messages", () => {
  const obama = { id: "o", name: "obama", similarity: 0.25 };

  it("an unknown face's event carries its face (embedding) and closest identity to the alert stage", () => {
    const embedding = Float32Array.from({ length: 512 }, (_, i) => ((i % 7) - 3) / 16);
    const event: StageEvent = {
      type: "identified",
      trackId: 7,
      frame: 42,
      pts: 1.68,
      box: [1, 2, 30, 40],
      identity: null,
      identifying: false,
      closest: obama,
      embedding,
    };
    const message = overTheWire(TrackEvent, trackEventToProto(stamp, event, new Uint8Array()));
    assert.equal(message.embedding.length, 512);
    assert.deepEqual(message.closest, { ...obama, attributes: {} });
    const { identifying: _, ...back } = event;
    assert.deepEqual(trackEventFromProto(message), back);
    const plain = overTheWire(
      TrackEvent,
      trackEventToProto(stamp, { ...event, embedding: undefined, closest: undefined }, new Uint8Array()),
    );
    assert.deepEqual([plain.embedding, plain.closest], [[], undefined], "empty when the stage has none");

    const track: TrackResult = {
      trackId: 7,
      state: "confirmed",
      box: [10, 10, 50, 60],
      score: 0.9,
      landmarks: null,
      identity: null,
      closest: obama,
      identitySettled: true,
      identifying: false,
      undetermined: false,
      embedded: false,
      filteredBy: null,
      quality: null,
    };
    const snapshot = overTheWire(TrackSnapshot, trackSnapshotToProto(stamp, size, [track]));
    assert.deepEqual(trackSnapshotFromProto(snapshot).tracks[0]?.closest, obama);
  });

  it("an alert and a seen-again update carry the event's face, identity or closest, frame and time", () => {
    const event = overTheWire(
      TrackEvent,
      TrackEvent.fromPartial({
        camera: "hall",
        trackId: 9,
        type: TrackEventType.IDENTIFIED,
        seq: 77,
        pts: 3.5,
        timeMs: 1_700_000_000_500,
        box: { x1: 1, y1: 2, x2: 3, y2: 4 },
        thumbnailJpeg: Buffer.from([0xff, 0xd8]),
        closest: { ...obama, attributes: {} },
      }),
    );
    const common = { camera: "hall", trackId: 9, frame: 77, pts: 3.5, identity: null, closest: obama };
    const alert = overTheWire(
      Alert,
      alertToProto(event, { ...common, id: "hall-9-77", reason: "identified" }, "ON_ALL"),
    );
    assert.deepEqual(
      [
        alert.id,
        alert.camera,
        alert.trackId,
        alert.seq,
        alert.timeMs,
        alert.mode,
        alert.identity,
        alert.closest?.name,
      ],
      ["hall-9-77", "hall", 9, 77, 1_700_000_000_500, "ON_ALL", undefined, "obama"],
    );
    assert.deepEqual([...alert.thumbnailJpeg], [0xff, 0xd8]);
    const ref = { id: "door-1-5", camera: "door", trackId: 1, timeMs: 1_700_000_000_000, identity: null };
    const update = overTheWire(
      AlertUpdate,
      alertUpdateToProto(event, { ...common, alert: ref, reason: "same_face", similarity: 0.75 }),
    );
    assert.deepEqual(
      [
        update.alertId,
        update.alertCamera,
        update.alertTimeMs,
        update.camera,
        update.trackId,
        update.seq,
        update.reason,
        update.similarity,
        update.closest?.name,
      ],
      ["door-1-5", "door", 1_700_000_000_000, "hall", 9, 77, "same_face", 0.75, "obama"],
    );
  });
});

describe("enrollment mapping (gRPC Enroll)", () => {
  it("reads the face choice: face_index first, else face_box, else the subject", () => {
    const box = { x1: 10, y1: 20, x2: 110, y2: 220 };
    assert.deepEqual(faceChoiceFromProto(2, box), { index: 2 });
    assert.deepEqual(faceChoiceFromProto(0, box), { box: [10, 20, 110, 220] });
    assert.deepEqual(faceChoiceFromProto(undefined, box), { box: [10, 20, 110, 220] });
    assert.equal(faceChoiceFromProto(undefined, undefined), undefined);
  });
  it("reports each photo's outcome with the face taken", () => {
    const face = {
      index: 2,
      count: 3,
      chosenBy: "centre" as const,
      box: [1, 2, 3, 4] as [number, number, number, number],
    };
    assert.deepEqual(
      enrollOutcomeToProto({
        image: "image #3",
        status: "mismatch",
        reason: "r",
        closest: "image #1",
        similarity: 0.1,
        face,
      }),
      {
        image: "image #3",
        status: "mismatch",
        reason: "r",
        faceIndex: 2,
        faceCount: 3,
        chosenBy: "centre",
        box: { x1: 1, y1: 2, x2: 3, y2: 4 },
        closest: "image #1",
        similarity: 0.1,
        embeddingId: "",
      },
    );
    const none = enrollOutcomeToProto({ image: "image #1", status: "no_face" });
    assert.deepEqual([none.reason, none.faceCount, none.box], ["no face found", 0, undefined]);
    const enrolled = enrollOutcomeToProto({ image: "image #2", status: "enrolled", embeddingId: "e1", face });
    assert.deepEqual([enrolled.embeddingId, enrolled.reason, enrolled.closest], ["e1", "", ""]);
  });
});
