import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { EmbeddedGallery } from "@facetracker/gallery";
import { openConfiguredMemory } from "@facetracker/pipeline";
import {
  type Alert,
  type CameraConfig,
  type CameraId,
  type CameraList,
  type DeleteIdentityRequest,
  type DeleteIdentityResponse,
  type Empty,
  type EnrollRequest,
  type EnrollResponse,
  FaceTrackerApiClient,
  type FindFacesRequest,
  type FindFacesResponse,
  type IdentityInfo,
  type IdentityList,
  type ListIdentitiesRequest,
  type RenameIdentityRequest,
} from "@facetracker/proto";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { startAlertService } from "@facetracker/service-alert";
import { startApiService } from "@facetracker/service-api";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { startIngestService } from "@facetracker/service-ingest";
import { startTrackService } from "@facetracker/service-track";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { wipeVideoPackets } from "@facetracker/testing/media";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { startPipeline } from "./helpers/pipeline-harness.ts";

const TOKEN = "test-token-1234";

function unaryMethods(client: FaceTrackerApiClient) {
  return {
    enroll: client.enroll.bind(client) as Unary<EnrollRequest, EnrollResponse>,
    listIdentities: client.listIdentities.bind(client) as Unary<ListIdentitiesRequest, IdentityList>,
    renameIdentity: client.renameIdentity.bind(client) as Unary<RenameIdentityRequest, IdentityInfo>,
    deleteIdentity: client.deleteIdentity.bind(client) as Unary<
      DeleteIdentityRequest,
      DeleteIdentityResponse
    >,
    findFacesInFile: client.findFacesInFile.bind(client) as Unary<FindFacesRequest, FindFacesResponse>,
    addCamera: client.addCamera.bind(client) as Unary<CameraConfig, CameraConfig>,
    removeCamera: client.removeCamera.bind(client) as Unary<CameraId, Empty>,
    listCameras: client.listCameras.bind(client) as Unary<Empty, CameraList>,
  };
}

type Unary<Req, Res> = (req: Req, md: Metadata, cb: (e: ServiceError | null, r: Res) => void) => unknown;

/** A unary call of the generated client as a promise (the client's methods are overloaded: pick one). */
function call<Req, Res>(fn: Unary<Req, Res>, req: Req, md: Metadata): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, md, (e, r) => (e ? reject(e) : resolve(r))));
}

describe("gRPC API end to end (real nats-server, services in process)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let video: string;
  let photo: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-api-"));
    nats = await startNatsServer();
    const analyzer = await FaceAnalyzer.create();
    const [amy] = (await sampleFaces(analyzer, samplePhotos(), [[0, 0]], 70)) as [RgbImage];
    const actors: Actor[] = [
      {
        name: "amy",
        picture: amy,
        faceInPicture: await locateFace(analyzer, amy),
        position: (f) => [100 + 2 * f, 60],
      },
    ];
    video = path.join(dir, "media", "door.mp4");
    await import("node:fs/promises").then((fs) => fs.mkdir(path.dirname(video), { recursive: true }));
    await renderScene(video, { width: 640, height: 360, fps: 25, frames: 40, actors });
    photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
  });
  after(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("enroll → add a camera → watch alerts → a known face alerts as known; tokens, upload paths and media roots enforced", async () => {
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_KNOWNS" },
      api: { port: 0, http_port: 0, token: TOKEN, media_roots: [path.join(dir, "media")] },
    });
    const gallery = await EmbeddedGallery.open(config.db_path);
    const pipeline = await startPipeline(
      nats.url,
      config,
      [
        ["api", startApiService],
        ["embed", startEmbedService],
        ["alert", startAlertService],
        ["track", startTrackService],
        ["detect", startDetectService],
      ],
      gallery,
    );
    const port = (pipeline.services.get("api") as unknown as { port: number }).port;
    const client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const api = unaryMethods(client);
    const auth = new Metadata();
    auth.set("authorization", `Bearer ${TOKEN}`);
    try {
      await assert.rejects(
        call(api.listIdentities, { nameContains: "" }, new Metadata()),
        (e: ServiceError) => e.code === status.UNAUTHENTICATED,
      );
      const enrolled = await call(
        api.enroll,
        { name: "amy", attributes: { team: "a" }, images: [await readFile(photo)], force: false },
        auth,
      );
      assert.equal(enrolled.enrolled, 1);
      const listed = await call(api.listIdentities, { nameContains: "am" }, auth);
      assert.deepEqual(
        listed.identities.map((i) => [i.name, i.embeddingCount, i.attributes]),
        [["amy", 1, { team: "a" }]],
      );

      const alerts: Alert[] = [];
      const stream = client.watchAlerts({ camera: "door", fromSeq: 0, includeUpdates: false }, auth);
      stream.on("data", (a: Alert) => alerts.push(a));
      stream.on("error", () => {});
      await new Promise((r) => setTimeout(r, 300));
      const ingest = await startPipeline(nats.url, config, [["ingest", startIngestService]]);
      // The camera comes through the API: ingest follows the camera registry.
      await assert.rejects(
        call(
          api.addCamera,
          { id: "front door", url: video, enabled: true, alertMode: "", liveMode: "", loop: false },
          auth,
        ),
        (e: ServiceError) => e.code === status.INVALID_ARGUMENT && /front door/.test(e.details),
      );
      const added = await call(
        api.addCamera,
        { id: "door", url: video, enabled: true, alertMode: "", liveMode: "", loop: false },
        auth,
      );
      assert.equal(added.id, "door");
      const listedCameras = await call(api.listCameras, {}, auth);
      assert.deepEqual(
        listedCameras.cameras.map((c) => c.id),
        ["door"],
      );
      try {
        await waitFor(() => alerts.length >= 1, "an alert through WatchAlerts", 60_000);
      } finally {
        await ingest.stop();
        stream.cancel();
      }
      assert.equal(alerts[0]?.identity?.name, "amy");
      assert.equal(alerts[0]?.camera, "door");

      await assert.rejects(
        call(api.findFacesInFile, { source: { $case: "path", value: "../amy.jpg" } }, auth),
        (e: ServiceError) => e.code === status.PERMISSION_DENIED && /outside the media roots/.test(e.details),
      );
      const found = await call(api.findFacesInFile, { source: { $case: "path", value: "door.mp4" } }, auth);
      assert.deepEqual(
        found.tracks.map((t) => t.identity?.name),
        ["amy"],
      );
      assert.equal(found.stats?.frames, 40);
      const uploaded = await call(
        api.findFacesInFile,
        { source: { $case: "data", value: await readFile(video) } },
        auth,
      );
      assert.equal(uploaded.tracks.length, 1);
      // Both analyses are remembered in the face memory: the path under its absolute path, the upload by its hash.
      const memory = openConfiguredMemory(config, { readOnly: true });
      try {
        const sources = memory.list().filter((t) => t.source.kind === "file");
        assert.deepEqual(
          sources.map((t) => [t.source.name.replace(/[0-9a-f]{16}$/, "HASH"), t.identity?.name]).sort(),
          [
            [path.join(dir, "media", "door.mp4"), "amy"],
            ["upload:HASH", "amy"],
          ],
        );
      } finally {
        memory.close();
      }

      const renamed = await call(api.renameIdentity, { identity: "amy", newName: "amy pond" }, auth);
      assert.equal(renamed.name, "amy pond");
      await assert.rejects(
        call(api.renameIdentity, { identity: "nobody", newName: "x" }, auth),
        (e: ServiceError) => e.code === status.NOT_FOUND,
      );
      const deleted = await call(api.deleteIdentity, { identity: "amy pond" }, auth);
      assert.equal(deleted.deleted, true);
      await call(api.removeCamera, { id: "door" }, auth);
      assert.deepEqual((await call(api.listCameras, {}, auth)).cameras, []);
    } finally {
      client.close();
      await pipeline.stop();
      await gallery.close();
    }
  });

  it("refuses an upload above api.max_upload_bytes", async () => {
    const config = parseConfig({
      db_path: path.join(dir, "gallery-2"),
      api: { port: 0, http_port: 0, max_upload_bytes: 4096 },
    });
    const pipeline = await startPipeline(nats.url, config, [["api", startApiService]]);
    const port = (pipeline.services.get("api") as unknown as { port: number }).port;
    const client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const api = unaryMethods(client);
    try {
      await assert.rejects(
        call(api.findFacesInFile, { source: { $case: "data", value: Buffer.alloc(10_000) } }, new Metadata()),
        (e: ServiceError) => e.code === status.RESOURCE_EXHAUSTED,
      );
    } finally {
      client.close();
      await pipeline.stop();
    }
  });

  it("FindFacesInFile on a damaged video: DATA_LOSS naming the frames lost, or the loss in stats with allow_damaged", async () => {
    await wipeVideoPackets(video, path.join(dir, "media", "door-damaged.mp4"), {
      from: 10,
      to: 20,
    });
    const config = parseConfig({
      db_path: path.join(dir, "gallery-3"),
      api: { port: 0, http_port: 0, media_roots: [path.join(dir, "media")] },
    });
    const pipeline = await startPipeline(nats.url, config, [["api", startApiService]]);
    const port = (pipeline.services.get("api") as unknown as { port: number }).port;
    const client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const api = unaryMethods(client);
    const md = new Metadata();
    try {
      await assert.rejects(
        call(api.findFacesInFile, { source: { $case: "path", value: "door-damaged.mp4" } }, md),
        (e: ServiceError) =>
          e.code === status.DATA_LOSS &&
          /door-damaged\.mp4: damaged video: lost \d+ of 40 frames: \d+\.\d\d/.test(e.details),
      );
      const allowed = await call(
        api.findFacesInFile,
        { source: { $case: "path", value: "door-damaged.mp4" }, allowDamaged: true },
        md,
      );
      const stats = allowed.stats;
      assert.ok(stats && stats.lostFrames > 0, JSON.stringify(stats));
      assert.equal(stats.frames + stats.lostFrames, 40);
      assert.equal(stats.damagedRanges[0]?.kind, "lost");
      const clean = await call(api.findFacesInFile, { source: { $case: "path", value: "door.mp4" } }, md);
      assert.deepEqual([clean.stats?.lostFrames, clean.stats?.damagedRanges], [0, []]);
    } finally {
      client.close();
      await pipeline.stop();
    }
  });
});
