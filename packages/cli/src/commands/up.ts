import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import {
  type Bus,
  connectBus,
  consumeMessages,
  ensureStreams,
  type MessageConsumer,
  type NatsServerChild,
  startNatsServer,
} from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { Alert, TrackEvent, trackEventTypeToJSON } from "@facetracker/proto";
import { openConfiguredGallery } from "@facetracker/sdk";
import { startAlertService } from "@facetracker/service-alert";
import { startApiService } from "@facetracker/service-api";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import { busOptionsFrom, type PipelineService, type ServiceFactory } from "@facetracker/service-host";
import { startIngestService } from "@facetracker/service-ingest";
import {
  createLogger,
  createServiceMetrics,
  envInt,
  type Logger,
  startServiceHttp,
} from "@facetracker/service-kit";
import { startTrackService } from "@facetracker/service-track";
import { configFrom, parse } from "../common.ts";
import { ensureDemoCamera } from "../demo-camera.ts";

export const upUsage = "facetracker up [--config FILE] [--data DIR] [--exit-when-done]";

const services: [string, ServiceFactory][] = [
  ["api", startApiService],
  ["embed", startEmbedService],
  ["alert", startAlertService],
  ["track", startTrackService],
  ["detect", startDetectService],
  ["ingest", startIngestService],
];

/** The durable consumers that must be caught up before a finite run is over. */
const durables: [string, string][] = [
  ["FT_FRAMES", "detect"],
  ["FT_DETECTIONS", "track"],
  ["FT_TRACKS", "alert"],
];

interface Started {
  name: string;
  bus: Bus;
  service: PipelineService;
}

/**
 * The embedded run: a nats-server child (JetStream, store under DATA/nats) unless NATS_URL or nats.url is
 * set, then every pipeline service in this process (each with its own NATS connection), one HTTP server
 * for /healthz and /metrics, and a live print of track events and alerts. Without a configured camera it
 * watches a demo video generated from the registry sample photos. Ctrl-C (or the end of every file
 * camera, with --exit-when-done) stops everything.
 */
export async function upCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    { data: { type: "string" }, "exit-when-done": { type: "boolean" } },
    upUsage,
  );
  const dataDir = path.resolve(values.data ?? "data");
  let config: FaceTrackerConfig = configFrom(values);
  const log = createLogger("up");
  const exitWhenDone = values["exit-when-done"] ?? false;

  if (config.cameras.length === 0) {
    const demo = await ensureDemoCamera(path.join(dataDir, "demo"));
    config = { ...config, cameras: [{ id: "demo", url: demo, loop: !exitWhenDone }] };
    console.log(`up: no camera configured: watching the demo camera ${path.relative(process.cwd(), demo)}`);
  }

  let nats: NatsServerChild | undefined;
  let url = config.nats.url ?? process.env.NATS_URL;
  if (!url) {
    nats = await startOwnNats(path.join(dataDir, "nats"));
    url = nats.url;
    console.log(
      `up: started nats-server ${url} (JetStream store ${path.relative(process.cwd(), nats.storeDir)})`,
    );
  }
  config = {
    ...config,
    nats: { ...config.nats, url },
    api: { ...config.api, port: await freePort(config.api.port) },
  };
  // One gallery for the services of this process (an embedded gallery directory has one writer).
  const gallery = await openConfiguredGallery(config);

  // One registry for the whole process: the services share it (their series carry the stage label).
  const metrics = createServiceMetrics("facetracker");
  const started: Started[] = [];
  const consumers: MessageConsumer[] = [];
  let http: Awaited<ReturnType<typeof startServiceHttp>> | undefined;
  let observer: Bus | undefined;
  const stopAll = async () => {
    for (const c of consumers) await bounded(c.stop(), "observer");
    for (const s of [...started].reverse()) await bounded(s.service.stop(), s.name);
    for (const s of started) await bounded(s.bus.close(), `${s.name} connection`);
    if (observer) await bounded(observer.close(), "observer connection");
    await http?.close();
    await gallery.close();
    await nats?.stop();
  };
  try {
    // The observer first, so it sees the first events.
    observer = await connectBus(busOptionsFrom(config, "facetracker-up-observer"));
    await ensureStreams(observer.jsm);
    consumers.push(await printTrackEvents(observer), await printAlerts(observer));
    for (const [name, factory] of services) {
      const bus = await connectBus(busOptionsFrom(config, `facetracker-${name}`));
      await ensureStreams(bus.jsm);
      const service = await factory({ bus, config, logger: quietLogger(name), metrics, gallery });
      started.push({ name, bus, service });
    }
    http = await startServiceHttp({
      port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
      host: "127.0.0.1",
      service: "facetracker",
      registry: metrics.registry,
      readiness: () => {
        const checks = Object.fromEntries(
          started.flatMap((s) =>
            Object.entries(s.service.readiness()).map(([k, v]) => [`${s.name}: ${k}`, v]),
          ),
        );
        return { ready: Object.values(checks).every((v) => v === true), checks };
      },
    });
    console.log(
      `up: gRPC API 127.0.0.1:${config.api.port}, health ${http.url}/healthz, metrics ${http.url}/metrics`,
    );
    console.log(
      `up: alerts are published on ${config.cameras.map((c) => `ft.alerts.${c.id}`).join(", ")} (stream FT_ALERTS); Ctrl-C stops`,
    );

    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
      if (exitWhenDone) void waitUntilDone(started, log).then(resolve);
    });
    console.log("up: stopping");
    return 0;
  } finally {
    await stopAll();
  }
}

/** Waits for a stop step, at most 10 s (then goes on: the process is ending anyway). */
async function bounded(step: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`up: ${what} did not stop within 10 s`);
      resolve();
    }, 10_000);
  });
  await Promise.race([
    step.then(
      () => {},
      (e: Error) => console.error(`up: stopping ${what}: ${e.message}`),
    ),
    timeout,
  ]);
  clearTimeout(timer);
}

/** `wanted` when it is free on this machine, else a free port. */
async function freePort(wanted: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, "0.0.0.0", () => {
        const { port: bound } = server.address() as AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(wanted)) ?? ((await tryListen(0)) as number);
}

/** Port 4222 when free, else any free port. */
async function startOwnNats(storeDir: string): Promise<NatsServerChild> {
  try {
    return await startNatsServer({ storeDir, port: 4222 });
  } catch {
    return startNatsServer({ storeDir });
  }
}

/** Service logs stay quiet in the embedded run (warnings and errors only) unless FACETRACKER_LOG_LEVEL says otherwise. */
function quietLogger(name: string): Logger {
  return createLogger(name, process.env.FACETRACKER_LOG_LEVEL ? {} : { level: "warn" });
}

async function printTrackEvents(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_TRACKS",
    filterSubject: "ft.tracks.>",
    deliverPolicy: "new",
    type: TrackEvent,
    handler: (e) => {
      if (e.type === 0) return;
      const who = e.identity ? `${e.identity.name} (${e.identity.similarity.toFixed(2)})` : "unknown";
      console.log(
        `track  ${e.camera} #${e.trackId} ${trackEventTypeToJSON(e.type)
          .replace(/^TRACK_EVENT_TYPE_/, "")
          .toLowerCase()} ${who} at ${e.pts.toFixed(2)} s`,
      );
    },
  });
}

async function printAlerts(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    filterSubject: "ft.alerts.>",
    deliverPolicy: "new",
    type: Alert,
    handler: (a) => {
      const who = a.identity ? `${a.identity.name} (${a.similarity.toFixed(2)})` : "unknown face";
      console.log(
        `ALERT  ${a.camera} #${a.trackId}: ${who} at ${new Date(a.timeMs).toISOString()} [${a.mode}]`,
      );
    },
  });
}

/** Resolves once every camera has ended and every stage has processed what was published. */
async function waitUntilDone(started: Started[], log: Logger): Promise<void> {
  const ingest = started.find((s) => s.name === "ingest");
  const js = started[0]?.bus.jsm;
  if (!ingest || !js) return;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    if (!ingest.service.finished?.()) continue;
    let pending = 0;
    for (const [stream, durable] of durables) {
      try {
        const info = await js.consumers.info(stream, durable);
        pending += info.num_pending + info.num_ack_pending;
      } catch (error) {
        log.warn("consumer info", { stream, durable, error: error as Error });
      }
    }
    if (pending === 0) return;
    log.debug("waiting for the pipeline to drain", { pending });
  }
}
