/** Every pipeline service in this process (`singleProcess`), each with its own NATS connection. */

import path from "node:path";
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
import {
  createLogger,
  createServiceMetrics,
  type Logger,
  type ServiceMetrics,
} from "@facetracker/service-kit";
import type { HostedServices } from "./hosted-services.ts";
import { bounded, type PipelineLog } from "./pipeline-log.ts";
import { RotatingLogFile } from "./service-logs.ts";

interface Started {
  name: string;
  bus: Bus;
  service: PipelineService;
  metrics: ServiceMetrics;
}

/**
 * Every service of the catalog (service-host), in its start order, imported by package name (the
 * services are this package's dependencies), sharing one gallery (an embedded gallery directory has one
 * writer). Each has its own metrics registry, as a service process has (series labelled with its service,
 * no process metrics: the process's are its host's), read by metrics().
 */
export async function startInProcess(
  config: FaceTrackerConfig,
  log: PipelineLog,
  /** The configuration each service connects with (its own bus user); default `config`. */
  configFor: (name: ServiceName) => FaceTrackerConfig = () => config,
  /** Each service's log lines to `dir/NAME.log` (its warnings also to `log`); default: stdout. */
  logs?: { dir: string; maxBytes: number; files: number },
): Promise<HostedServices> {
  const gallery = await openConfiguredGallery(config);
  const started: Started[] = [];
  const logFiles: RotatingLogFile[] = [];
  const loggerOf = (name: string): Logger => {
    if (!logs) return quietLogger(name);
    const file = new RotatingLogFile(path.join(logs.dir, `${name}.log`), logs);
    logFiles.push(file);
    const stream = {
      write: (chunk: string) => {
        for (const line of chunk.split("\n")) {
          if (!line) continue;
          file.write(line);
          if (/"level":"(warn|error|fatal)"/.test(line)) log({ level: "warn", message: line, service: name });
        }
      },
    };
    return createLogger(name, process.env.FACETRACKER_LOG_LEVEL ? { stream } : { level: "info", stream });
  };
  const stop = async () => {
    for (const s of [...started].reverse()) await bounded(s.service.stop(), s.name, log);
    for (const s of started) await bounded(s.bus.close(), `${s.name} connection`, log);
    await gallery.close();
    for (const file of logFiles) file.close();
  };
  try {
    for (const { name } of SERVICES) {
      const factory = await loadServiceFactory(name, (p) => import(p));
      const bus = await connectBus(busOptionsFrom(configFor(name), `facetracker-${name}`));
      await ensureStreams(bus.jsm);
      const metrics = createServiceMetrics(name, { defaultMetrics: false });
      const service = await factory({ bus, config, logger: loggerOf(name), metrics, gallery });
      started.push({ name, bus, service, metrics });
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
    metrics: () =>
      Promise.all(started.map(async (s) => ({ service: s.name, text: await s.metrics.registry.metrics() }))),
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
