/**
 * Every pipeline service as a child process (`node services/<name>/src/main.ts`), as in a deployment: the
 * stages use every core.
 */

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type FaceTrackerConfig, listenHostOf } from "@facetracker/config";
import {
  SERVICES,
  type ServiceName,
  type ServiceProcess,
  spawnServiceProcess,
} from "@facetracker/service-host";
import type { HostedServices } from "./hosted-services.ts";
import { bounded, type PipelineLog } from "./pipeline-log.ts";
import { scrapeMetrics } from "./pipeline-metrics.ts";
import { ownStateEnv, type ServiceInstances, serviceInstanceId } from "./service-instances.ts";
import { RotatingLogFile } from "./service-logs.ts";

/** A service that ran this long before dying is started again after the first delay (1 s). */
const STABLE_MS = 10_000;

/** One process of the plan: a service, or one instance of a service run as several. */
interface PlannedService {
  name: ServiceName;
  /** The instance's number ("1", "2" …) of a service run as several. */
  instance?: string;
  /** `name`, or `name-instance`: its log file, its readiness check, its line in describe(). */
  id: string;
  /** Its own environment: FACETRACKER_INSTANCE and its own local state (ownStateEnv). */
  env: Record<string, string>;
}

export interface ChildServicesOptions {
  /** Where the resolved configuration is written (RUNDIR/config.json) for the children to load. */
  runDir: string;
  /**
   * Processes to start of each service (default 1 each; checked by resolveServiceInstances). Instance `i`
   * of a service run as several is `SERVICE-i` (its log file `SERVICE-i.log`, its metrics labelled
   * `worker="i"`), with FACETRACKER_INSTANCE `<hostname>-SERVICE-i` (serviceInstanceId) and its own local
   * state (ownStateEnv), the same across its restarts.
   */
  instances?: ServiceInstances;
  /** Ingest stops once every file camera ended (FACETRACKER_EXIT_WHEN_DONE), and is not started again. */
  exitWhenDone?: boolean;
  /**
   * The bus user of each service, given to it in its environment (FACETRACKER_NATS__USER/PASS, never on
   * its command line nor in the shared configuration file). Default: the configuration's.
   */
  busUser?: (name: ServiceName) => { user: string; pass: string };
  /** Each service's log lines to `dir/ID.log` (RotatingLogFile); default: kept nowhere. */
  logs?: { dir: string; maxBytes: number; files: number };
}

/**
 * Starts the catalog's services (service-host) in its start order, reading the resolved configuration from
 * RUNDIR/config.json. The api service is the embedded gallery's one writer; the web page and the embed
 * workers follow it read-only. A service that dies is started again (after 1 s, then up to 30 s, for as
 * long as the pipeline runs, also when a start fails). Their
 * warnings and errors (and any line that is not a JSON log line) go to `log`.
 */
export async function startChildServices(
  config: FaceTrackerConfig,
  { runDir, instances = {}, exitWhenDone = false, busUser, logs }: ChildServicesOptions,
  log: PipelineLog,
): Promise<HostedServices> {
  await mkdir(runDir, { recursive: true });
  const configFile = path.join(runDir, "config.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // With log files, the services log from info up (only their warnings are passed on to `log`).
  const env: Record<string, string> = {
    FACETRACKER_LOG_LEVEL: process.env.FACETRACKER_LOG_LEVEL ?? (logs ? "info" : "warn"),
  };
  const logFiles = new Map<string, RotatingLogFile>();
  /** The log file of a service id (one across its restarts). */
  const logFileOf = (id: string) => {
    if (!logs) return undefined;
    let file = logFiles.get(id);
    if (!file) {
      file = new RotatingLogFile(path.join(logs.dir, `${id}.log`), logs);
      logFiles.set(id, file);
    }
    return file;
  };
  // The catalog's services in its start order, each as many times as `instances` says (default once).
  const plan = SERVICES.flatMap(({ name }): PlannedService[] => {
    const count = instances[name] ?? 1;
    if (count === 1) return [{ name, id: name, env: {} }];
    return Array.from({ length: count }, (_, i) => {
      const instanceId = serviceInstanceId(name, i + 1);
      return {
        name,
        instance: String(i + 1),
        id: `${name}-${i + 1}`,
        env: { FACETRACKER_INSTANCE: instanceId, ...ownStateEnv(config, name, instanceId) },
      };
    });
  });
  const ingests = plan.filter((p) => p.name === "ingest").length;
  /** The ingest instances that stopped by themselves once their cameras ended (`exitWhenDone`). */
  const endedIngests = new Set<string>();
  const children = new Map<string, ServiceProcess>();
  let stopping = false;
  const ingestDone = () => endedIngests.size === ingests;
  /** Starts one service and watches it: when it dies, it is started again (see `restart`). */
  const launch = async (p: (typeof plan)[number], restarts = 0): Promise<ServiceProcess> => {
    const credential = busUser?.(p.name);
    const { id } = p;
    const logFile = logFileOf(id);
    const child = await spawnServiceProcess({
      name: p.name,
      ...(p.instance ? { instance: p.instance } : {}),
      configFile,
      httpHost: listenHostOf(config, "metrics"),
      env: {
        ...env,
        ...p.env,
        ...(p.name === "ingest" && exitWhenDone ? { FACETRACKER_EXIT_WHEN_DONE: "1" } : {}),
        ...(credential
          ? { FACETRACKER_NATS__USER: credential.user, FACETRACKER_NATS__PASS: credential.pass }
          : {}),
      },
      onLine: (line, stream) => {
        const json = line.startsWith("{");
        // A line that is not a JSON log line (a crash's stack trace) is kept as one.
        logFile?.write(
          json
            ? line
            : JSON.stringify({
                time: new Date().toISOString(),
                level: "error",
                service: id,
                msg: line,
                stream,
              }),
        );
        if (/"level":"(warn|error|fatal)"/.test(line) || !json) {
          log({ level: "warn", message: line, service: id });
        }
      },
    });
    children.set(child.id, child);
    const readyAt = Date.now();
    void child.exited.then((code) => {
      if (stopping) return;
      if (p.name === "ingest" && exitWhenDone && code === 0) {
        endedIngests.add(id);
        return;
      }
      // A service that ran a while before dying starts again after 1 s; one that keeps dying waits longer.
      return restart(p, child.id, `exited (${code})`, Date.now() - readyAt >= STABLE_MS ? 0 : restarts);
    });
    return child;
  };
  /**
   * Starts a dead service again after 1 s, 2, 4 … at most 30 s, for as long as the pipeline runs: a start
   * that fails (the service exits or is not ready in time, as on a loaded machine) is tried again.
   */
  const restart = async (p: (typeof plan)[number], id: string, why: string, restarts: number) => {
    for (let attempt = restarts; !stopping; attempt++) {
      const delay = Math.min(1000 * 2 ** attempt, 30_000);
      log({ level: "warn", message: `service ${id} ${why}; starting it again in ${delay / 1000} s` });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stopping) return;
      try {
        await launch(p, attempt + 1);
        return;
      } catch (error) {
        why = `could not be started again (${(error as Error).message.split("\n")[0]})`;
      }
    }
  };
  const stop = async () => {
    stopping = true;
    // Sources first, so each stage drains what the one before it sent.
    for (const child of [...children.values()].reverse()) await bounded(child.stop(10_000), child.id, log);
    for (const file of logFiles.values()) file.close();
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
          checks[child.id] = endedIngests.has(child.id) || `unreachable: ${(error as Error).message}`;
        }
      }
      return checks;
    },
    finished: ingestDone,
    listening: () =>
      Object.assign(
        {},
        ...[...children.values()].map(({ listening: { health: _, ...own } }) => own),
      ) as Record<string, string>,
    // Every service of the plan: one not running now (restarting, or ingest done) is read as down.
    metrics: () =>
      Promise.all(
        plan.map(async (p) => {
          const reading = { service: p.name, ...(p.instance ? { worker: p.instance } : {}) };
          const child = children.get(p.id);
          if (!child) return { ...reading, error: "not running" };
          if (endedIngests.has(p.id)) return { ...reading, error: "ended: every camera ended" };
          return scrapeMetrics(`${child.httpUrl}/metrics`, reading);
        }),
      ),
    // The health address each child reported it bound (its /healthz), not the one asked for; the
    // instance ID of each instance of a service run as several (its name in the camera leases).
    describe: () =>
      plan.flatMap((p) => {
        const c = children.get(p.id);
        if (!c) return [];
        const base = c.listening.health ? `http://${c.listening.health}` : c.httpUrl;
        const instance = p.env.FACETRACKER_INSTANCE ? ` (instance ${p.env.FACETRACKER_INSTANCE})` : "";
        return [`service ${c.id} pid ${c.pid}${instance}: health ${base}/healthz, metrics ${base}/metrics`];
      }),
    stop,
  };
}
