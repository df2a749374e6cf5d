/**
 * How `facetracker up` hosts the services: each as a child process (the default), or all in this process
 * (--single-process).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Bus, connectBus, ensureStreams } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
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
import { createLogger, createServiceMetrics, type Logger } from "@facetracker/service-kit";
import { startRestreamService } from "@facetracker/service-restream";
import { startTrackService } from "@facetracker/service-track";

/** The services of the embedded run, in start order (sources last). */
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

interface Started {
  name: string;
  bus: Bus;
  service: PipelineService;
}

/** The services of one run, however they are hosted. */
export interface RunningServices {
  /** Readiness checks of every service, by "service: check". */
  readiness(): Promise<Record<string, boolean | string>>;
  /** Every camera ended and ingest published all it read. */
  finished(): boolean;
  /** Lines telling where each service runs (printed at start). */
  describe(): string[];
  /** Stops in pipeline order (sources first), each bounded in time. */
  stop(): Promise<void>;
}

/** Metrics of this process: the services' in --single-process mode. */
export const sharedMetrics = createServiceMetrics("facetracker");

/** Every service in this process, sharing one gallery (an embedded gallery directory has one writer). */
export async function startInProcess(config: FaceTrackerConfig): Promise<RunningServices> {
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
export async function startProcesses(
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
export async function bounded(step: Promise<unknown>, what: string): Promise<void> {
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

/** Service logs stay quiet in the embedded run (warnings and errors only) unless FACETRACKER_LOG_LEVEL says otherwise. */
function quietLogger(name: string): Logger {
  return createLogger(name, process.env.FACETRACKER_LOG_LEVEL ? {} : { level: "warn" });
}
