/** The services of one pipeline run, however they are hosted (child processes, or this process). */
export interface HostedServices {
  /** Readiness checks of every service, by "service: check" (in this process) or service id (processes). */
  readiness(): Promise<Record<string, boolean | string>>;
  /** Every camera ended and ingest published all it read. */
  finished(): boolean;
  /** Lines telling where each service runs. */
  describe(): string[];
  /** Stops in pipeline order (sources first), each bounded in time. */
  stop(): Promise<void>;
}
