import type { ServiceMetricsReading } from "./pipeline-metrics.ts";

/** The services of one pipeline run, however they are hosted (child processes, or this process). */
export interface HostedServices {
  /** Readiness checks of every service, by "service: check" (in this process) or service id (processes). */
  readiness(): Promise<Record<string, boolean | string>>;
  /** Every camera ended and ingest published all it read. */
  finished(): boolean;
  /**
   * The services' own listeners with the addresses they actually bound: `grpc` (the api, host:port) and
   * `web` (the page's URL); a listener that is not bound is absent.
   */
  listening(): Record<string, string>;
  /**
   * Every service's Prometheus metrics: each service process's /metrics (read with a time limit: one that
   * does not answer has an `error`), or each in-process service's registry.
   */
  metrics(): Promise<ServiceMetricsReading[]>;
  /** Lines telling where each service runs. */
  describe(): string[];
  /** Stops in pipeline order (sources first), each bounded in time. */
  stop(): Promise<void>;
}
