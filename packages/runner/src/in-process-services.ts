/** Every pipeline service in this process (`singleProcess`), each with its own NATS connection. */

import { type Bus, connectBus, ensureStreams } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { openConfiguredGallery } from "@facetracker/pipeline";
import {
  busOptionsFrom,
  loadServiceFactory,
  type PipelineService,
  SERVICES,
  type ServiceName,
} from "@facetracker/service-host";
import { createLogger, type Logger, type ServiceMetrics } from "@facetracker/service-kit";
import type { HostedServices } from "./hosted-services.ts";
import { bounded, type PipelineLog } from "./pipeline-log.ts";

interface Started {
  name: string;
  bus: Bus;
  service: PipelineService;
}

/**
 * Every service of the catalog (service-host), in its start order, imported by package name (the
 * services are this package's dependencies), sharing one gallery (an embedded gallery directory has one
 * writer) and one metrics registry (their series carry the stage label).
 */
export async function startInProcess(
  config: FaceTrackerConfig,
  metrics: ServiceMetrics,
  log: PipelineLog,
  /** The configuration each service connects with (its own bus user); default `config`. */
  configFor: (name: ServiceName) => FaceTrackerConfig = () => config,
): Promise<HostedServices> {
  const gallery = await openConfiguredGallery(config);
  const started: Started[] = [];
  const stop = async () => {
    for (const s of [...started].reverse()) await bounded(s.service.stop(), s.name, log);
    for (const s of started) await bounded(s.bus.close(), `${s.name} connection`, log);
    await gallery.close();
  };
  try {
    for (const { name } of SERVICES) {
      const factory = await loadServiceFactory(name, (p) => import(p));
      const bus = await connectBus(busOptionsFrom(configFor(name), `facetracker-${name}`));
      await ensureStreams(bus.jsm);
      const service = await factory({ bus, config, logger: quietLogger(name), metrics, gallery });
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
    listening: () => Object.assign({}, ...started.map((s) => s.service.listening?.() ?? {})),
    describe: () => [
      `services ${started.map((s) => s.name).join(", ")} in this process (pid ${process.pid})`,
    ],
    stop,
  };
}

/** Service logs stay quiet (warnings and errors only) unless FACETRACKER_LOG_LEVEL says otherwise. */
function quietLogger(name: string): Logger {
  return createLogger(name, process.env.FACETRACKER_LOG_LEVEL ? {} : { level: "warn" });
}
