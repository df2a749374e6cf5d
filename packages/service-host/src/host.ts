import { connectBus, ensureStreams } from "@facetracker/bus";
import { loadConfig } from "@facetracker/config";
import {
  createLogger,
  createServiceMetrics,
  envInt,
  runService,
  startServiceHttp,
} from "@facetracker/service-kit";
import { busOptionsFrom } from "./bus-options.ts";
import type { ServiceFactory } from "./service-deps.ts";

/**
 * Runs one pipeline service as a process: loads the configuration (FACETRACKER_CONFIG + environment),
 * connects to NATS and makes sure the streams exist, serves /healthz and /metrics on
 * FACETRACKER_HTTP_PORT (default 0: a free port, logged), starts the service, and on SIGTERM/SIGINT
 * stops it (draining) and closes the connection.
 */
export function hostService(name: string, factory: ServiceFactory): void {
  const logger = createLogger(name);
  runService({
    name,
    logger,
    start: async () => {
      const config = loadConfig();
      const metrics = createServiceMetrics(name);
      const bus = await connectBus({
        ...busOptionsFrom(config, `facetracker-${name}`),
        onStatus: (status) => logger.info("nats status", { status: status.type }),
      });
      await ensureStreams(bus.jsm);
      const service = await factory({ bus, config, logger, metrics });
      let connected = true;
      void (async () => {
        for await (const s of bus.nc.status()) {
          if (s.type === "disconnect") connected = false;
          if (s.type === "reconnect") connected = true;
        }
      })();
      const http = await startServiceHttp({
        port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
        service: name,
        registry: metrics.registry,
        readiness: () => {
          const checks = { nats: connected, ...service.readiness() };
          return { ready: Object.values(checks).every((v) => v === true), checks };
        },
      });
      logger.info("listening", { healthz: `${http.url}/healthz`, metrics: `${http.url}/metrics` });
      return {
        stop: async () => {
          await service.stop();
          await http.close();
          await bus.drain();
        },
      };
    },
  });
}
