/**
 * @facetracker/runner: the real-time pipeline on one machine (a private nats-server or a given NATS URL,
 * every service as a supervised process or all in one), and its handle: the events as async iterators,
 * readiness, the end of a finite run, and stop. FaceTracker.startFaceTrackingPipeline and `facetracker up`
 * are built on it.
 */

export type { Alert, AlertDelivery, AlertUpdate, ClipEvent, TrackEvent } from "@facetracker/proto";
export { TrackEventType, trackEventTypeToJSON } from "@facetracker/proto";
export {
  BUS_AUTH_FILE,
  type BusCredential,
  NATS_CONFIG_FILE,
  readBusCredential,
} from "./bus-credentials.ts";
export {
  BUS_GRANTS,
  BUS_USERS,
  type BusGrant,
  type BusUser,
  natsServerConfig,
  passwordVariable,
} from "./bus-permissions.ts";
export { PortInUseError, portHolder } from "./free-port.ts";
export { NatsStoreInUseError } from "./own-nats.ts";
export type { PipelineLog, PipelineLogEntry } from "./pipeline-log.ts";
export {
  MAX_INSTANCES,
  ownStateEnv,
  parseServiceInstances,
  resolveServiceInstances,
  type ServiceInstances,
  serviceInstanceId,
  servicesRunAsMany,
} from "./service-instances.ts";
export {
  DEFAULT_LOG_FILES,
  DEFAULT_LOG_MAX_BYTES,
  LOG_DIR,
  logFilesOf,
  loggedServices,
  RotatingLogFile,
} from "./service-logs.ts";
export {
  type FaceTrackingPipeline,
  type PipelineOptions,
  type PipelineReadiness,
  startPipeline,
} from "./start-pipeline.ts";
