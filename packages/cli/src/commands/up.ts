import path from "node:path";
import { streamOf, subject } from "@facetracker/bus";
import { listenHostOf } from "@facetracker/config";
import {
  DEFAULT_LOG_FILES,
  DEFAULT_LOG_MAX_BYTES,
  FaceTracker,
  type FaceTrackingPipeline,
  MAX_INSTANCES,
  NatsStoreInUseError,
  PortInUseError,
  parseServiceInstances,
  resolveServiceInstances,
  type ServiceInstances,
  servicesRunAsMany,
} from "@facetracker/sdk";
import { envInt, startServiceHttp } from "@facetracker/service-kit";
import { CliError } from "../cli-error.ts";
import { configAndKeysFrom, type OptionTable, parse } from "../common.ts";
import { ensureDemoCamera } from "../demo-camera.ts";
import { printAlerts, printAlertUpdates, printDeliveries, printTrackEvents } from "./up-printers.ts";

export const upUsage =
  "facetracker up [--config FILE] [--db DIR] [--data DIR] [--exit-when-done] [--instances SERVICE=N,...] [--embed-workers N] [--single-process]";

export const upOptions = {
  data: {
    type: "string",
    arg: "DIR",
    help: "where the run keeps its state: NATS store, clips, services' logs (DIR/logs), demo camera",
    defaultText: "./data",
  },
  "exit-when-done": {
    type: "boolean",
    help: "stop once every file camera ended (the demo camera then plays once; one ingest instance)",
  },
  instances: {
    type: "string",
    arg: "SERVICE=N,...",
    help: `processes of each service, 1 to ${MAX_INSTANCES}, several only of ${servicesRunAsMany().join(", ")}; instances of a per-camera service split the cameras`,
    defaultText: "1 each",
  },
  "embed-workers": {
    type: "string",
    arg: "N",
    help: "embed worker processes (1 to 64): the same as --instances embed=N",
    defaultText: "1",
  },
  "single-process": { type: "boolean", help: "every service in this process instead of one process each" },
  "log-size": {
    type: "string",
    arg: "MIB",
    help: "a service's log file is rotated at this size (DIR/logs/SERVICE.log, .1, .2 …)",
    defaultText: String(DEFAULT_LOG_MAX_BYTES / 2 ** 20),
  },
  "log-files": {
    type: "string",
    arg: "N",
    help: "rotated log files kept per service",
    defaultText: String(DEFAULT_LOG_FILES),
  },
} as const satisfies OptionTable;

/**
 * `--instances SERVICE=N,...` with `--embed-workers N` (given: `embedWorkers`) as embed=N: the instances
 * of each service. A usage error (exit code 2) names what is wrong: the syntax, an unknown service, a
 * count out of range, several of a service that runs as one, or the two options disagreeing on embed.
 */
function instancesOption(text: string | undefined, embedWorkers: number | undefined): ServiceInstances {
  try {
    const given = text === undefined ? {} : parseServiceInstances(text);
    if (embedWorkers !== undefined && given.embed !== undefined && given.embed !== embedWorkers) {
      throw new RangeError(`embed=${given.embed} disagrees with --embed-workers ${embedWorkers}: give one`);
    }
    const resolved = resolveServiceInstances(given, embedWorkers);
    return Object.fromEntries(Object.entries(resolved).filter(([, count]) => count > 1));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CliError(`--instances: ${error.message}\nusage: ${upUsage}`, 2);
  }
}

/**
 * The embedded run: a nats-server child (JetStream, store under DATA/nats; restarted when it dies; a data
 * directory another live run uses is refused) unless NATS_URL or nats.url is set, then every pipeline service, each as its own process (as in a deployment: the stages use every
 * core; `--instances track=2,ingest=2` starts several processes of a service that may run as several,
 * `--embed-workers N` N embed workers), or all in this process with --single-process (each
 * with its own NATS connection). One HTTP server for /healthz (every service ready) and /metrics (every service's), and a live print of
 * track events and alerts. Without a configured camera it watches a demo video generated from the
 * registry sample photos. Ctrl-C (or the end of every file camera, with --exit-when-done) stops
 * everything; the service processes also stop by themselves if this one dies. The run itself is the
 * library's FaceTracker.startFaceTrackingPipeline; this command adds the demo camera and the printing.
 */
export async function upCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, upOptions, upUsage);
  if (positionals.length)
    throw new CliError(`up takes no arguments, got '${positionals[0]}'\nusage: ${upUsage}`, 2);
  const logMaxMib = Number(values["log-size"] ?? DEFAULT_LOG_MAX_BYTES / 2 ** 20);
  if (!(Number.isFinite(logMaxMib) && logMaxMib > 0 && logMaxMib <= 1024))
    throw new CliError(
      `--log-size: expected MiB from 0 to 1024, got '${values["log-size"]}'\nusage: ${upUsage}`,
      2,
    );
  const logFiles = Number(values["log-files"] ?? DEFAULT_LOG_FILES);
  if (!(Number.isInteger(logFiles) && logFiles >= 1 && logFiles <= 100))
    throw new CliError(
      `--log-files: expected a whole number from 1 to 100, got '${values["log-files"]}'\nusage: ${upUsage}`,
      2,
    );
  const embedWorkers = Number(values["embed-workers"] ?? 1);
  if (!Number.isInteger(embedWorkers) || embedWorkers < 1 || embedWorkers > 64) {
    throw new CliError(
      `--embed-workers must be a whole number from 1 to 64, got ${JSON.stringify(values["embed-workers"])}\nusage: ${upUsage}`,
      2,
    );
  }
  const instances = instancesOption(
    values.instances,
    values["embed-workers"] === undefined ? undefined : embedWorkers,
  );
  const singleProcess = values["single-process"] ?? false;
  if (singleProcess && embedWorkers > 1) {
    throw new CliError(
      `--embed-workers needs service processes (not --single-process)\nusage: ${upUsage}`,
      2,
    );
  }
  const several = Object.entries(instances).filter(([, count]) => count > 1);
  if (singleProcess && several.length) {
    throw new CliError(
      `--instances ${several.map(([name, count]) => `${name}=${count}`).join(",")} needs service processes (not --single-process)\nusage: ${upUsage}`,
      2,
    );
  }
  const exitWhenDone = values["exit-when-done"] ?? false;
  if (exitWhenDone && (instances.ingest ?? 1) > 1) {
    // An ingest instance whose file cameras ended exits and lets their leases go: another would take
    // those cameras and play the files again.
    throw new CliError(
      `--exit-when-done runs one ingest instance (not --instances ingest=${instances.ingest})\nusage: ${upUsage}`,
      2,
    );
  }
  const dataDir = path.resolve(values.data ?? "data");
  const loaded = configAndKeysFrom(values);
  let config = loaded.config;

  if (config.cameras.length === 0) {
    const demo = await ensureDemoCamera(path.join(dataDir, "demo"));
    config = { ...config, cameras: [{ id: "demo", url: demo, loop: !exitWhenDone }] };
    console.log(`up: no camera configured: watching the demo camera ${path.relative(process.cwd(), demo)}`);
  }

  let pipeline: FaceTrackingPipeline | undefined;
  let http: Awaited<ReturnType<typeof startServiceHttp>> | undefined;
  const printing: Promise<void>[] = [];
  try {
    pipeline = await FaceTracker.startFaceTrackingPipeline({
      config,
      dataDir,
      natsUrl: config.nats.url ?? (process.env.NATS_URL || undefined),
      singleProcess,
      instances,
      exitWhenDone,
      logs: { maxBytes: Math.round(logMaxMib * 2 ** 20), files: logFiles },
      // A port the operator set (file, environment) that is taken is an error; a default one moves.
      defaultPorts: { port: !loaded.sets("api.port"), http_port: !loaded.sets("api.http_port") },
      onLog: ({ level, message, service }) => {
        if (service) console.error(`[${service}] ${message}`);
        else if (level === "warn") console.error(`up: ${message}`);
        else console.log(`up: ${message}`);
      },
    }).catch((error: unknown) => {
      throw error instanceof NatsStoreInUseError || error instanceof PortInUseError
        ? new CliError(error.message)
        : error;
    });
    const running = pipeline;
    const printFailed = (error: Error) => console.error(`up: printing events: ${error.message}`);
    printing.push(
      printTrackEvents(running.trackEvents()).catch(printFailed),
      printAlerts(running.alerts()).catch(printFailed),
      printAlertUpdates(running.alertUpdates()).catch(printFailed),
      printDeliveries(running.deliveries()).catch(printFailed),
    );
    // The aggregate: this process's metrics and every service's (each process's /metrics read on every
    // scrape, or the in-process registries), labelled by service; each service still serves its own too.
    http = await startServiceHttp({
      port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
      host: listenHostOf(running.config, "metrics"),
      service: "facetracker",
      registry: { metrics: () => running.allMetrics(), contentType: running.metrics.contentType },
      readiness: () => running.readiness(),
    });
    const { api, cameras } = running.config;
    for (const line of running.describe()) console.log(`up: ${line}`);
    // The addresses actually bound (each server's own address()), not the configured ones.
    console.log(
      `up: gRPC API ${running.grpcAddress}, health http://${http.address}/healthz, metrics http://${http.address}/metrics`,
    );
    console.log(`up: web page ${running.webUrl} (live view, tracks, alerts, gallery): open it in a browser`);
    console.log(
      `up: services' logs in ${path.relative(process.cwd(), running.logDir) || "."} ('facetracker logs${values.data === undefined ? "" : ` --data ${values.data}`} [SERVICE] [-f]' reads them)`,
    );
    if (!api.token) {
      console.log(
        "up: no api.token is set: the gRPC API and the web page answer anyone who can reach this machine (set one, e.g. FACETRACKER_API__TOKEN)",
      );
    }
    console.log(
      `up: alerts are published on ${cameras.map((c) => subject("alerts", c.id)).join(", ")} (stream ${streamOf("alerts")}); Ctrl-C stops`,
    );

    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
      process.once("SIGHUP", resolve); // the terminal closed: nats-server, in its own group, did not get it
      if (exitWhenDone) void running.done().then(resolve);
    });
    console.log("up: stopping");
    return 0;
  } finally {
    await pipeline?.stop();
    // The iterators end with stop(); their last lines are printed before the health server closes.
    const settle = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([Promise.all(printing), settle]);
    await http?.close();
  }
}
