import type { Bus } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { Gallery } from "@facetracker/gallery";
import type { Logger, ServiceMetrics } from "@facetracker/service-kit";

/** What every pipeline service is built from. */
export interface ServiceDeps {
  bus: Bus;
  config: FaceTrackerConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  /**
   * A gallery shared by the services of one process (`facetracker up`): an embedded gallery directory has
   * one writer, so in-process services use one instance. Absent: each service opens the configured one.
   */
  gallery?: Gallery;
  /**
   * This instance's ID among the instances of a partitioned service (ingest, track: see CameraLeases),
   * stable across its restarts. Absent: FACETRACKER_INSTANCE, else `<hostname>-<service>`.
   */
  instance?: string;
}

/** A running service: readiness checks for /healthz, and a graceful stop (drain what is in hand). */
export interface PipelineService {
  readiness(): Record<string, boolean | string>;
  /**
   * The service's own listeners, by name, with the address each actually bound (host:port, or a URL for
   * a page): { grpc: "127.0.0.1:50051" }, { web: "http://127.0.0.1:8080/" }. Absent: none.
   */
  listening?(): Record<string, string>;
  /** Nothing left to produce (every file camera ended): for finite runs. Absent: never idle. */
  finished?(): boolean;
  stop(): Promise<void>;
}

export type ServiceFactory = (deps: ServiceDeps) => Promise<PipelineService>;
