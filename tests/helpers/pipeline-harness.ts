/**
 * Runs the pipeline services in this process against a real nats-server (each service with its own NATS
 * connection, as separate processes would have), for end-to-end tests.
 */
import { type Bus, connectBus, ensureStreams } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
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

export async function startPipeline(
  url: string,
  config: FaceTrackerConfig,
  factories: [string, ServiceFactory][],
  gallery?: Gallery,
): Promise<RunningPipeline> {
  const logs: string[] = [];
  const stream: LogStream = { write: (line: string) => logs.push(line) > 0 };
  const services = new Map<string, PipelineService>();
  const metrics = new Map<string, ServiceMetrics>();
  const buses: Bus[] = [];
  const stop = async () => {
    for (const name of [...services.keys()].reverse()) await services.get(name)?.stop();
    for (const bus of buses) await bus.close();
  };
  try {
    for (const [name, factory] of factories) {
      const bus = await connectBus({ servers: [url], name: `test-${name}` });
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
