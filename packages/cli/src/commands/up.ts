import { readFile, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import {
  type Bus,
  connectBus,
  ensureStreams,
  type MessageConsumer,
  type NatsServerChild,
  startNatsServer,
} from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import { busOptionsFrom } from "@facetracker/service-host";
import { createLogger, envInt, type Logger, startServiceHttp } from "@facetracker/service-kit";
import { CliError } from "../cli-error.ts";
import { configFrom, parse } from "../common.ts";
import { ensureDemoCamera } from "../demo-camera.ts";
import { printAlerts, printDeliveries, printTrackEvents } from "./up-printers.ts";
import {
  bounded,
  type RunningServices,
  sharedMetrics,
  startInProcess,
  startProcesses,
} from "./up-services.ts";

export const upUsage =
  "facetracker up [--config FILE] [--data DIR] [--exit-when-done] [--embed-workers N] [--single-process]";

/** The durable consumers that must be caught up before a finite run is over. */
const durables: [string, string][] = [
  ["FT_FRAMES", "detect"],
  ["FT_DETECTIONS", "track"],
  ["FT_TRACKS", "alert"],
  ["FT_ALERTS", "notify"],
  ["FT_ALERTS", "clip-recorder"],
];

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
    if (!config.api.token) {
      console.log(
        "up: no api.token is set: the gRPC API and the web page answer anyone who can reach this machine (set one, e.g. FACETRACKER_API__TOKEN)",
      );
    }
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
  await stopStaleNats(storeDir);
  let nats: NatsServerChild;
  try {
    nats = await startNatsServer({ storeDir, port: 4222 });
  } catch {
    nats = await startNatsServer({ storeDir });
  }
  await writeFile(path.join(storeDir, PID_FILE), `${nats.pid}\n`);
  return nats;
}

/** Where `up` notes the pid of its nats-server, to find it again if `up` was killed without stopping it. */
const PID_FILE = "facetracker-up.pid";

/**
 * A nats-server left running on this store by an `up` that was killed (SIGKILL stops the services, which
 * watch their parent, but not nats-server) is stopped first: two servers must never share a store.
 */
async function stopStaleNats(storeDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(storeDir, PID_FILE), "utf8")).trim());
  } catch {
    return;
  }
  let cmdline: string;
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
  } catch {
    return; // not running any more
  }
  if (!cmdline.includes("nats-server") || !cmdline.includes(storeDir)) return;
  console.log(`up: stopping nats-server pid ${pid}, left running on ${storeDir} by an earlier run`);
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  process.kill(pid, "SIGKILL");
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
