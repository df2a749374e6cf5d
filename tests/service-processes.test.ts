/**
 * The services as separate processes (`node services/<name>/src/main.ts`, as `facetracker up` and a
 * deployment run them) on a real nats-server: health and metrics of each, an enrollment through the API
 * process reaching two embed worker processes that follow the embedded gallery read-only, and one embed
 * worker killed (SIGKILL) mid-run without losing any track's identity.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus, consumeMessages } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Alert, FaceTrackerApiClient } from "@facetracker/proto";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import {
  freeLocalPort,
  type ServiceName,
  type ServiceProcess,
  spawnServiceProcess,
} from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { writeMirroredJpeg } from "@facetracker/testing/faces";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { metricSum } from "./helpers/prometheus-text.ts";

const metricsOf = async (p: ServiceProcess) => (await fetch(`${p.httpUrl}/metrics`)).text();

describe("services as processes (real nats-server, one process per service)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let video: string;
  let photo: string;
  const children = new Map<string, ServiceProcess>();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-processes-"));
    nats = await startNatsServer();
    const analyzer = await FaceAnalyzer.create();
    const [amy, bob, cat] = (await sampleFaces(
      analyzer,
      samplePhotos(),
      [
        [0, 0],
        [5, 0],
        [2, 2],
      ],
      70,
    )) as [RgbImage, RgbImage, RgbImage];
    const actors: Actor[] = [];
    for (const [i, [name, picture]] of (
      [
        ["amy", amy],
        ["bob", bob],
        ["cat", cat],
      ] as const
    ).entries()) {
      actors.push({
        name,
        picture,
        faceInPicture: await locateFace(analyzer, picture),
        position: (f) => [20 + i * 210 + 20 * Math.sin(f / 8), 60 + 10 * Math.cos(f / 10)],
      });
    }
    video = path.join(dir, "media", "lobby.mp4");
    await mkdir(path.dirname(video), { recursive: true });
    await renderScene(video, { width: 640, height: 360, fps: 25, frames: 150, actors });
    photo = path.join(dir, "amy.jpg");
    await writeMirroredJpeg(amy, photo);
  });
  after(async () => {
    for (const child of children.values()) await child.stop(5000);
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serve /healthz, /livez and /metrics; an enrollment reaches both embed workers; killing one loses no identity", async () => {
    const apiPort = await freeLocalPort();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      alerts: { alert_mode: "ON_ALL", notification_state_path: path.join(dir, "notify-state") },
      // AddCamera takes files only under api.media_roots (docs/security.md, Camera sources).
      api: { port: apiPort, http_port: 0, media_roots: [path.dirname(video)] },
      cameras: [],
    });
    const configFile = path.join(dir, "config.json");
    await writeFile(configFile, JSON.stringify(config));
    const env = { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "info" };
    const logs: string[] = [];
    const plan: [ServiceName, string?][] = [
      ["api"],
      ["embed", "1"],
      ["embed", "2"],
      ["alert"],
      ["track"],
      ["detect"],
      ["ingest"],
    ];
    for (const [name, instance] of plan) {
      const child = await spawnServiceProcess({
        name,
        ...(instance ? { instance } : {}),
        configFile,
        env,
        onLine: (line) => logs.push(line),
      });
      children.set(child.id, child);
    }

    // Health, liveness and metrics of every service process.
    for (const child of children.values()) {
      const health = await fetch(`${child.httpUrl}/healthz`);
      assert.equal(health.status, 200, `${child.id} ready`);
      const body = (await health.json()) as { checks: Record<string, unknown> };
      assert.equal(body.checks.nats, true, `${child.id} reports its NATS connection`);
      assert.equal((await fetch(`${child.httpUrl}/livez`)).status, 200);
      assert.match(
        await metricsOf(child),
        /^# TYPE facetracker_messages_in_total counter$/m,
        `${child.id} metrics`,
      );
    }

    // Enroll through the API process (the gallery's one writer).
    const client = new FaceTrackerApiClient(`127.0.0.1:${apiPort}`, credentials.createInsecure());
    const image = await readFile(photo);
    const enrolled = await new Promise<{ enrolled: number }>((resolve, reject) =>
      client.enroll(
        { name: "amy", attributes: {}, images: [image], force: false },
        new Metadata(),
        (e: ServiceError | null, r) => (e ? reject(e) : resolve(r)),
      ),
    );
    assert.equal(enrolled.enrolled, 1);
    await waitFor(
      () => logs.filter((l) => /"service":"embed".*"msg":"gallery reloaded"/.test(l)).length >= 2,
      "both embed workers to reload the gallery",
    );

    const observer = await connectBus({ servers: [nats.url], name: "processes-test" });
    const alerts: Alert[] = [];
    const watcher = await consumeMessages({
      js: observer.js,
      stream: "FT_ALERTS",
      filterSubject: "ft.alerts.>",
      type: Alert,
      handler: (a) => {
        alerts.push(a);
      },
    });
    try {
      await new Promise<void>((resolve, reject) =>
        client.addCamera(
          { id: "lobby", url: video, enabled: true, alertMode: "", liveMode: "", loop: false },
          new Metadata(),
          (e: ServiceError | null) => (e ? reject(e) : resolve()),
        ),
      );
      const embed1 = children.get("embed-1") as ServiceProcess;
      const embed2 = children.get("embed-2") as ServiceProcess;
      const served = async (p: ServiceProcess) =>
        metricSum(await metricsOf(p), "facetracker_messages_in_total", { subject_kind: "embed" });
      await waitFor(
        async () => (await served(embed1)) > 0 && (await served(embed2)) > 0,
        "both embed workers to serve requests",
        60_000,
      );
      const before = [await served(embed1), await served(embed2)];
      await embed2.kill();
      const track = children.get("track") as ServiceProcess;
      await waitFor(
        async () =>
          metricSum(await metricsOf(track), "facetracker_messages_in_total", {
            subject_kind: "detections",
          }) >= 150,
        "every frame of the video to be tracked",
        120_000,
      );
      await waitFor(() => alerts.length >= 3, "an alert per person", 30_000).catch((e) => {
        // What the services said, to tell a late alert from a lost identification.
        console.log(
          logs
            .filter((l) => !/"level":"debug"/.test(l))
            .slice(-80)
            .join("\n"),
        );
        console.log(
          `alerts: ${alerts.map((a) => `${a.trackId}=${a.identity?.name ?? "unknown"}`).join(", ")}`,
        );
        throw e;
      });
      console.log(
        `embed requests before the kill: ${before.join(" / ")}; after: ${await served(embed1)} / -`,
      );
    } finally {
      await watcher.stop();
      await observer.close();
      client.close();
    }
    const byTrack = new Map(alerts.map((a) => [a.trackId, a.identity?.name ?? "unknown"]));
    assert.equal(byTrack.size, alerts.length, "one alert per track");
    const names = [...byTrack.values()].sort();
    assert.deepEqual(names, ["amy", "unknown", "unknown"], "amy is named, the two others unknown");
  });
});
