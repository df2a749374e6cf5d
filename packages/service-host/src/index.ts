export { busOptionsFrom, DEFAULT_NATS_URL } from "./bus-options.ts";
export { hostService } from "./host.ts";
export { serviceBus } from "./service-bus.ts";
export {
  loadServiceFactory,
  SERVICE_NAMES,
  SERVICES,
  type ServiceName,
  type ServiceSpec,
  serviceSpec,
} from "./service-catalog.ts";
export type { PipelineService, ServiceDeps, ServiceFactory } from "./service-deps.ts";
export {
  freeLocalPort,
  processUsage,
  type ServiceProcess,
  type ServiceProcessOptions,
  spawnServiceProcess,
} from "./service-process.ts";
