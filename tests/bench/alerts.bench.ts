/**
 * pnpm bench:alerts [ALERTS]: how long an alert takes to reach people, in the embedded deployment (each
 * service its own process, a private nats-server, local clip storage, the real `apprise` command
 * delivering to a local json:// receiver). A generated 640×360 camera at 15 fps shows a new face every few
 * seconds (a looping video: every loop starts new tracks; unknown_cooldown_s 0, so that each one alerts),
 * alert mode ON_ALL. Prints, per alert, the time from the capture of the trigger frame to: the alert
 * published, the notification received (with the clip URL, so it includes the clip's post-roll), and the
 * clip stored (ClipEvent); then medians.
 *
 * pnpm bench:alerts per-loop [LOOPS]: one alert per person on the Hamilton clip of ../shared/data as a
 * looping camera (ON_ALL, the three people enrolled, cooldown_s and unknown_cooldown_s 300): per loop, the
 * tracks that settled, the alerts, and the tracks published as "seen again"; then the same with
 * unknown_cooldown_s 0 and cooldown_s 0 (every track alerts, as before one alert per person).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { connectBus, consumeMessages, ensureStreams } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Alert, ClipEvent } from "@facetracker/proto";
import { type Actor, locateFace, renderScene, sampleFaces, samplePhotos } from "@facetracker/samples";
import { type ServiceName, type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { startNatsServer } from "@facetracker/testing/bus";
import { FaceAnalyzer, type RgbImage } from "@facetracker/vision";
import { perLoop, runLoopingHamilton, skipWithoutHamilton } from "../helpers/looping-hamilton.ts";

if (process.argv[2] === "per-loop") {
  const loops = Number(process.argv[3] ?? 4);
  const skip = skipWithoutHamilton();
  if (skip) {
    console.log(`bench:alerts per-loop: ${skip}`);
    process.exit(0);
  }
  for (const [label, alerts] of [
    ["one alert per person (cooldown_s 300, unknown_cooldown_s 300)", {}],
    ["every track alerts (cooldown_s 0, unknown_cooldown_s 0)", { cooldown_s: 0, unknown_cooldown_s: 0 }],
  ] as const) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bench-loops-"));
    const run = await runLoopingHamilton({ dir, loops, alerts });
    console.log(
      `\nbench:alerts per-loop: Hamilton clip (${run.framesPerLoop} frames a loop, 29.97 fps) as a looping camera, ON_ALL, ${label}; ${run.loopsDone} loops; ${os.cpus().length} cores`,
    );
    console.table(perLoop(run, loops));
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const wanted = Number(process.argv[2] ?? 6);
const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-alerts-"));
const analyzer = await FaceAnalyzer.create();
const faces = (await sampleFaces(analyzer, samplePhotos(), [[0, 0]], 90)) as RgbImage[];
const actors: Actor[] = [];
for (const picture of faces) {
  actors.push({
    name: "walker",
    picture,
    faceInPicture: await locateFace(analyzer, picture),
    // Enters from the left at frame 10, leaves at frame 60 of a 75-frame (5 s) loop.
    position: (f) => (f < 10 || f > 60 ? [-400, 0] : [40 + 6 * (f - 10), 80]),
  });
}
const video = path.join(tmp, "camera.mp4");
await renderScene(video, { width: 640, height: 360, fps: 15, frames: 75, actors });

const notified = new Map<string, number>();
const receiver = createServer(async (req, res) => {
  let text = "";
  for await (const chunk of req) text += chunk;
  const at = Date.now();
  const body = JSON.parse(text) as { message: string };
  for (const m of body.message.matchAll(/track (\d+)/g)) notified.set(m[1] as string, at);
  res.end("{}");
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const port = (receiver.address() as AddressInfo).port;

const nats = await startNatsServer();
const config = parseConfig({
  db_path: path.join(tmp, "gallery"),
  cameras: [{ id: "cam1", url: video, loop: true, fps: 15 }],
  alerts: {
    alert_mode: "ON_ALL",
    // Every loop's faces alert again: this bench measures how fast alerts reach people.
    unknown_cooldown_s: 0,
    clip_duration: 30,
    notification_config: [`json://127.0.0.1:${port}/hook`],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Apprise message template, not JavaScript
    notification_message: "${identity} on ${camera}, track ${track_id}\nclip ${url}",
    notification_group_s: 0,
  },
  storage: { endpoint: path.join(tmp, "clips"), spool_path: path.join(tmp, "spool") },
});
const configFile = path.join(tmp, "config.json");
await writeFile(configFile, JSON.stringify(config));
const children: ServiceProcess[] = [];
for (const name of ["api", "embed", "alert", "clip-recorder", "track", "detect", "ingest"] as ServiceName[]) {
  children.push(
    await spawnServiceProcess({
      name,
      configFile,
      env: { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "warn" },
      onLine: (line) => {
        if (/"level":"(warn|error)"/.test(line)) console.error(`[${name}] ${line}`);
      },
    }),
  );
}
const bus = await connectBus({ servers: [nats.url], name: "bench-alerts" });
await ensureStreams(bus.jsm);
const alerts: { trackId: number; captured: number; published: number }[] = [];
const clips = new Map<string, number>();
const watchers = [
  await consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    filterSubject: "ft.alerts.>",
    type: Alert,
    handler: (a) => {
      alerts.push({ trackId: a.trackId, captured: a.timeMs, published: Date.now() });
    },
  }),
  await consumeMessages({
    js: bus.js,
    stream: "FT_CLIPS",
    filterSubject: "ft.clips.>",
    type: ClipEvent,
    handler: (c) => {
      for (const id of c.alertIds) clips.set(id.split("-")[1] as string, Date.now());
    },
  }),
];
const deadline = Date.now() + 120_000;
while (Date.now() < deadline) {
  const done = alerts.filter((a) => notified.has(String(a.trackId)) && clips.has(String(a.trackId)));
  if (done.length >= wanted) break;
  await new Promise((r) => setTimeout(r, 250));
}
const rows = alerts
  .filter((a) => notified.has(String(a.trackId)) && clips.has(String(a.trackId)))
  .map((a) => ({
    track: a.trackId,
    "alert published ms": a.published - a.captured,
    "notification received ms": (notified.get(String(a.trackId)) as number) - a.captured,
    "clip stored ms": (clips.get(String(a.trackId)) as number) - a.captured,
  }));
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `\nbench:alerts: trigger frame capture → alert, notification (apprise json://, with clip URL), clip stored (local); clip_duration 30 frames at 15 fps (1 s post-roll); ${os.cpus().length} cores`,
);
console.table(rows);
console.log(
  `median: alert ${median(rows.map((r) => r["alert published ms"]))} ms, notification ${median(rows.map((r) => r["notification received ms"]))} ms, clip stored ${median(rows.map((r) => r["clip stored ms"]))} ms`,
);
for (const w of watchers) await w.stop();
await bus.close();
for (const c of [...children].reverse()) await c.stop();
await nats.stop();
receiver.close();
await rm(tmp, { recursive: true, force: true });
