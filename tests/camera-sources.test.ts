/**
 * Issue 13, sources confined: AddCamera (no token, as a local user would call it) takes network streams of
 * an allowed scheme and files or devices only under api.media_roots / api.device_roots (real paths:
 * neither `..` nor a symbolic link leaves a root); ListCameras and AddCamera return sources with their
 * credentials masked.
 */

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { type CameraConfig, type CameraList, type Empty, FaceTrackerApiClient } from "@facetracker/proto";
import { startApiService } from "@facetracker/service-api";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { startPipeline } from "./helpers/pipeline-harness.ts";

type Unary<Req, Res> = (req: Req, md: Metadata, cb: (e: ServiceError | null, r: Res) => void) => unknown;

function call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))));
}

const camera = (id: string, url: string): CameraConfig => ({
  id,
  url,
  enabled: true,
  alertMode: "",
  liveMode: "",
  loop: false,
});

describe("AddCamera confines sources; sources leave the api masked (real nats-server, api service)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let pipeline: Awaited<ReturnType<typeof startPipeline>>;
  let client: FaceTrackerApiClient;
  let addCamera: Unary<CameraConfig, CameraConfig>;
  let listCameras: Unary<Empty, CameraList>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-sources-"));
    await mkdir(path.join(dir, "media"));
    await mkdir(path.join(dir, "private"));
    await writeFile(path.join(dir, "media", "door.mp4"), "a video");
    await writeFile(path.join(dir, "private", "home.mp4"), "a private video");
    await symlink(path.join(dir, "private", "home.mp4"), path.join(dir, "media", "link.mp4"));
    nats = await startNatsServer();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      api: { port: 0, http_port: 0, media_roots: [path.join(dir, "media")] },
    });
    pipeline = await startPipeline(nats.url, config, [["api", startApiService]]);
    const port = (pipeline.services.get("api") as unknown as { port: number }).port;
    client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
    addCamera = client.addCamera.bind(client) as Unary<CameraConfig, CameraConfig>;
    listCameras = client.listCameras.bind(client) as Unary<Empty, CameraList>;
  });
  after(async () => {
    client?.close();
    await pipeline?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses local paths outside the roots, file: and other schemes, .., links out of a root, devices", async () => {
    const refused: [string, RegExp][] = [
      ["/etc/passwd", /outside api\.media_roots/],
      [path.join(dir, "private", "home.mp4"), /outside api\.media_roots/],
      [path.join(dir, "media", "link.mp4"), /outside api\.media_roots.*resolves to/],
      [`${dir}/media/../private/home.mp4`, /\(no \.\.\)/],
      [`file:${path.join(dir, "media", "door.mp4")}`, /\(scheme\): file: is not allowed/],
      [`concat:${path.join(dir, "media", "door.mp4")}`, /\(scheme\): concat: is not allowed/],
      ["media/door.mp4", /\(absolute path\)/],
      ["0", /\(api\.device_roots\)/],
      ["/dev/video0", /\(api\.device_roots\)/],
      ["rtsp:///nohost", /\(url\)/],
    ];
    for (const [url, reason] of refused) {
      await assert.rejects(call(addCamera, camera("cam", url)), (e: ServiceError) => {
        assert.equal(e.code, status.INVALID_ARGUMENT, `${url}: ${e.details}`);
        assert.match(e.details, reason, url);
        return true;
      });
    }
    assert.deepEqual((await call(listCameras, {})).cameras, [], "nothing refused was stored");
  });

  it("accepts a file inside a root and network streams; returns and lists them with passwords masked", async () => {
    const added = await call(addCamera, camera("yard", "rtsp://viewer:s3cret-Pw@127.0.0.1:8554/yard"));
    assert.equal(added.url, "rtsp://viewer:***@127.0.0.1:8554/yard");
    await call(addCamera, camera("door", path.join(dir, "media", "door.mp4")));
    await call(addCamera, camera("web", "https://cam.example.test/live.ts"));
    const listed = (await call(listCameras, {})).cameras.map((c) => [c.id, c.url]);
    assert.deepEqual(
      listed.sort(([a = ""], [b = ""]) => a.localeCompare(b)),
      [
        ["door", path.join(dir, "media", "door.mp4")],
        ["web", "https://cam.example.test/live.ts"],
        ["yard", "rtsp://viewer:***@127.0.0.1:8554/yard"],
      ],
    );
    assert.ok(!JSON.stringify(listed).includes("s3cret-Pw"));
  });
});
