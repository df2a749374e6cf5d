/**
 * Live tracks remembered by the api service (its own process, a real nats-server): track events published
 * on the bus as the track service publishes them (real embeddings of two faces), an alert and its clip;
 * then gRPC SearchFaces with a photo of each person finds their camera track with its times, identity
 * evidence, thumbnail, alert and clip; DeleteIdentity forgets the named person's track.
 */

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import { type Bus, connectBus, type TypedBus, typedBus } from "@facetracker/bus";
import { trackEventToProto } from "@facetracker/pipeline";
import { alertToProto } from "@facetracker/pipeline/proto-mapping";
import {
  ClipEvent,
  type FaceTrackerApiClient,
  type PersonTimelineRequest,
  type PersonTimelineResponse,
  type SearchFacesRequest,
  type SearchFacesResponse,
  type VisitorList,
} from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { encodeJpeg, FaceAnalyzer } from "@facetracker/vision";
import { type ApiProcess, startApiProcess, unary } from "./helpers/api-process.ts";
import { lobbyFaces } from "./helpers/lobby-video.ts";

const searchFaces = (client: FaceTrackerApiClient, request: Partial<SearchFacesRequest>) =>
  unary<SearchFacesRequest, SearchFacesResponse>(client.searchFaces.bind(client) as never, {
    image: Buffer.alloc(0),
    camera: "",
    sinceMs: 0,
    untilMs: 0,
    limit: 0,
    ...request,
  });

describe("the api remembers live camera tracks; SearchFaces finds them (real nats-server, api process)", () => {
  let api: ApiProcess;
  let connection: Bus;
  let bus: TypedBus;
  let amyPhoto: Buffer;
  let beaPhoto: Buffer;
  const faces: { amy?: Float32Array; bea?: Float32Array } = {};
  let thumbnail: Uint8Array<ArrayBuffer>;
  let amyId: string;
  const t0 = Date.now() - 60_000;

  before(async () => {
    api = await startApiProcess("ft-memory-live-");
    const analyzer = await FaceAnalyzer.create();
    const { amy, bea } = await lobbyFaces(analyzer);
    // The photos searched with are mirrored copies, as a person's other photo would be.
    for (const [name, picture] of [
      ["amy", amy],
      ["bea", bea],
    ] as const) {
      const file = path.join(api.dir, `${name}.jpg`);
      await writeMirroredJpeg(picture, file);
      if (name === "amy") amyPhoto = await readFile(file);
      else beaPhoto = await readFile(file);
      const [face] = await analyzer.analyze(picture, { embed: true });
      assert.ok(face?.embedding, `${name}'s face embedded`);
      faces[name] = face.embedding;
    }
    thumbnail = new Uint8Array(await encodeJpeg(amy, 90));
    const enrolled = await unary(api.client.enroll.bind(api.client) as never, {
      name: "amy",
      attributes: {},
      images: [amyPhoto],
      force: false,
    });
    amyId = (enrolled as { identityId: string }).identityId;
    assert.ok(amyId, "amy enrolled");
    connection = await connectBus({ servers: [api.nats.url], name: "memory-live-test" });
    bus = typedBus(connection);
    await bus.ensureStreams();
  });
  after(async () => {
    await connection?.close();
    await api?.stop();
  });

  /** Publishes a track event on ft.tracks.door as the track service does (de-duplication ID included). */
  async function publish(
    e: StageEvent,
    seq: number,
    dt: number,
    jpeg: Uint8Array<ArrayBuffer> = new Uint8Array(),
  ) {
    const stamp = { camera: "door", seq, pts: dt / 1000, capturedAtMs: t0 + dt };
    await bus.publish("tracks", trackEventToProto(stamp, e, jpeg), {
      msgId: `door-${e.trackId}-${e.type}-${seq}`,
    });
    return stamp;
  }

  it("records each track from its events, alert and clip, and finds it from a photo", async () => {
    const box: [number, number, number, number] = [100, 60, 170, 140];
    const amyIdentity = { id: amyId, name: "amy", similarity: 0.72 };
    const event = (
      type: StageEvent["type"],
      trackId: number,
      extra: Partial<StageEvent> = {},
    ): StageEvent => ({
      type,
      trackId,
      frame: 0,
      pts: 0,
      box,
      identity: null,
      ...extra,
    });
    // door #1: amy, named.
    await publish(event("confirmed", 1, { identifying: true }), 10, 400, thumbnail);
    await publish(
      event("identified", 1, { identity: amyIdentity, embedding: faces.amy }),
      14,
      560,
      thumbnail,
    );
    await publish(event("lost", 1, { identity: amyIdentity }), 200, 8000);
    await publish(event("ended", 1, { identity: amyIdentity }), 230, 9200);
    // door #2: bea, unknown (closest: amy), alerted, with a clip.
    await publish(event("confirmed", 2, { identifying: true }), 20, 800, thumbnail);
    const closest = { id: amyId, name: "amy", similarity: 0.21 };
    const identified = event("identified", 2, { closest, embedding: faces.bea });
    const stamp = await publish(identified, 24, 960, thumbnail);
    const alert = alertToProto(
      trackEventToProto(stamp, identified, thumbnail),
      {
        id: "door-2-24",
        camera: "door",
        trackId: 2,
        frame: 24,
        pts: stamp.pts,
        identity: null,
        closest,
        reason: "identified",
      },
      "ON_UNKNOWNS",
    );
    await bus.publish("alerts", alert, { msgId: alert.id });
    await bus.publish(
      "clips",
      ClipEvent.fromPartial({
        camera: "door",
        alertId: alert.id,
        alertIds: [alert.id],
        key: "door/2026-11-24/101500-door-2-24.mp4",
        url: "file:///clips/door/2026-11-24/101500-door-2-24.mp4",
        startMs: t0,
        endMs: t0 + 4000,
      }),
    );
    await publish(event("ended", 2, { closest }), 300, 12_000);

    const found = await waitFor(async () => {
      const r = await searchFaces(api.client, { image: beaPhoto });
      const top = r.faces[0];
      return top?.trackId === 2 && top.clipKey && top.lastTimeMs === t0 + 12_000 ? r : undefined;
    }, "bea's track remembered with its clip and end");
    assert.equal(found.faceCount, 1);
    assert.equal(found.chosenBy, "only");
    const [bea, other] = found.faces;
    assert.ok(bea && other);
    assert.deepEqual(
      [bea.sourceKind, bea.source, bea.camera, bea.trackId, bea.firstTimeMs, bea.firstTimeS],
      ["camera", "door", "door", 2, t0 + 800, 0],
    );
    assert.equal(bea.identity, undefined);
    assert.equal(bea.closest?.name, "amy");
    assert.equal(bea.alertId, "door-2-24");
    assert.equal(bea.clipKey, "door/2026-11-24/101500-door-2-24.mp4");
    assert.equal(bea.clipUrl, "file:///clips/door/2026-11-24/101500-door-2-24.mp4");
    assert.deepEqual([...bea.thumbnailJpeg], [...thumbnail]);
    assert.ok(bea.similarity > other.similarity, `${bea.similarity} > ${other.similarity}`);

    const byAmy = await searchFaces(api.client, { image: amyPhoto, limit: 1 });
    assert.equal(byAmy.faces.length, 1);
    const [amy] = byAmy.faces;
    assert.deepEqual(
      [amy?.trackId, amy?.identity?.name, amy?.firstTimeMs, amy?.lastTimeMs],
      [1, "amy", t0 + 400, t0 + 8000],
      "last seen when it was lost, not when it ended",
    );
    assert.ok((amy?.similarity ?? 0) >= 0.36, String(amy?.similarity));
    assert.equal(amy?.clipKey, "");

    // Filters.
    assert.deepEqual((await searchFaces(api.client, { image: amyPhoto, camera: "hall" })).faces, []);
    assert.deepEqual(
      (await searchFaces(api.client, { image: amyPhoto, sinceMs: t0 + 8001 })).faces.map((f) => f.trackId),
      [2],
    );
    await assert.rejects(searchFaces(api.client, { image: Buffer.from("not a photo") }), /INVALID_ARGUMENT/);
  });

  it("PersonTimeline: where amy was seen (by name or ID), and where the unknown visitor was", async () => {
    const timeline = (r: Partial<PersonTimelineRequest>) =>
      unary<PersonTimelineRequest, PersonTimelineResponse>(
        api.client.personTimeline.bind(api.client) as never,
        {
          identity: "",
          visitorId: 0,
          camera: "",
          sinceMs: 0,
          untilMs: 0,
          limit: 0,
          withoutThumbnails: false,
          ...r,
        },
      );
    const amy = await timeline({ identity: "amy" });
    assert.deepEqual([amy.name, amy.identityId, amy.visitorId, amy.total], ["amy", amyId, 0, 1]);
    assert.deepEqual(
      amy.sightings.map((f) => [
        f.camera,
        f.trackId,
        f.firstTimeMs,
        f.lastTimeMs,
        f.identity?.name,
        f.thumbnailJpeg.length > 0,
      ]),
      [["door", 1, t0 + 400, t0 + 8000, "amy", true]],
    );
    assert.deepEqual(
      amy.cameras.map((c) => [c.camera, c.sightings, c.firstTimeMs, c.lastTimeMs]),
      [["door", 1, t0 + 400, t0 + 8000]],
    );
    assert.equal(
      (await timeline({ identity: amyId, withoutThumbnails: true })).sightings[0]?.thumbnailJpeg.length,
      0,
    );
    assert.equal((await timeline({ identity: "amy", camera: "hall" })).total, 0);
    // bea was unknown: her ended track is a visitor, whose timeline has the alert and its clip.
    const visitors = await unary<object, VisitorList>(api.client.listVisitors.bind(api.client) as never, {
      thumbnails: 0,
    });
    const visitorId = visitors.visitors[0]?.id ?? 0;
    const bea = await timeline({ visitorId });
    assert.deepEqual(
      bea.sightings.map((f) => [f.camera, f.trackId, f.alertId, f.clipKey]),
      [["door", 2, "door-2-24", "door/2026-11-24/101500-door-2-24.mp4"]],
    );
    await assert.rejects(timeline({ identity: "nobody" }), /NOT_FOUND/);
    await assert.rejects(timeline({ visitorId: 999 }), /NOT_FOUND/);
    await assert.rejects(timeline({}), /INVALID_ARGUMENT/);
    await assert.rejects(timeline({ identity: "amy", limit: 5000 }), /INVALID_ARGUMENT/);
  });

  it("DeleteIdentity forgets the person's remembered tracks", async () => {
    const r = await unary(api.client.deleteIdentity.bind(api.client) as never, { identity: "amy" });
    assert.deepEqual(r, { deleted: true });
    const left = await searchFaces(api.client, { image: amyPhoto });
    assert.deepEqual(
      left.faces.map((f) => [f.trackId, f.closest?.name ?? null]),
      [[2, null]],
    );
  });
});
