/**
 * Runs the pipeline services in this process against a real nats-server (each service with its own NATS
 * connection, as separate processes would have), for end-to-end tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Bus, connectBus, ensureStreams } from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import type { PipelineService, ServiceFactory } from "@facetracker/service-host";
import {
  createLogger,
  createServiceMetrics,
  type LogStream,
  type ServiceMetrics,
} from "@facetracker/service-kit";

export interface RunningPipeline {
  services: Map<string, PipelineService>;
  metrics: Map<string, ServiceMetrics>;
  buses: Bus[];
  /** JSON log lines of every service. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts the services (in this order) on the nats-server at `url` (several: the servers of a cluster). The alert service's notification state
 * goes to a fresh temporary directory (removed at stop) unless the configuration names one: set
 * alerts.notification_state_path where a test restarts the service and expects its state back.
 */
export async function startPipeline(
  url: string | string[],
  givenConfig: FaceTrackerConfig,
  factories: [string, ServiceFactory][],
  gallery?: Gallery,
): Promise<RunningPipeline> {
  let config = givenConfig;
  let stateDir: string | undefined;
  if (config.alerts.notification_state_path === parseConfig({}).alerts.notification_state_path) {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "ft-notify-state-"));
    config = { ...config, alerts: { ...config.alerts, notification_state_path: stateDir } };
  }
  const logs: string[] = [];
  const stream: LogStream = { write: (line: string) => logs.push(line) > 0 };
  const services = new Map<string, PipelineService>();
  const metrics = new Map<string, ServiceMetrics>();
  const buses: Bus[] = [];
  const stop = async () => {
    for (const name of [...services.keys()].reverse()) await services.get(name)?.stop();
    for (const bus of buses) await bus.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  };
  try {
    for (const [name, factory] of factories) {
      const bus = await connectBus({ servers: Array.isArray(url) ? url : [url], name: `test-${name}` });
      buses.push(bus);
      await ensureStreams(bus.jsm);
      const m = createServiceMetrics(name, { defaultMetrics: false });
      const service = await factory({
        bus,
        config,
        logger: createLogger(name, { stream, level: "info" }),
        metrics: m,
        ...(gallery ? { gallery } : {}),
      });
      services.set(name, service);
      metrics.set(name, m);
    }
  } catch (error) {
    // Whatever started is stopped, so a failing test does not leave services (and the process) running.
    await stop();
    throw error;
  }
  return {
    services,
    metrics,
    buses,
    logs,
    stop,
  };
}

/** The value of a counter series with these labels (0 when absent). */
export async function counterValue(
  metrics: ServiceMetrics | undefined,
  counter: "messagesIn" | "messagesOut" | "messagesDeadLettered",
  labels: Record<string, string>,
): Promise<number> {
  if (!metrics) return 0;
  const { values } = await metrics[counter].get();
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, val]) => (v.labels as Record<string, string | number>)[k] === val),
  );
  return hit?.value ?? 0;
}
