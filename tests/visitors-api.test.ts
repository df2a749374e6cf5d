/**
 * Visitors of live camera tracks over gRPC (the api in its own process, a real nats-server): unknown track
 * events as the track service publishes them (real embeddings of two sample faces, bea on two cameras with
 * two different pictures of her, amy on one), then ListVisitors: bea one visitor with two visits on both
 * cameras, amy another; NameVisitor enrolls bea's faces (ListIdentities then has bea) and names the
 * visitor; an unknown visitor is NOT_FOUND.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import { type Bus, connectBus, type TypedBus, typedBus } from "@facetracker/bus";
import { trackEventToProto } from "@facetracker/pipeline";
import type {
  IdentityList,
  ListVisitorsRequest,
  NameVisitorRequest,
  NameVisitorResponse,
  VisitorList,
} from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { decodeImage, encodeJpeg, FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { type ServiceError, status } from "@grpc/grpc-js";
import { type ApiProcess, startApiProcess, unary } from "./helpers/api-process.ts";
import { lobbyFaces } from "./helpers/lobby-video.ts";

describe("visitors over gRPC: ListVisitors, NameVisitor (real nats-server, api process)", () => {
  let api: ApiProcess;
  let connection: Bus;
  let bus: TypedBus;
  const embeddings: Record<"amy" | "bea" | "beaAgain", Float32Array> = {} as never;
  let thumbnail: Uint8Array<ArrayBuffer>;
  const t0 = Date.now() - 60_000;

  const listVisitors = (r: ListVisitorsRequest) =>
    unary<ListVisitorsRequest, VisitorList>(api.client.listVisitors.bind(api.client) as never, r);
  const nameVisitor = (r: NameVisitorRequest) =>
    unary<NameVisitorRequest, NameVisitorResponse>(api.client.nameVisitor.bind(api.client) as never, r);

  before(async () => {
    api = await startApiProcess("ft-visitors-api-");
    const analyzer = await FaceAnalyzer.create();
    const { amy, bea } = await lobbyFaces(analyzer);
    const embed = async (picture: RgbImage) => {
      const [face] = await analyzer.analyze(picture, { embed: true });
      assert.ok(face?.embedding);
      return face.embedding;
    };
    embeddings.amy = await embed(amy);
    embeddings.bea = await embed(bea);
    const mirrored = path.join(api.dir, "bea-mirrored.jpg");
    await writeMirroredJpeg(bea, mirrored);
    embeddings.beaAgain = await embed(await decodeImage(mirrored));
    thumbnail = new Uint8Array(await encodeJpeg(bea, 90));
    connection = await connectBus({ servers: [api.nats.url], name: "visitors-api-test" });
    bus = typedBus(connection);
    await bus.ensureStreams();
  });
  after(async () => {
    await connection?.close();
    await api?.stop();
  });

  /** One unknown camera track, from confirmed to ended, as the track service publishes it. */
  async function unknownTrack(camera: string, trackId: number, embedding: Float32Array, dt: number) {
    const box: [number, number, number, number] = [100, 60, 170, 140];
    const events: [StageEvent, number][] = [
      [{ type: "confirmed", trackId, frame: 0, pts: 0, box, identity: null, identifying: true }, 0],
      [{ type: "identified", trackId, frame: 4, pts: 0, box, identity: null, embedding }, 200],
      [{ type: "ended", trackId, frame: 90, pts: 0, box, identity: null }, 3000],
    ];
    for (const [e, offset] of events) {
      const stamp = { camera, seq: e.frame, pts: (dt + offset) / 1000, capturedAtMs: t0 + dt + offset };
      await bus.publish("tracks", trackEventToProto(stamp, e, thumbnail), {
        msgId: `${camera}-${trackId}-${e.type}`,
      });
    }
  }

  it("groups live unknown tracks into visitors and names one", async () => {
    await unknownTrack("door", 1, embeddings.bea, 0);
    await unknownTrack("door", 2, embeddings.amy, 5000);
    await unknownTrack("hall", 1, embeddings.beaAgain, 20_000);
    const list = await waitFor(async () => {
      const r = await listVisitors({ thumbnails: 2 });
      return r.visitors.reduce((n, v) => n + v.visits, 0) === 3 ? r : undefined;
    }, "three tracks in visitors");
    const summary = list.visitors.map((v) => [v.id, v.name, v.visits, v.cameras, v.thumbnails.length]);
    // Most recently seen first: bea (hall, then door), then amy.
    assert.deepEqual(summary, [
      [1, "", 2, ["hall", "door"], 2],
      [2, "", 1, ["door"], 1],
    ]);
    const bea = list.visitors[0];
    assert.equal(bea?.firstSeenMs, t0);
    assert.equal(bea?.lastSeenMs, t0 + 23_000);
    assert.deepEqual([...(bea?.thumbnails[0] ?? [])], [...thumbnail]);

    const named = await nameVisitor({ visitorId: 1, name: "bea", force: false });
    assert.deepEqual([named.visitorId, named.name, named.created, named.tracksNamed], [1, "bea", true, 2]);
    assert.ok(named.enrolled >= 1 && named.enrolled <= 2, `${named.enrolled} faces enrolled`);
    const identities = await unary<object, IdentityList>(
      api.client.listIdentities.bind(api.client) as never,
      { nameContains: "" },
    );
    assert.deepEqual(
      identities.identities.map((i) => [i.name, i.id]),
      [["bea", named.identityId]],
    );
    const after = await listVisitors({ thumbnails: 0 });
    assert.deepEqual(
      after.visitors.map((v) => [v.id, v.name, v.thumbnails.length]),
      [
        [1, "bea", 0],
        [2, "", 0],
      ],
    );

    await assert.rejects(nameVisitor({ visitorId: 99, name: "zed", force: false }), (e: ServiceError) => {
      assert.equal(e.code, status.NOT_FOUND);
      assert.match(e.details, /no visitor #99/);
      return true;
    });
    await assert.rejects(nameVisitor({ visitorId: 2, name: " ", force: false }), (e: ServiceError) => {
      assert.equal(e.code, status.INVALID_ARGUMENT);
      return true;
    });
  });
});
