/**
 * @facetracker/service-kit: the runtime every FaceTracker service process shares. Structured JSON logs
 * (createLogger), Prometheus metrics with the standard facetracker_* series (createServiceMetrics), the
 * /healthz, /livez and /metrics HTTP endpoints (startServiceHttp), signal-driven start/stop with exit codes
 * (runService; its tests run it in a real child with @facetracker/testing/service-kit) and environment options (envString, envInt…).
 */

export type { EnvIntOptions, EnvReadOptions, EnvSource } from "./env-config.ts";
export { EnvConfigError, envBool, envEnum, envInt, envList, envString } from "./env-config.ts";
export type { Readiness, ServiceHttp, ServiceHttpOptions } from "./http-server.ts";
export { startServiceHttp } from "./http-server.ts";
export type {
  ProcessEvents,
  RunningService,
  RunServiceOptions,
  ServiceContext,
  ServiceHandle,
  StopSignal,
} from "./lifecycle.ts";
export { DEFAULT_STOP_TIMEOUT_MS, runService, STOP_SIGNALS } from "./lifecycle.ts";
export type {
  LogFields,
  Logger,
  LoggerOptions,
  LogLevel,
  LogRecord,
  LogStream,
  SerializedError,
} from "./logger.ts";
export { createLogger, LOG_LEVEL_ENV, LOG_LEVELS, parseLogLines, serializeError } from "./logger.ts";
export type { ServiceMetrics, ServiceMetricsOptions } from "./metrics.ts";
export {
  createServiceMetrics,
  createServiceRegistry,
  LATENCY_SECONDS_BUCKETS,
  METRIC_PREFIX,
  STAGE_SECONDS_BUCKETS,
} from "./metrics.ts";
export type { MetricFamily, MetricsSource } from "./metrics-merge.ts";
export { escapeLabelValue, mergeExpositions, parseExposition, withLabels } from "./metrics-merge.ts";
