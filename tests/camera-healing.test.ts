/**
 * Cameras heal (issue 12, item 1), as a user meets it: an HTTP camera that nobody serves when ingest
 * starts is retried until a real ffmpeg-fed live stream appears on its port, and a looped camera file
 * deleted then restored comes back; meanwhile ingest stays ready and ListCameras (gRPC, through the api
 * service), the web page's camera list, the metrics and the logs tell each camera's state. Real nats-server, ffmpeg, services in process.
 */
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { connectBus } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { type CameraList, type CameraStatus, type Empty, FaceTrackerApiClient } from "@facetracker/proto";
import { startApiService } from "@facetracker/service-api";
import { freeLocalPort } from "@facetracker/service-host";
import { startIngestService } from "@facetracker/service-ingest";
import { startWebService } from "@facetracker/service-web";
import { waitFor } from "@facetracker/testing";
import { startNatsServer } from "@facetracker/testing/bus";
import { closedPort, liveHttpCamera, testVideo } from "@facetracker/testing/media";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { startPipeline } from "./helpers/pipeline-harness.ts";
import { metricSum } from "./helpers/prometheus-text.ts";

describe("cameras heal (ingest and api in process, real nats-server and ffmpeg)", () => {
  it("a camera unreachable at start comes up once served; a looped file deleted and restored comes back; ListCameras and metrics tell", {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-camera-healing-"));
    const nats = await startNatsServer();
    const observer = await connectBus({ servers: nats.url, name: "test-observer" });
    const lobby = path.join(dir, "lobby.mp4");
    await testVideo(lobby, { seconds: 2, fps: 15 });
    const doorVideo = await testVideo(path.join(dir, "door.mp4"), { seconds: 2, fps: 15 });
    const doorPort = await closedPort();
    const apiPort = await freeLocalPort();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      api: { port: apiPort, http_port: 0 },
      storage: { endpoint: path.join(dir, "clips"), spool_path: path.join(dir, "spool") },
      ingest: { reconnect_initial_s: 0.2, reconnect_max_s: 1 },
      cameras: [
        { id: "door", url: `http://viewer:s3cret@127.0.0.1:${doorPort}/live.ts` },
        { id: "lobby", url: lobby, loop: true },
      ],
    });
    const pipeline = await startPipeline(nats.url, config, [
      ["api", startApiService],
      ["web", startWebService],
      ["ingest", startIngestService],
    ]);
    const webPort = (pipeline.services.get("web") as unknown as { httpPort: number | undefined }).httpPort;
    const client = new FaceTrackerApiClient(`127.0.0.1:${apiPort}`, credentials.createInsecure());
    const listCameras = () =>
      new Promise<CameraList>((resolve, reject) =>
        client.listCameras(
          {} satisfies Empty,
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (e: ServiceError | null, r: CameraList) => (e ? reject(e) : resolve(r)),
        ),
      );
    const statusOf = async (id: string) => (await listCameras()).cameras.find((c) => c.id === id)?.status;
    const when = (id: string, test: (s: CameraStatus) => boolean, what: string) =>
      waitFor(
        async () => {
          const s = await statusOf(id);
          return s && test(s) ? s : undefined;
        },
        `${id}: ${what}`,
        90_000,
        100,
      );
    const framesOf = async (camera: string) =>
      (await observer.jsm.streams.info("FT_FRAMES", { subjects_filter: `ft.frames.${camera}` })).state
        .subjects?.[`ft.frames.${camera}`] ?? 0;
    const metrics = () => pipeline.metrics.get("ingest")?.registry.metrics() ?? Promise.resolve("");
    let door: Awaited<ReturnType<typeof liveHttpCamera>> | undefined;
    try {
      // Nobody serves the door camera: tried again and again, its password never shown.
      const down = await when("door", (s) => s.state === "reconnecting" && s.reconnects >= 3, "retried");
      assert.match(down.lastError, /connection refused/);
      assert.match(down.lastError, /viewer:\*\*\*@/);
      assert.doesNotMatch(down.lastError, /s3cret/);
      assert.ok(down.sinceMs > 0 && down.updatedAtMs >= down.sinceMs);
      // The operators' page shows the same.
      const page = (await (await fetch(`http://127.0.0.1:${webPort}/api/cameras`)).json()) as {
        cameras: { id: string; status: { state: string; last_error: string; reconnects: number } | null }[];
      };
      const onPage = page.cameras.find((c) => c.id === "door")?.status;
      assert.equal(onPage?.state, "reconnecting");
      assert.match(onPage?.last_error ?? "", /connection refused/, "snake_case keys, as every JSON answer");
      assert.doesNotMatch(JSON.stringify(page), /s3cret/);
      // The other camera is not held up by it, and ingest stays ready.
      await when("lobby", (s) => s.state === "up", "up");
      const readiness = pipeline.services.get("ingest")?.readiness() ?? {};
      assert.ok(
        Object.values(readiness).every((v) => v === true),
        `ingest ready: ${JSON.stringify(readiness)}`,
      );
      const text = await metrics();
      assert.equal(metricSum(text, "facetracker_camera_up", { camera: "door" }), 0);
      assert.equal(metricSum(text, "facetracker_camera_up", { camera: "lobby" }), 1);
      assert.ok(metricSum(text, "facetracker_camera_reconnects_total", { camera: "door" }) >= 3);
      assert.match(text, /^facetracker_frames_in_total\{camera="door"[^}]*\} 0$/m, "its frames shown from 0");
      assert.equal(await framesOf("door"), 0);

      // The camera appears (ffmpeg playing a video live over HTTP on its port): it comes up by itself.
      door = await liveHttpCamera(doorVideo, doorPort);
      const up = await when("door", (s) => s.state === "up", "up once served");
      assert.match(up.lastError, /connection refused/, "the last error stays for the record");
      await waitFor(async () => (await framesOf("door")) >= 20, "the door camera's frames", 60_000);
      const served = await metrics();
      assert.equal(metricSum(served, "facetracker_camera_up", { camera: "door" }), 1);
      assert.ok(metricSum(served, "facetracker_frames_in_total", { camera: "door" }) >= 20, served);

      // The looped file disappears: the camera goes down, then comes back when the file does.
      await rename(lobby, `${lobby}.away`);
      const gone = await when("lobby", (s) => s.state === "reconnecting", "down without its file");
      assert.match(gone.lastError, /lobby\.mp4.*(not found|no such file or directory)/i);
      await when("lobby", (s) => s.reconnects >= 2, "retried");
      const before = await framesOf("lobby");
      await rename(`${lobby}.away`, lobby);
      await when("lobby", (s) => s.state === "up", "up again with its file");
      await waitFor(async () => (await framesOf("lobby")) >= before + 20, "the lobby's frames again", 60_000);
      assert.ok(metricSum(await metrics(), "facetracker_camera_reconnects_total", { camera: "lobby" }) >= 2);
      const logs = pipeline.logs.map((l) => JSON.parse(l) as { msg: string; camera?: string });
      for (const msg of ["camera down, retrying", "camera up"]) {
        assert.ok(
          logs.some((l) => l.msg === msg && l.camera === "lobby"),
          `log "${msg}" for lobby`,
        );
      }
    } finally {
      client.close();
      await pipeline.stop();
      await door?.close();
      await observer.close();
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
