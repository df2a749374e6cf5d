/**
 * Corrections over gRPC (the api in its own process, a real nats-server): bea's photo is enrolled as "amy"
 * (Enroll), a camera track of bea's face named amy comes as the track service publishes it; CorrectTrack
 * "not" (by camera and track ID) makes it unknown and keeps its face as a negative example of amy, so that
 * FindFacesInFile on the lobby video no longer names bea amy; UndoCorrection gives the name back;
 * CorrectTrack "is bea" (by memory ID) enrolls her and the video then names her bea. ListCorrections lists
 * them; wrong requests get clear statuses.
 */

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import { type Bus, connectBus, type TypedBus, typedBus } from "@facetracker/bus";
import { trackEventToProto } from "@facetracker/pipeline";
import type {
  CorrectionList,
  CorrectTrackRequest,
  CorrectTrackResponse,
  EnrollResponse,
  FindFacesResponse,
  IdentityList,
  ListCorrectionsRequest,
  UndoCorrectionRequest,
  UndoCorrectionResponse,
} from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { encodeJpeg } from "@facetracker/vision";
import { type ServiceError, status } from "@grpc/grpc-js";
import { type ApiProcess, startApiProcess, unary } from "./helpers/api-process.ts";
import { renderLobby } from "./helpers/lobby-video.ts";

describe("corrections over gRPC: CorrectTrack, UndoCorrection, ListCorrections (real nats-server, api process)", () => {
  let api: ApiProcess;
  let connection: Bus;
  let bus: TypedBus;
  let video: Buffer;
  let amyId: string;
  let beaFace: Float32Array;
  let thumbnail: Uint8Array<ArrayBuffer>;

  const call =
    <Req, Res>(name: keyof ApiProcess["client"]) =>
    (r: Req) =>
      unary<Req, Res>((api.client[name] as (...a: unknown[]) => unknown).bind(api.client) as never, r);
  const correctTrack = (r: Partial<CorrectTrackRequest>) =>
    call<CorrectTrackRequest, CorrectTrackResponse>("correctTrack")({
      memoryId: 0,
      alertId: "",
      camera: "",
      trackId: 0,
      kind: "",
      name: "",
      force: false,
      ...r,
    });
  const undoCorrection = call<UndoCorrectionRequest, UndoCorrectionResponse>("undoCorrection");
  const listCorrections = call<ListCorrectionsRequest, CorrectionList>("listCorrections");
  const namesInVideo = async () =>
    (
      await call<object, FindFacesResponse>("findFacesInFile")({ source: { $case: "data", value: video } })
    ).tracks
      .map((t) => t.identity?.name ?? "")
      .sort();

  before(async () => {
    api = await startApiProcess("ft-corrections-api-");
    const file = path.join(api.dir, "lobby.mp4");
    const { analyzer, bea } = await renderLobby(file, { frames: 30 });
    video = await readFile(file);
    const [face] = await analyzer.analyze(bea, { embed: true });
    assert.ok(face?.embedding);
    beaFace = face.embedding;
    thumbnail = new Uint8Array(await encodeJpeg(bea, 90));
    const photo = path.join(api.dir, "bea.jpg");
    await writeMirroredJpeg(bea, photo);
    const enrolled = await call<object, EnrollResponse>("enroll")({
      name: "amy",
      images: [await readFile(photo)],
      attributes: {},
      force: false,
    });
    assert.equal(enrolled.enrolled, 1);
    amyId = enrolled.identityId;
    connection = await connectBus({ servers: [api.nats.url], name: "corrections-api-test" });
    bus = typedBus(connection);
    await bus.ensureStreams();
    // bea at the door, (wrongly) named amy.
    const box: [number, number, number, number] = [100, 60, 170, 140];
    const amy = { id: amyId, name: "amy", similarity: 0.7 };
    const t0 = Date.now() - 60_000;
    const events: [StageEvent, number][] = [
      [{ type: "confirmed", trackId: 1, frame: 0, pts: 0, box, identity: null, identifying: true }, 0],
      [{ type: "identified", trackId: 1, frame: 4, pts: 0, box, identity: amy, embedding: beaFace }, 200],
      [{ type: "ended", trackId: 1, frame: 90, pts: 0, box, identity: amy }, 3000],
    ];
    for (const [e, offset] of events) {
      const stamp = { camera: "door", seq: e.frame, pts: offset / 1000, capturedAtMs: t0 + offset };
      await bus.publish("tracks", trackEventToProto(stamp, e, thumbnail), { msgId: `door-1-${e.type}` });
    }
  });
  after(async () => {
    await connection?.close();
    await api?.stop();
  });

  it("not, undo, is: the gallery follows (FindFacesInFile), the corrections are listed", async () => {
    assert.deepEqual(await namesInVideo(), ["", "amy"], "the mistake: bea is named amy");
    // The memory records the track from the bus: correct it once its name is there.
    const not = await waitFor(
      () =>
        correctTrack({ camera: "door", trackId: 1, kind: "not" }).catch((e: ServiceError) => {
          if (e.code === status.NOT_FOUND || e.code === status.FAILED_PRECONDITION) return undefined;
          throw e;
        }),
      "door #1 recorded as amy",
    );
    const c = not.correction;
    assert.ok(c);
    assert.equal(c.kind, "not");
    assert.ok(c.memoryId > 0);
    assert.deepEqual([c.sourceKind, c.source, c.camera, c.trackId], ["camera", "door", "door", 1]);
    assert.equal(c.beforeIdentity?.name, "amy");
    assert.equal(c.negativeIdentity?.id, amyId);
    assert.equal(c.negativeIds.length, 1);
    assert.equal(c.undoneMs, 0);
    const identities = await call<object, IdentityList>("listIdentities")({ nameContains: "" });
    assert.deepEqual(
      identities.identities.map((i) => [i.name, i.embeddingCount, i.negativeCount]),
      [["amy", 1, 1]],
    );
    assert.deepEqual(await namesInVideo(), ["", ""], "bea is no longer named amy");

    const undone = await undoCorrection({ id: c.id });
    assert.equal(undone.trackRestored, true);
    assert.ok((undone.correction?.undoneMs ?? 0) > 0);
    assert.deepEqual(await namesInVideo(), ["", "amy"], "undone: amy again");

    const is = await correctTrack({ memoryId: c.memoryId, kind: "is", name: "bea" });
    assert.equal(is.correction?.afterIdentity?.name, "bea");
    assert.equal(is.correction?.identityCreated, true);
    assert.equal(is.enrolled, 1);
    assert.deepEqual(await namesInVideo(), ["", "bea"], "named bea from now");

    const listed = await listCorrections({ memoryId: c.memoryId, includeUndone: true, limit: 0 });
    assert.deepEqual(
      listed.corrections.map((x) => [x.kind, x.undoneMs > 0]),
      [
        ["is", false],
        ["not", true],
      ],
    );
    assert.equal(
      (await listCorrections({ memoryId: 0, includeUndone: false, limit: 0 })).corrections.length,
      1,
    );

    const rejects = async (p: Promise<unknown>, code: status, pattern: RegExp) =>
      assert.rejects(p, (e: ServiceError) => {
        assert.equal(e.code, code, e.details);
        assert.match(e.details, pattern);
        return true;
      });
    await rejects(
      correctTrack({ memoryId: c.memoryId, kind: "maybe" }),
      status.INVALID_ARGUMENT,
      /"not" or "is"/,
    );
    await rejects(correctTrack({ kind: "not" }), status.INVALID_ARGUMENT, /memory_id, alert_id/);
    await rejects(correctTrack({ memoryId: 999, kind: "not" }), status.NOT_FOUND, /999/);
    await rejects(correctTrack({ alertId: "nope", kind: "not" }), status.NOT_FOUND, /alert nope/);
    await rejects(
      correctTrack({ memoryId: c.memoryId, kind: "is", name: "bea" }),
      status.FAILED_PRECONDITION,
      /is bea already/,
    );
    await rejects(undoCorrection({ id: c.id }), status.FAILED_PRECONDITION, /undone already/);
    await rejects(undoCorrection({ id: 999 }), status.NOT_FOUND, /no correction #999/);
    await rejects(
      listCorrections({ memoryId: 0, includeUndone: true, limit: 5000 }),
      status.INVALID_ARGUMENT,
      /1000/,
    );
  });
});
