/**
 * What reaches the face memory: an analysed video's summaries (files and stored clips), and a camera
 * track's events, alert and clip as the bus carries them (encoded, decoded), into a real memory file.
 */

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { FaceMemory } from "@facetracker/face-memory";
import { seededRandom } from "@facetracker/infra";
import {
  Alert,
  ClipEvent,
  decodeMessage,
  encodeMessage,
  type MessageType,
  RememberedFace,
  TrackEvent,
  TrackEventType,
} from "@facetracker/proto";
import { randomUnitVector, vectorWithSimilarity } from "@facetracker/testing/gallery";
import { EMBEDDING_DIM } from "@facetracker/vision";
import {
  openConfiguredMemory,
  rememberVideoFaces,
  storedClipSource,
  videoFileSource,
} from "./face-memory-records.ts";
import {
  alertToMemoryLink,
  clipToMemoryLink,
  memoryHitToProto,
  trackEventToMemoryUpdate,
} from "./proto-mapping.ts";
import type { FaceSummary } from "./tracking-types.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "ft-memory-records-"));
  roots.push(root);
  return path.join(root, "gallery");
}

function overTheWire<T>(type: MessageType<T>, message: T): T {
  return decodeMessage(type, encodeMessage(type, message));
}

const random = seededRandom(21);
const face = randomUnitVector(EMBEDDING_DIM, random);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

function summary(trackId: number, similarity: number, extra: Partial<FaceSummary> = {}): FaceSummary {
  return {
    trackId,
    identity: null,
    undetermined: false,
    firstFrame: 10,
    lastFrame: 60,
    firstTime: 0.4,
    lastTime: 2.4,
    frames: 51,
    segments: [{ firstFrame: 10, lastFrame: 60, firstTime: 0.4, lastTime: 2.4 }],
    embeddingsComputed: 6,
    thumbnail: JPEG,
    alignedThumbnail: null,
    embeddings: [],
    memoryEmbeddings: [{ vector: vectorWithSimilarity(face, similarity, random), quality: 0.8 }],
    ...extra,
  };
}

describe("face memory records", () => {
  it("an analysed file's and a stored clip's faces: sources, times in the video, identity, clip", async () => {
    const db = await tempDir();
    const config = parseConfig({ db_path: db, memory: { embeddings_per_track: 2 } });
    const memory = openConfiguredMemory(config);
    assert.equal(memory.embeddingsPerTrack, 2);
    assert.equal(memory.file, path.join(db, "memory.sqlite"));
    const analysedAtMs = Date.parse("2026-11-24T12:00:00Z");
    const file = videoFileSource("videos/lobby.mp4");
    assert.deepEqual(file, { kind: "file", name: path.resolve("videos/lobby.mp4") });
    assert.doesNotMatch(videoFileSource("rtsp://viewer:secret@cam/stream").name, /secret/);
    rememberVideoFaces(
      memory,
      file,
      [
        summary(1, 0.5, { identity: { id: "id-amy", name: "amy", attributes: {}, similarity: 0.7 } }),
        summary(2, 0.9, { closest: { id: "id-amy", name: "amy", similarity: 0.3 } }),
      ],
      { analysedAtMs },
    );
    const clip = storedClipSource("door/2026-11-24/101500-door-3-42");
    assert.deepEqual(clip, { kind: "clip", name: "door/2026-11-24/101500-door-3-42", camera: "door" });
    rememberVideoFaces(memory, clip, [summary(1, 0.7, { undetermined: true })], {
      analysedAtMs,
      clip: { key: "door/2026-11-24/101500-door-3-42.mp4" },
    });
    const hits = memory.search(face);
    assert.deepEqual(
      hits.map((h) => `${h.source.kind} ${h.source.name} #${h.trackId}`),
      [`file ${file.name} #2`, "clip door/2026-11-24/101500-door-3-42 #1", `file ${file.name} #1`],
    );
    assert.deepEqual(
      [hits[0]?.firstS, hits[0]?.lastS, hits[0]?.firstMs, hits[0]?.lastMs],
      [0.4, 2.4, analysedAtMs, analysedAtMs],
    );
    assert.deepEqual(hits[0]?.closest, { id: "id-amy", name: "amy", similarity: 0.3 });
    assert.deepEqual(hits[2]?.identity, { id: "id-amy", name: "amy", similarity: 0.7 });
    assert.equal(hits[1]?.undetermined, true);
    assert.deepEqual(hits[1]?.clip, { key: "door/2026-11-24/101500-door-3-42.mp4" });
    assert.deepEqual(
      memory.search(face, { camera: "door" }).map((h) => h.source.kind),
      ["clip"],
    );
    // As SearchFaces answers it.
    const proto = overTheWire(RememberedFace, memoryHitToProto(hits[1] as (typeof hits)[number]));
    assert.equal(proto.sourceKind, "clip");
    assert.equal(proto.camera, "door");
    assert.equal(proto.firstTimeS, 0.4);
    assert.equal(proto.firstTimeMs, analysedAtMs);
    assert.equal(proto.clipKey, "door/2026-11-24/101500-door-3-42.mp4");
    assert.equal(proto.undetermined, true);
    assert.ok(Math.abs(proto.similarity - 0.7) < 1e-4);
    assert.deepEqual([...proto.thumbnailJpeg], [...JPEG]);
    memory.close();
  });

  it("a camera track from its events as the track service publishes them, with its alert and clip", async () => {
    const db = await tempDir();
    const memory = FaceMemory.open(db, { dimension: EMBEDDING_DIM });
    const t0 = Date.parse("2026-11-24T10:15:00Z");
    const event = (type: TrackEventType, dt: number, extra: Partial<TrackEvent> = {}) =>
      overTheWire(
        TrackEvent,
        TrackEvent.fromPartial({ camera: "door", trackId: 3, type, timeMs: t0 + dt, ...extra }),
      );
    const embedding = Array.from(vectorWithSimilarity(face, 0.85, random));
    const profile = vectorWithSimilarity(face, 0.3, random);
    const events = [
      // A tentative track (no public ID) says nothing to the memory.
      event(TrackEventType.NEW, 0, { trackId: 0 }),
      event(TrackEventType.CONFIRMED, 120, { identifying: true, thumbnailJpeg: Buffer.from([1]) }),
      event(TrackEventType.IDENTIFIED, 400, {
        closest: { id: "id-bob", name: "bob", attributes: {}, similarity: 0.28 },
        embedding,
        thumbnailJpeg: Buffer.from(JPEG),
      }),
      event(TrackEventType.LOST, 5000),
      // The track's few representatives come with its end: here a profile, unlike the frontal face.
      event(TrackEventType.ENDED, 6200, {
        memoryEmbeddings: [{ vector: Array.from(profile), quality: 0.8 }],
      }),
    ];
    const updates = events.map(trackEventToMemoryUpdate);
    assert.equal(updates[0], undefined);
    assert.deepEqual(updates[1], {
      camera: "door",
      trackId: 3,
      timeMs: t0 + 120,
      sighting: "seen",
      starts: true,
      undetermined: false,
      thumbnail: { jpeg: new Uint8Array([1]), quality: 0 },
    });
    assert.deepEqual(updates[2]?.decision, {
      identity: null,
      closest: { id: "id-bob", name: "bob", similarity: updates[2]?.decision?.closest?.similarity },
      undetermined: false,
    });
    assert.equal(updates[4]?.sighting, "ended");
    assert.equal(updates[4]?.embeddings?.[0]?.quality, Math.fround(0.8));
    for (const u of updates) if (u) memory.observeLiveTrack(u);
    memory.linkAlert(
      alertToMemoryLink(
        overTheWire(
          Alert,
          Alert.fromPartial({ id: "door-3-1", camera: "door", trackId: 3, timeMs: t0 + 400 }),
        ),
      ),
    );
    memory.linkClip(
      clipToMemoryLink(
        overTheWire(
          ClipEvent,
          ClipEvent.fromPartial({
            camera: "door",
            alertId: "door-3-1",
            alertIds: ["door-3-1"],
            key: "door/2026-11-24/101500-door-3-1.mp4",
            url: "file:///clips/door/2026-11-24/101500-door-3-1.mp4",
            startMs: t0 - 2000,
            endMs: t0 + 2000,
          }),
        ),
      ),
    );
    const [hit, ...others] = memory.search(face);
    assert.equal(others.length, 0);
    assert.deepEqual(hit?.source, { kind: "camera", name: "door", camera: "door" });
    assert.deepEqual([hit?.trackId, hit?.firstMs, hit?.lastMs], [3, t0 + 120, t0 + 5000]);
    assert.equal(hit?.identity, null);
    assert.equal(hit?.closest?.name, "bob");
    assert.deepEqual(hit?.thumbnail, JPEG);
    assert.equal(hit?.alertId, "door-3-1");
    assert.deepEqual(hit?.clip, {
      key: "door/2026-11-24/101500-door-3-1.mp4",
      url: "file:///clips/door/2026-11-24/101500-door-3-1.mp4",
    });
    assert.ok(Math.abs((hit?.similarity as number) - 0.85) < 1e-4);
    // A photo of the profile finds the track through the embedding its end brought.
    assert.equal(memory.embeddingsOf(hit?.id as number).length, 2);
    assert.ok(Math.abs((memory.search(profile)[0]?.similarity ?? 0) - 1) < 1e-4);
    memory.close();
  });
});
