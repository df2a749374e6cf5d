import { mkdir, writeFile } from "node:fs/promises";
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
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import { Alert, AlertDelivery, TrackEvent, trackEventTypeToJSON } from "@facetracker/proto";
import { openConfiguredGallery } from "@facetracker/sdk";
import { startAlertService } from "@facetracker/service-alert";
import { startApiService } from "@facetracker/service-api";
import { startClipRecorderService } from "@facetracker/service-clip-recorder";
import { startDetectService } from "@facetracker/service-detect";
import { startEmbedService } from "@facetracker/service-embed";
import {
  busOptionsFrom,
  type PipelineService,
  type ServiceFactory,
  type ServiceName,
  type ServiceProcess,
  spawnServiceProcess,
} from "@facetracker/service-host";
import { startIngestService } from "@facetracker/service-ingest";
import {
  createLogger,
  createServiceMetrics,
  envInt,
  type Logger,
  startServiceHttp,
} from "@facetracker/service-kit";
import { startRestreamService } from "@facetracker/service-restream";
import { startTrackService } from "@facetracker/service-track";
import { CliError } from "../cli-error.ts";
import { configFrom, parse } from "../common.ts";
import { ensureDemoCamera } from "../demo-camera.ts";

export const upUsage =
  "facetracker up [--config FILE] [--data DIR] [--exit-when-done] [--embed-workers N] [--single-process]";

const services: [string, ServiceFactory][] = [
  ["api", startApiService],
  ["embed", startEmbedService],
  ["alert", startAlertService],
  ["clip-recorder", startClipRecorderService],
  ["track", startTrackService],
  ["detect", startDetectService],
  ["restream", startRestreamService],
  ["ingest", startIngestService],
];

/** The durable consumers that must be caught up before a finite run is over. */
const durables: [string, string][] = [
  ["FT_FRAMES", "detect"],
  ["FT_DETECTIONS", "track"],
  ["FT_TRACKS", "alert"],
  ["FT_ALERTS", "notify"],
  ["FT_ALERTS", "clip-recorder"],
];

interface Started {
  name: string;
  bus: Bus;
  service: PipelineService;
}

/** The services of one run, however they are hosted. */
interface RunningServices {
  /** Readiness checks of every service, by "service: check". */
  readiness(): Promise<Record<string, boolean | string>>;
  /** Every camera ended and ingest published all it read. */
  finished(): boolean;
  /** Lines telling where each service runs (printed at start). */
  describe(): string[];
  /** Stops in pipeline order (sources first), each bounded in time. */
  stop(): Promise<void>;
}

/**
 * The embedded run: a nats-server child (JetStream, store under DATA/nats) unless NATS_URL or nats.url is
 * set, then every pipeline service, each as its own process (as in a deployment: the stages use every
 * core; `--embed-workers N` starts N embed workers), or all in this process with --single-process (each
 * with its own NATS connection). One HTTP server for /healthz (every service ready) and a live print of
 * track events and alerts. Without a configured camera it watches a demo video generated from the
 * registry sample photos. Ctrl-C (or the end of every file camera, with --exit-when-done) stops
 * everything; the service processes also stop by themselves if this one dies.
 */
export async function upCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      data: { type: "string" },
      "exit-when-done": { type: "boolean" },
      "embed-workers": { type: "string" },
      "single-process": { type: "boolean" },
    },
    upUsage,
  );
  const embedWorkers = Number(values["embed-workers"] ?? 1);
  if (!Number.isInteger(embedWorkers) || embedWorkers < 1 || embedWorkers > 64) {
    throw new CliError(
      `--embed-workers must be a whole number from 1 to 64, got ${JSON.stringify(values["embed-workers"])}\nusage: ${upUsage}`,
      2,
    );
  }
  const singleProcess = values["single-process"] ?? false;
  if (singleProcess && embedWorkers > 1) {
    throw new CliError(
      `--embed-workers needs service processes (not --single-process)\nusage: ${upUsage}`,
      2,
    );
  }
  const dataDir = path.resolve(values.data ?? "data");
  let config: FaceTrackerConfig = configFrom(values);
  const log = createLogger("up");
  const exitWhenDone = values["exit-when-done"] ?? false;

  if (config.cameras.length === 0) {
    const demo = await ensureDemoCamera(path.join(dataDir, "demo"));
    config = { ...config, cameras: [{ id: "demo", url: demo, loop: !exitWhenDone }] };
    console.log(`up: no camera configured: watching the demo camera ${path.relative(process.cwd(), demo)}`);
  }

  // Clips and their spool go under the data directory unless configured elsewhere.
  const defaults = parseConfig({}).storage;
  config = {
    ...config,
    storage: {
      ...config.storage,
      ...(config.storage.endpoint === defaults.endpoint ? { endpoint: path.join(dataDir, "clips") } : {}),
      ...(config.storage.spool_path === defaults.spool_path
        ? { spool_path: path.join(dataDir, "clip-spool") }
        : {}),
    },
  };

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
    api: {
      ...config.api,
      port: await freePort(config.api.port),
      http_port: await freePort(config.api.http_port),
    },
  };
  const consumers: MessageConsumer[] = [];
  let running: RunningServices | undefined;
  let http: Awaited<ReturnType<typeof startServiceHttp>> | undefined;
  let observer: Bus | undefined;
  try {
    // The observer first, so it sees the first events.
    observer = await connectBus(busOptionsFrom(config, "facetracker-up-observer"));
    await ensureStreams(observer.jsm);
    consumers.push(
      await printTrackEvents(observer),
      await printAlerts(observer),
      await printDeliveries(observer),
    );
    running = singleProcess
      ? await startInProcess(config)
      : await startProcesses(config, path.join(dataDir, "run"), embedWorkers, exitWhenDone);
    const services = running;
    // One registry for this process: in --single-process mode the services share it (their series carry
    // the stage label); with service processes each serves its own /metrics (listed at start).
    http = await startServiceHttp({
      port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
      host: "127.0.0.1",
      service: "facetracker",
      registry: sharedMetrics.registry,
      readiness: async () => {
        const checks = await services.readiness();
        return { ready: Object.values(checks).every((v) => v === true), checks };
      },
    });
    for (const line of services.describe()) console.log(`up: ${line}`);
    console.log(
      `up: gRPC API 127.0.0.1:${config.api.port}, health ${http.url}/healthz, metrics ${http.url}/metrics`,
    );
    console.log(
      `up: web page http://127.0.0.1:${config.api.http_port}/ (live view, tracks, alerts, gallery)`,
    );
    console.log(
      `up: alerts are published on ${config.cameras.map((c) => `ft.alerts.${c.id}`).join(", ")} (stream FT_ALERTS); Ctrl-C stops`,
    );

    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
      if (exitWhenDone && observer) void waitUntilDone(services, observer, log).then(resolve);
    });
    console.log("up: stopping");
    return 0;
  } finally {
    for (const c of consumers) await bounded(c.stop(), "observer");
    await running?.stop();
    if (observer) await bounded(observer.close(), "observer connection");
    await http?.close();
    await nats?.stop();
  }
}

/** Metrics of this process: the services' in --single-process mode. */
const sharedMetrics = createServiceMetrics("facetracker");

/** Every service in this process, sharing one gallery (an embedded gallery directory has one writer). */
async function startInProcess(config: FaceTrackerConfig): Promise<RunningServices> {
  const gallery = await openConfiguredGallery(config);
  const started: Started[] = [];
  const stop = async () => {
    for (const s of [...started].reverse()) await bounded(s.service.stop(), s.name);
    for (const s of started) await bounded(s.bus.close(), `${s.name} connection`);
    await gallery.close();
  };
  try {
    for (const [name, factory] of services) {
      const bus = await connectBus(busOptionsFrom(config, `facetracker-${name}`));
      await ensureStreams(bus.jsm);
      const service = await factory({
        bus,
        config,
        logger: quietLogger(name),
        metrics: sharedMetrics,
        gallery,
      });
      started.push({ name, bus, service });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    readiness: async () =>
      Object.fromEntries(
        started.flatMap((s) => Object.entries(s.service.readiness()).map(([k, v]) => [`${s.name}: ${k}`, v])),
      ),
    finished: () => started.find((s) => s.name === "ingest")?.service.finished?.() ?? false,
    describe: () => [
      `services ${started.map((s) => s.name).join(", ")} in this process (pid ${process.pid})`,
    ],
    stop,
  };
}

/**
 * Every service as a child process (`node services/<name>/src/main.ts`) reading the resolved
 * configuration from RUNDIR/config.json. The api service is the embedded gallery's one writer; embed
 * workers follow it read-only. A service that dies is started again (after 1 s, then up to 30 s).
 */
async function startProcesses(
  config: FaceTrackerConfig,
  runDir: string,
  embedWorkers: number,
  exitWhenDone: boolean,
): Promise<RunningServices> {
  await mkdir(runDir, { recursive: true });
  const configFile = path.join(runDir, "config.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const env: Record<string, string> = {
    FACETRACKER_LOG_LEVEL: process.env.FACETRACKER_LOG_LEVEL ?? "warn",
  };
  const plan: { name: ServiceName; instance?: string }[] = [
    { name: "api" },
    ...Array.from({ length: embedWorkers }, (_, i) => ({
      name: "embed" as const,
      ...(embedWorkers > 1 ? { instance: String(i + 1) } : {}),
    })),
    { name: "alert" },
    { name: "clip-recorder" },
    { name: "track" },
    { name: "detect" },
    { name: "restream" },
    { name: "ingest" },
  ];
  const children = new Map<string, ServiceProcess>();
  let stopping = false;
  let ingestDone = false;
  const launch = async (p: (typeof plan)[number], restarts = 0): Promise<ServiceProcess> => {
    const child = await spawnServiceProcess({
      name: p.name,
      ...(p.instance ? { instance: p.instance } : {}),
      configFile,
      env: { ...env, ...(p.name === "ingest" && exitWhenDone ? { FACETRACKER_EXIT_WHEN_DONE: "1" } : {}) },
      onLine: (line) => {
        if (/"level":"(warn|error|fatal)"/.test(line) || !line.startsWith("{")) {
          console.error(`[${p.instance ? `${p.name}-${p.instance}` : p.name}] ${line}`);
        }
      },
    });
    children.set(child.id, child);
    void child.exited.then(async (code) => {
      if (stopping) return;
      if (p.name === "ingest" && exitWhenDone && code === 0) {
        ingestDone = true;
        return;
      }
      const delay = Math.min(1000 * 2 ** restarts, 30_000);
      console.error(`up: service ${child.id} exited (${code}); starting it again in ${delay / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stopping) return;
      await launch(p, restarts + 1).catch((error: Error) =>
        console.error(`up: cannot restart ${child.id}: ${error.message}`),
      );
    });
    return child;
  };
  const stop = async () => {
    stopping = true;
    // Sources first, so each stage drains what the one before it sent.
    for (const child of [...children.values()].reverse()) await bounded(child.stop(10_000), child.id);
  };
  try {
    for (const p of plan) await launch(p);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    readiness: async () => {
      const checks: Record<string, boolean | string> = {};
      for (const child of children.values()) {
        try {
          const response = await fetch(`${child.httpUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
          checks[child.id] = response.ok || (await response.text());
        } catch (error) {
          checks[child.id] =
            (child.id === "ingest" && ingestDone) || `unreachable: ${(error as Error).message}`;
        }
      }
      return checks;
    },
    finished: () => ingestDone,
    describe: () =>
      [...children.values()].map(
        (c) => `service ${c.id} pid ${c.pid}: health ${c.httpUrl}/healthz, metrics ${c.httpUrl}/metrics`,
      ),
    stop,
  };
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

/** What became of each alert's clip and notification ("disabled" ones are not printed). */
async function printDeliveries(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    filterSubject: "ft.deliveries.>",
    deliverPolicy: "new",
    type: AlertDelivery,
    handler: (d) => {
      if (d.clipStatus === "stored") console.log(`CLIP   ${d.camera} ${d.alertId}: ${d.clipUrl}`);
      else if (d.clipStatus === "failed")
        console.log(`CLIP   ${d.camera} ${d.alertId} failed: ${d.clipError}`);
      if (d.notificationStatus === "sent") console.log(`NOTIFY ${d.camera} ${d.alertId}: sent`);
      else if (d.notificationStatus === "failed") {
        console.log(
          `NOTIFY ${d.camera} ${d.alertId} failed after ${d.notificationAttempts} attempts: ${d.notificationError}`,
        );
      }
    },
  });
}

/** Resolves once every camera has ended and every stage has processed what was published. */
async function waitUntilDone(services: RunningServices, observer: Bus, log: Logger): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    if (!services.finished()) continue;
    let pending = 0;
    for (const [stream, durable] of durables) {
      try {
        const info = await observer.jsm.consumers.info(stream, durable);
        pending += info.num_pending + info.num_ack_pending;
      } catch (error) {
        log.warn("consumer info", { stream, durable, error: error as Error });
      }
    }
    if (pending === 0) return;
    log.debug("waiting for the pipeline to drain", { pending });
  }
}
