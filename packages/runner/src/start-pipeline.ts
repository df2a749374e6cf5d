/**
 * startPipeline: the real-time pipeline on one machine, as `facetracker up` and
 * FaceTracker.startFaceTrackingPipeline run it.
 */

import path from "node:path";
import { connectBus, typedBus } from "@facetracker/bus";
import { type FaceTrackerConfig, listenHostOf, parseConfig } from "@facetracker/config";
import type { Alert, AlertDelivery, AlertUpdate, ClipEvent, TrackEvent } from "@facetracker/proto";
import type { ServiceName } from "@facetracker/service-host";
import { busOptionsFrom } from "@facetracker/service-host";
import { createServiceMetrics, type ServiceMetrics } from "@facetracker/service-kit";
import { type BusCredentials, prepareBusCredentials } from "./bus-credentials.ts";
import type { BusUser } from "./bus-permissions.ts";
import { startChildServices } from "./child-services.ts";
import { untilDrained } from "./drain-watch.ts";
import { openEventFeeds } from "./event-feeds.ts";
import { claimPort, freePort, PortInUseError, portHolder } from "./free-port.ts";
import type { HostedServices } from "./hosted-services.ts";
import { startInProcess } from "./in-process-services.ts";
import { type OwnNats, startOwnNats } from "./own-nats.ts";
import { bounded, type PipelineLog, stderrWarnings } from "./pipeline-log.ts";
import { pipelineMetricsText } from "./pipeline-metrics.ts";
import { resolveServiceInstances, type ServiceInstances } from "./service-instances.ts";
import { DEFAULT_LOG_FILES, DEFAULT_LOG_MAX_BYTES, LOG_DIR } from "./service-logs.ts";

const DEFAULTS = parseConfig({});

/**
 * The port to give a listener: the configured one, which must be free (PortInUseError); only a default
 * (`movable`: not set by the operator) that is taken moves to a free port, with a warning naming the holder
 * and the key to set.
 */
async function portOf(
  wanted: number,
  movable: boolean,
  host: string,
  key: string,
  log: PipelineLog,
): Promise<number> {
  try {
    return await claimPort(wanted, host, key);
  } catch (error) {
    if (!(error instanceof PortInUseError) || !movable) throw error;
    const port = await freePort(0, host);
    const holder = portHolder(wanted);
    log({
      level: "warn",
      message: `${key} ${wanted} (the default) is taken${holder ? ` by ${holder}` : ""}: using ${port} instead (set ${key} to choose one)`,
    });
    return port;
  }
}

export interface PipelineOptions {
  /** The configuration: cameras, gallery, alerts, notifications, storage, ports. */
  config: FaceTrackerConfig;
  /**
   * Which of the ports are defaults the operator did not set (`api.port`, `api.http_port`): such a port
   * that is taken moves to a free one with a warning; a port the operator set that is taken is a
   * PortInUseError. Default: a port equal to the built-in default counts as not set.
   */
  defaultPorts?: { port?: boolean; http_port?: boolean };
  /**
   * Where the run keeps its state (default "data"): nats/ (the private nats-server's JetStream store),
   * nats-auth.json and nats-server.conf (its generated bus users, 0600),
   * clips/ and clip-spool/ (unless `config.storage` names other places), notify-state/ (unless
   * `alerts.notification_state_path` names another), run/ (the services' configuration).
   */
  dataDir?: string;
  /** Attach to this NATS (default: `config.nats.url`; neither: start a private nats-server). */
  natsUrl?: string;
  /** Every service in this process instead of one process each (default false). */
  singleProcess?: boolean;
  /** Embed workers: the same as `instances.embed` (an error when both are given and differ). */
  embedWorkers?: number;
  /**
   * Processes of each service (default 1 each; 1 to 64, more than one only of a service the catalog marks
   * `instances: "many"`, and only with service processes, not `singleProcess`: else a RangeError naming
   * it). Instance `i` is `SERVICE-i` in describe(), readiness, its log file and its metrics (`worker="i"`),
   * with the instance ID `<hostname>-SERVICE-i` (its camera leases) and, for the alert service and the
   * clip recorder, its own notification state and spool (`<path>/<instance ID>`, unless the configured path
   * has an `{instance}` placeholder).
   */
  instances?: ServiceInstances;
  /**
   * Finite run: ingest stops once every file camera ended, so that done() resolves (with service
   * processes, done() needs it).
   */
  exitWhenDone?: boolean;
  /** What the runner reports (default: warnings on stderr). */
  onLog?: PipelineLog;
  /**
   * Each service's JSON log lines, all levels from FACETRACKER_LOG_LEVEL (default info) up, go to
   * `dir/SERVICE.log` (default DATA/logs), rotated at `maxBytes` (default 10 MiB) into SERVICE.log.1 …
   * keeping `files` rotated files (default 3).
   */
  logs?: { dir?: string; maxBytes?: number; files?: number };
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
  /** Where each service's JSON logs are written (SERVICE.log, rotated by size). */
  readonly logDir: string;
  /** Metrics of this process itself (its process metrics, service="facetracker"). */
  readonly metrics: ServiceMetrics["registry"];
  /**
   * The pipeline's metrics in one Prometheus exposition: this process's and every service's (each service
   * process's /metrics, read with a time limit, or the in-process services' registries), each series
   * labelled with its service (and worker), with facetracker_scrape_up{service} saying which answered.
   * What `facetracker up` serves at its /metrics.
   */
  allMetrics(): Promise<string>;
  /** Where each service runs: process ids and health/metrics URLs. */
  describe(): string[];
  /** Track events of every camera since the pipeline started; ends with stop(). */
  trackEvents(): AsyncGenerator<TrackEvent, void, undefined>;
  /** Alerts since the pipeline started; ends with stop(). */
  alerts(): AsyncGenerator<Alert, void, undefined>;
  /**
   * "Seen again" updates since the pipeline started: tracks that were the person of an earlier alert (one
   * alert per person), published instead of a new alert; ends with stop().
   */
  alertUpdates(): AsyncGenerator<AlertUpdate, void, undefined>;
  /** Alert clips recorded (or failed) since the pipeline started; ends with stop(). */
  clips(): AsyncGenerator<ClipEvent, void, undefined>;
  /** What became of each alert's notification and clip, since the pipeline started; ends with stop(). */
  deliveries(): AsyncGenerator<AlertDelivery, void, undefined>;
  /**
   * Readiness of every service (as /healthz reports it), of the private nats-server ("nats-server": down
   * while it is being restarted) and of this process's own connection to the bus ("bus").
   */
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
 * Starts the pipeline: a private nats-server (JetStream store under DATA/nats, port 4222 when free; a
 * generated user per service with only its own subjects, the iterators on a read-only one;
 * restarted on the same port and store when it dies; one left running by a killed run on the same store
 * is stopped first; a store another live run holds is refused with NatsStoreInUseError) unless a NATS URL
 * is given, then every
 * service of the catalog, each as a supervised child process (restarted with backoff) or all in this
 * process. The gRPC API and the web page take their configured ports (0: free ones); a taken port is a
 * PortInUseError naming its holder, except the built-in defaults (50051, 8080), which move to a free port
 * with a warning that says so. Resolves once every service is ready.
 */
export async function startPipeline(options: PipelineOptions): Promise<FaceTrackingPipeline> {
  const log = options.onLog ?? stderrWarnings;
  const instances = resolveServiceInstances(options.instances, options.embedWorkers);
  const singleProcess = options.singleProcess ?? false;
  const several = Object.entries(instances).filter(([, count]) => count > 1);
  if (singleProcess && several.length) {
    throw new RangeError(
      `several instances (${several.map(([name, count]) => `${name}=${count}`).join(",")}) need service processes (not singleProcess)`,
    );
  }
  const dataDir = path.resolve(options.dataDir ?? "data");
  let config = underDataDir(options.config, dataDir);
  // Ports first, before anything starts: a configured one that is taken is an error naming its holder.
  const ports = {
    port: await portOf(
      config.api.port,
      options.defaultPorts?.port ?? config.api.port === DEFAULTS.api.port,
      listenHostOf(config, "api"),
      "api.port",
      log,
    ),
    http_port: await portOf(
      config.api.http_port,
      options.defaultPorts?.http_port ?? config.api.http_port === DEFAULTS.api.http_port,
      listenHostOf(config, "web"),
      "api.http_port",
      log,
    ),
  };
  const logDir = path.resolve(options.logs?.dir ?? path.join(dataDir, LOG_DIR));
  const logs = {
    dir: logDir,
    maxBytes: options.logs?.maxBytes ?? DEFAULT_LOG_MAX_BYTES,
    files: options.logs?.files ?? DEFAULT_LOG_FILES,
  };

  let nats: OwnNats | undefined;
  let credentials: BusCredentials | undefined;
  let url = options.natsUrl || config.nats.url;
  if (!url) {
    // Our own server: a user per service with its permissions (bus-permissions.ts), nothing anonymous.
    credentials = await prepareBusCredentials(dataDir);
    nats = await startOwnNats(path.join(dataDir, "nats"), log, credentials.configFile);
    url = nats.url;
  }
  config = {
    ...config,
    nats: credentials ? { url } : { ...config.nats, url },
    api: { ...config.api, ...ports },
  };
  const metrics = createServiceMetrics("facetracker");
  let observer: Awaited<ReturnType<typeof connectBus>> | undefined;
  let services: HostedServices | undefined;
  let busDown: Date | undefined; // since when this process's connection to the bus is down
  try {
    // The observer first: the iterators start where the streams stood before any service ran.
    const asUser = (user: BusUser): FaceTrackerConfig =>
      credentials ? { ...config, nats: { ...config.nats, ...credentials.of(user) } } : config;
    observer = await connectBus({
      ...busOptionsFrom(asUser("observer"), "facetracker-pipeline-observer"),
      onStatus: (status) => {
        if (status.type === "disconnect") busDown ??= new Date();
        if (status.type === "reconnect") busDown = undefined;
      },
    });
    const observing = typedBus(observer);
    await observing.ensureStreams();
    const feeds = await openEventFeeds(observing);
    services = singleProcess
      ? await startInProcess(config, log, asUser, logs)
      : await startChildServices(
          config,
          {
            runDir: path.join(dataDir, "run"),
            instances,
            exitWhenDone: options.exitWhenDone ?? false,
            logs,
            ...(credentials ? { busUser: (name: ServiceName) => credentials.of(name) } : {}),
          },
          log,
        );
    const running = services;
    const connection = observer;
    const stopped = new AbortController();
    let drained: Promise<void> | undefined;
    let stopping: Promise<void> | undefined;
    // What the api and the web page actually bound (their own report), not what was asked for.
    const listening = running.listening();
    return {
      natsUrl: url,
      grpcAddress: listening.grpc ?? "none (the api service is not listening: see its log)",
      webUrl: listening.web ?? "none (the web page is not served: see the web service's warnings)",
      config,
      logDir,
      metrics: metrics.registry,
      allMetrics: async () => {
        const [own, readings] = await Promise.all([metrics.registry.metrics(), running.metrics()]);
        return pipelineMetricsText(own, readings);
      },
      describe: () => running.describe(),
      trackEvents: () => feeds.follow("tracks"),
      alerts: () => feeds.follow("alerts"),
      alertUpdates: () => feeds.follow("alert_updates"),
      clips: () => feeds.follow("clips"),
      deliveries: () => feeds.follow("deliveries"),
      readiness: async () => {
        const checks: Record<string, boolean | string> = {
          ...(nats ? { "nats-server": nats.health() } : {}),
          bus: busDown ? `disconnected from ${url} since ${busDown.toISOString()}` : true,
          ...(await running.readiness()),
        };
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

/** Clips, their spool and the notification state under the data directory, unless configured elsewhere. */
function underDataDir(config: FaceTrackerConfig, dataDir: string): FaceTrackerConfig {
  const defaults = parseConfig({}).storage;
  const notifyState = parseConfig({}).alerts.notification_state_path;
  return {
    ...config,
    alerts: {
      ...config.alerts,
      ...(config.alerts.notification_state_path === notifyState
        ? { notification_state_path: path.join(dataDir, "notify-state") }
        : {}),
    },
    storage: {
      ...config.storage,
      ...(config.storage.endpoint === defaults.endpoint ? { endpoint: path.join(dataDir, "clips") } : {}),
      ...(config.storage.spool_path === defaults.spool_path
        ? { spool_path: path.join(dataDir, "clip-spool") }
        : {}),
    },
  };
}
