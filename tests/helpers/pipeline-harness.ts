/**
 * Runs the pipeline services in this process against a real nats-server (each service with its own NATS
 * connection, as separate processes would have), for end-to-end tests.
 */
import { type Bus, connectBus, ensureStreams } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { PipelineService, ServiceFactory } from "@facetracker/service-host";
import { createLogger, createServiceMetrics, type LogStream } from "@facetracker/service-kit";

export interface RunningPipeline {
  services: Map<string, PipelineService>;
  buses: Bus[];
  /** JSON log lines of every service. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startPipeline(
  url: string,
  config: FaceTrackerConfig,
  factories: [string, ServiceFactory][],
): Promise<RunningPipeline> {
  const logs: string[] = [];
  const stream: LogStream = { write: (line: string) => logs.push(line) > 0 };
  const services = new Map<string, PipelineService>();
  const buses: Bus[] = [];
  for (const [name, factory] of factories) {
    const bus = await connectBus({ servers: [url], name: `test-${name}` });
    buses.push(bus);
    await ensureStreams(bus.jsm);
    const service = await factory({
      bus,
      config,
      logger: createLogger(name, { stream, level: "info" }),
      metrics: createServiceMetrics(name, { defaultMetrics: false }),
    });
    services.set(name, service);
  }
  return {
    services,
    buses,
    logs,
    stop: async () => {
      for (const name of [...services.keys()].reverse()) await services.get(name)?.stop();
      for (const bus of buses) await bus.close();
    },
  };
}
