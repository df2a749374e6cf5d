/**
 * startPipeline: the real-time pipeline on one machine, as `facetracker up` and
 * FaceTracker.startFaceTrackingPipeline run it.
 */

import path from "node:path";
import { connectBus, type NatsServerChild, typedBus } from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import type { Alert, AlertDelivery, ClipEvent, TrackEvent } from "@facetracker/proto";
import { busOptionsFrom } from "@facetracker/service-host";
import { createServiceMetrics, type ServiceMetrics } from "@facetracker/service-kit";
import { startChildServices } from "./child-services.ts";
import { untilDrained } from "./drain-watch.ts";
import { openEventFeeds } from "./event-feeds.ts";
import { freePort } from "./free-port.ts";
import type { HostedServices } from "./hosted-services.ts";
import { startInProcess } from "./in-process-services.ts";
import { startOwnNats } from "./own-nats.ts";
import { bounded, type PipelineLog, stderrWarnings } from "./pipeline-log.ts";

export interface PipelineOptions {
  /** The configuration: cameras, gallery, alerts, notifications, storage, ports. */
  config: FaceTrackerConfig;
  /**
   * Where the run keeps its state (default "data"): nats/ (the private nats-server's JetStream store),
   * clips/ and clip-spool/ (unless `config.storage` names other places), run/ (the services' configuration).
   */
  dataDir?: string;
  /** Attach to this NATS (default: `config.nats.url`; neither: start a private nats-server). */
  natsUrl?: string;
  /** Every service in this process instead of one process each (default false). */
  singleProcess?: boolean;
  /** Embed workers (default 1; more needs service processes). */
  embedWorkers?: number;
  /**
   * Finite run: ingest stops once every file camera ended, so that done() resolves (with service
   * processes, done() needs it).
   */
  exitWhenDone?: boolean;
  /** What the runner reports (default: warnings on stderr). */
  onLog?: PipelineLog;
}

/** Whether every service is ready, and each one's checks. */
export interface PipelineReadiness {
  ready: boolean;
  checks: Record<string, boolean | string>;
}

/** A running pipeline. */
export interface FaceTrackingPipeline {
  /** The NATS the services use (the private server's, or the one attached to). */
  readonly natsUrl: string;
  /** The gRPC API, host:port. */
  readonly grpcAddress: string;
  /** The operators' web page (live view, tracks, alerts, gallery). */
  readonly webUrl: string;
  /** The configuration the services run with (NATS URL, free ports, clip storage under the data directory). */
  readonly config: FaceTrackerConfig;
  /** Metrics of this process (with `singleProcess`, the services'); each service process serves its own. */
  readonly metrics: ServiceMetrics["registry"];
  /** Where each service runs: process ids and health/metrics URLs. */
  describe(): string[];
  /** Track events of every camera since the pipeline started; ends with stop(). */
  trackEvents(): AsyncGenerator<TrackEvent, void, undefined>;
  /** Alerts since the pipeline started; ends with stop(). */
  alerts(): AsyncGenerator<Alert, void, undefined>;
  /** Alert clips recorded (or failed) since the pipeline started; ends with stop(). */
  clips(): AsyncGenerator<ClipEvent, void, undefined>;
  /** What became of each alert's notification and clip, since the pipeline started; ends with stop(). */
  deliveries(): AsyncGenerator<AlertDelivery, void, undefined>;
  /** Readiness of every service (as /healthz reports it). */
  readiness(): Promise<PipelineReadiness>;
  /**
   * Resolves once every file camera ended and every stage processed what was published (see
   * `exitWhenDone`), or once stop() was called.
   */
  done(): Promise<void>;
  /** Drains and stops the services, ends the iterators, stops the private nats-server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the pipeline: a private nats-server (JetStream store under DATA/nats, port 4222 when free; one
 * left running by a killed run on the same store is stopped first) unless a NATS URL is given, then every
 * service of the catalog, each as a supervised child process (restarted with backoff) or all in this
 * process. The gRPC API and the web page take their configured ports when free, else free ones. Resolves
 * once every service is ready.
 */
export async function startPipeline(options: PipelineOptions): Promise<FaceTrackingPipeline> {
  const log = options.onLog ?? stderrWarnings;
  const embedWorkers = options.embedWorkers ?? 1;
  const singleProcess = options.singleProcess ?? false;
  if (!Number.isInteger(embedWorkers) || embedWorkers < 1 || embedWorkers > 64) {
    throw new RangeError(`embedWorkers must be a whole number from 1 to 64, got ${embedWorkers}`);
  }
  if (singleProcess && embedWorkers > 1) {
    throw new RangeError("embedWorkers above 1 needs service processes (not singleProcess)");
  }
  const dataDir = path.resolve(options.dataDir ?? "data");
  let config = underDataDir(options.config, dataDir);

  let nats: NatsServerChild | undefined;
  let url = options.natsUrl || config.nats.url;
  if (!url) {
    nats = await startOwnNats(path.join(dataDir, "nats"), log);
    url = nats.url;
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
  const metrics = createServiceMetrics("facetracker");
  let observer: Awaited<ReturnType<typeof connectBus>> | undefined;
  let services: HostedServices | undefined;
  try {
    // The observer first: the iterators start where the streams stood before any service ran.
    observer = await connectBus(busOptionsFrom(config, "facetracker-pipeline-observer"));
    const observing = typedBus(observer);
    await observing.ensureStreams();
    const feeds = await openEventFeeds(observing);
    services = singleProcess
      ? await startInProcess(config, metrics, log)
      : await startChildServices(
          config,
          { runDir: path.join(dataDir, "run"), embedWorkers, exitWhenDone: options.exitWhenDone ?? false },
          log,
        );
    const running = services;
    const connection = observer;
    const stopped = new AbortController();
    let drained: Promise<void> | undefined;
    let stopping: Promise<void> | undefined;
    return {
      natsUrl: url,
      grpcAddress: `127.0.0.1:${config.api.port}`,
      webUrl: `http://127.0.0.1:${config.api.http_port}/`,
      config,
      metrics: metrics.registry,
      describe: () => running.describe(),
      trackEvents: () => feeds.follow("tracks"),
      alerts: () => feeds.follow("alerts"),
      clips: () => feeds.follow("clips"),
      deliveries: () => feeds.follow("deliveries"),
      readiness: async () => {
        const checks = await running.readiness();
        return { ready: Object.values(checks).every((v) => v === true), checks };
      },
      done: () => {
        drained ??= untilDrained(running, observing, log, stopped.signal);
        return drained;
      },
      stop: () => {
        stopping ??= (async () => {
          stopped.abort();
          await running.stop();
          await bounded(feeds.close(), "event iterators", log);
          await bounded(connection.close(), "observer connection", log);
          await nats?.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await services?.stop();
    if (observer) await bounded(observer.close(), "observer connection", log);
    await nats?.stop();
    throw error;
  }
}

/** Clips and their spool under the data directory, unless the configuration puts them elsewhere. */
function underDataDir(config: FaceTrackerConfig, dataDir: string): FaceTrackerConfig {
  const defaults = parseConfig({}).storage;
  return {
    ...config,
    storage: {
      ...config.storage,
      ...(config.storage.endpoint === defaults.endpoint ? { endpoint: path.join(dataDir, "clips") } : {}),
      ...(config.storage.spool_path === defaults.spool_path
        ? { spool_path: path.join(dataDir, "clip-spool") }
        : {}),
    },
  };
}
