import { connectBus, ensureStreams } from "@facetracker/bus";
import { listenHostOf, loadConfig } from "@facetracker/config";
import { isProcessAlive } from "@facetracker/infra";
import {
  createLogger,
  createServiceMetrics,
  envInt,
  runService,
  startServiceHttp,
} from "@facetracker/service-kit";
import { busOptionsFrom } from "./bus-options.ts";
import type { ServiceFactory } from "./service-deps.ts";

/** How often a service started by a parent (FACETRACKER_PARENT_PID) checks that the parent still runs. */
const PARENT_CHECK_MS = 1000;

/**
 * Runs one pipeline service as a process: loads the configuration (FACETRACKER_CONFIG + environment),
 * connects to NATS and makes sure the streams exist, serves /healthz and /metrics on
 * FACETRACKER_HTTP_PORT (default 0: a free port, logged) at metrics.listen (else listen_host: loopback by
 * default), with the addresses it bound in /healthz's `listening`, starts the service, and on SIGTERM/SIGINT
 * stops it (draining) and closes the connection.
 *
 * Started by `facetracker up` (see spawnServiceProcess): FACETRACKER_PARENT_PID makes it stop when that
 * parent is gone (no orphan services after a crash of the parent), and FACETRACKER_EXIT_WHEN_DONE=1 makes
 * it stop once the service has nothing left to produce (every file camera ended).
 */
export function hostService(name: string, factory: ServiceFactory): void {
  const logger = createLogger(name);
  const parentPid = envInt("FACETRACKER_PARENT_PID", 0, { min: 0, max: 2 ** 31 });
  const exitWhenDone = process.env.FACETRACKER_EXIT_WHEN_DONE === "1";
  const handle = runService({
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
      let healthAddress = "";
      const http = await startServiceHttp({
        port: envInt("FACETRACKER_HTTP_PORT", 0, { min: 0, max: 65535 }),
        host: listenHostOf(config, "metrics"),
        service: name,
        listening: () => ({ ...service.listening?.(), health: healthAddress }),
        registry: metrics.registry,
        readiness: () => {
          const checks = { nats: connected, ...service.readiness() };
          return { ready: Object.values(checks).every((v) => v === true), checks };
        },
      });
      healthAddress = http.address;
      logger.info("listening", { healthz: `${http.url}/healthz`, metrics: `${http.url}/metrics` });
      const watch = setInterval(() => {
        if (parentPid > 0 && !isProcessAlive(parentPid)) void handle.stop("the parent process is gone");
        else if (exitWhenDone && service.finished?.()) void handle.stop("done: every camera ended");
      }, PARENT_CHECK_MS);
      watch.unref();
      return {
        stop: async () => {
          clearInterval(watch);
          await service.stop();
          await http.close();
          await bus.drain();
        },
      };
    },
  });
}
