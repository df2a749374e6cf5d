import path from "node:path";
import { streamOf, subject } from "@facetracker/bus";
import { listenHostOf } from "@facetracker/config";
import { FaceTracker, type FaceTrackingPipeline, NatsStoreInUseError } from "@facetracker/sdk";
import { envInt, startServiceHttp } from "@facetracker/service-kit";
import { CliError } from "../cli-error.ts";
import { configFrom, parse } from "../common.ts";
import { ensureDemoCamera } from "../demo-camera.ts";
import { printAlerts, printAlertUpdates, printDeliveries, printTrackEvents } from "./up-printers.ts";

export const upUsage =
  "facetracker up [--config FILE] [--data DIR] [--exit-when-done] [--embed-workers N] [--single-process]";

/**
 * The embedded run: a nats-server child (JetStream, store under DATA/nats; restarted when it dies; a data
 * directory another live run uses is refused) unless NATS_URL or nats.url is set, then every pipeline service, each as its own process (as in a deployment: the stages use every
 * core; `--embed-workers N` starts N embed workers), or all in this process with --single-process (each
 * with its own NATS connection). One HTTP server for /healthz (every service ready) and a live print of
 * track events and alerts. Without a configured camera it watches a demo video generated from the
 * registry sample photos. Ctrl-C (or the end of every file camera, with --exit-when-done) stops
 * everything; the service processes also stop by themselves if this one dies. The run itself is the
 * library's FaceTracker.startFaceTrackingPipeline; this command adds the demo camera and the printing.
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
  let config = configFrom(values);
  const exitWhenDone = values["exit-when-done"] ?? false;

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
      embedWorkers,
      exitWhenDone,
      onLog: ({ level, message, service }) => {
        if (service) console.error(`[${service}] ${message}`);
        else if (level === "warn") console.error(`up: ${message}`);
        else console.log(`up: ${message}`);
      },
    }).catch((error: unknown) => {
      throw error instanceof NatsStoreInUseError ? new CliError(error.message) : error;
    });
    const running = pipeline;
    const printFailed = (error: Error) => console.error(`up: printing events: ${error.message}`);
    printing.push(
      printTrackEvents(running.trackEvents()).catch(printFailed),
      printAlerts(running.alerts()).catch(printFailed),
      printAlertUpdates(running.alertUpdates()).catch(printFailed),
      printDeliveries(running.deliveries()).catch(printFailed),
    );
    // This process's registry: with --single-process the services' (their series carry the stage label);
    // with service processes each serves its own /metrics (listed at start).
    http = await startServiceHttp({
      port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
      host: listenHostOf(running.config, "metrics"),
      service: "facetracker",
      registry: running.metrics,
      readiness: () => running.readiness(),
    });
    const { api, cameras } = running.config;
    for (const line of running.describe()) console.log(`up: ${line}`);
    // The addresses actually bound (each server's own address()), not the configured ones.
    console.log(
      `up: gRPC API ${running.grpcAddress}, health http://${http.address}/healthz, metrics http://${http.address}/metrics`,
    );
    console.log(`up: web page ${running.webUrl} (live view, tracks, alerts, gallery)`);
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
