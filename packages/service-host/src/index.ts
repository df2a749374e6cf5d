export { busOptionsFrom, DEFAULT_NATS_URL } from "./bus-options.ts";
export { hostService } from "./host.ts";
export type { PipelineService, ServiceDeps, ServiceFactory } from "./service-deps.ts";
export {
  freeLocalPort,
  processUsage,
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
  type ServiceProcessOptions,
  spawnServiceProcess,
} from "./service-process.ts";
