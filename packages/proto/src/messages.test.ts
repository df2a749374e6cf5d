import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as proto from "./index.ts";
import {
  Alert,
  CameraConfig,
  Detections,
  decodeMessage,
  EmbedResult,
  encodeMessage,
  FindFacesRequest,
  Frame,
  FrameEncoding,
  GalleryChanged,
  GalleryChangeKind,
  type MessageType,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
  trackEventTypeToJSON,
} from "./index.ts";

function roundTrip<T>(type: MessageType<T>, value: T): T {
  return decodeMessage(type, encodeMessage(type, value));
}

describe("generated messages", () => {
  it("round-trips a frame with its bytes, 64-bit numbers and enum", () => {
    const frame = Frame.create({
      camera: "cam-1",
      seq: 2 ** 40 + 7,
      pts: 12.345,
      capturedAtMs: 1_763_990_000_123,
      width: 1920,
      height: 1080,
      encoding: FrameEncoding.JPEG,
      data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
    });
    const back = roundTrip(Frame, frame);
    assert.deepEqual(back, frame);
    assert.equal(typeof back.seq, "number");
    assert.equal(back.encoding, 1);
  });

  it("round-trips detections with nested boxes, landmarks and crops", () => {
    const detections = Detections.fromPartial({
      camera: "cam1",
      seq: 9,
      width: 640,
      height: 480,
      detectMs: 4.5,
      faces: [
        {
          box: { x1: 10, y1: 20, x2: 110, y2: 140 },
          score: 0.875,
          landmarks: [
            { x: 40, y: 60 },
            { x: 80, y: 60 },
            { x: 60, y: 85 },
            { x: 45, y: 110 },
            { x: 75, y: 110 },
          ],
          alignedRgb: Buffer.from("rgb"),
        },
      ],
    });
    const back = roundTrip(Detections, detections);
    assert.deepEqual(back, detections);
    assert.equal(back.faces[0]?.landmarks.length, 5);
  });

  it("keeps an unset identity unset (unknown face) and a set one with its attributes", () => {
    const unknown = roundTrip(
      TrackEvent,
      TrackEvent.fromPartial({ camera: "c", trackId: 3, type: TrackEventType.LOST }),
    );
    assert.equal(unknown.identity, undefined);
    assert.equal(trackEventTypeToJSON(unknown.type), "TRACK_EVENT_TYPE_LOST");

    const alert = Alert.fromPartial({
      id: "a-1",
      camera: "door",
      trackId: 4,
      identity: { id: "id-1", name: "Ada", attributes: { role: "staff", floor: "2" }, similarity: 0.5 },
      similarity: 0.5,
      timeMs: 1_700_000_000_000,
      mode: "ON_KNOWNS",
    });
    assert.deepEqual(roundTrip(Alert, alert), alert);
  });

  it("tells an unset optional camera override from a zero one", () => {
    const plain = roundTrip(
      CameraConfig,
      CameraConfig.fromPartial({ id: "cam1", url: "rtsp://x/1", enabled: true }),
    );
    assert.equal(plain.fps, undefined);
    assert.equal(plain.width, undefined);
    const zero = roundTrip(CameraConfig, CameraConfig.fromPartial({ id: "cam1", fps: 0, width: 0 }));
    assert.equal(zero.fps, 0);
    assert.equal(zero.width, 0);
  });

  it("round-trips float vectors and matches of an embed result (float32 precision)", () => {
    const vector = [0.1, -0.25, 0.5, 0.75];
    const result = roundTrip(
      EmbedResult,
      EmbedResult.fromPartial({
        items: [{ trackKey: 17, vector, matches: [{ identityId: "i", name: "Bo", similarity: 0.625 }] }],
      }),
    );
    const item = result.items[0];
    assert.ok(item);
    assert.equal(item.trackKey, 17);
    assert.deepEqual(item.vector, Array.from(new Float32Array(vector)));
    assert.equal(item.matches[0]?.similarity, 0.625);
  });

  it("keeps which member of a oneof was set", () => {
    const path = roundTrip(FindFacesRequest, { source: { $case: "path", value: "/clips/a.mp4" } });
    assert.deepEqual(path, {
      source: { $case: "path", value: "/clips/a.mp4" },
      allowDamaged: undefined,
      remember: undefined,
    });
    const data = roundTrip(FindFacesRequest, { source: { $case: "data", value: Buffer.from([1, 2]) } });
    assert.deepEqual(data.source, { $case: "data", value: Buffer.from([1, 2]) });
    assert.equal(roundTrip(FindFacesRequest, {}).source, undefined);
  });

  it("round-trips snapshots and gallery changes with their enums", () => {
    const snapshot = TrackSnapshot.fromPartial({
      camera: "c",
      seq: 1,
      tracks: [
        { trackId: 1, state: TrackStateKind.CONFIRMED, box: { x1: 1, y1: 2, x2: 3, y2: 4 }, embedded: true },
      ],
    });
    assert.deepEqual(roundTrip(TrackSnapshot, snapshot), snapshot);
    const change = GalleryChanged.fromPartial({
      kind: GalleryChangeKind.RENAMED,
      identityId: "x",
      name: "New",
    });
    assert.deepEqual(roundTrip(GalleryChanged, change), change);
  });

  it("throws when decoding truncated or invalid bytes", () => {
    // field 1 (camera, length-delimited) claims 100 bytes, none follow
    assert.throws(() => decodeMessage(Detections, Uint8Array.from([0x0a, 0x64])));
    // wire type 7 does not exist
    assert.throws(() => decodeMessage(Detections, Uint8Array.from([0x0f, 0x01])));
  });
});

describe("index", () => {
  it("re-exports every generated message, enum and service under its own name", async () => {
    const genDir = join(import.meta.dirname, "gen/facetracker/v1");
    const exported = new Set(Object.keys(proto));
    const missing: string[] = [];
    for (const file of await readdir(genDir)) {
      const module = (await import(join(genDir, file))) as Record<string, unknown>;
      for (const name of Object.keys(module)) {
        if (name.endsWith("_AttributesEntry")) continue; // map entries: internal to their message
        if (!exported.has(name)) missing.push(`${file}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
