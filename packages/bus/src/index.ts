/**
 * The message bus of the distributed pipeline. Services use the typed bus (`typedBus`): per message
 * kind, its subject, stream, protobuf type, metrics hooks and dead-lettering bound in one place, plus the
 * gallery-changed broadcast and the embed request/reply. Underneath, and for hosts and tools: NATS
 * subjects, JetStream streams with explicit limits, connection, publish/consume over the generated
 * protobuf messages, request/reply, and the camera registry. Test helpers: @facetracker/testing/bus.
 */

export type { EmbedRequests, GalleryChanges } from "./bus-channels.ts";
export {
  CAMERA_LEASES_BUCKET,
  CameraLeases,
  type CameraLeasesOptions,
  cameraLeaseHolder,
  DEFAULT_LEASE_TTL_MS,
  desiredOwner,
  INSTANCES_BUCKET,
  instanceId,
  MIN_LEASE_TTL_MS,
} from "./camera-leases.ts";
export {
  CAMERA_BUCKET,
  type CameraChange,
  type CameraRegistry,
  type CameraRegistryOptions,
  openCameraRegistry,
} from "./camera-registry.ts";
export {
  CAMERA_STATUS_BUCKET,
  type CameraStatusBoard,
  type CameraStatusChange,
  type OfflineNoticeRecord,
  openCameraStatusBoard,
} from "./camera-status.ts";
export { type PublishMessageOptions, publishMessage } from "./codec.ts";
export {
  type Bus,
  BusConnectionError,
  type BusConnectOptions,
  type BusStatus,
  type BusTlsOptions,
  connectBus,
} from "./connection.ts";
export {
  type ConsumeCounters,
  type ConsumeMessagesOptions,
  consumeMessages,
  type MessageConsumer,
  type MessageInfo,
  type StartPolicy,
} from "./consumer.ts";
export {
  type DeadLetter,
  DLQ_HEADERS,
  errorText,
  type FailureStage,
  publishDeadLetter,
  readDeadLetter,
} from "./dead-letter.ts";
export { type KeyClaim, type KeyClaimResult, type KeyClaims, openKeyClaims } from "./key-claims.ts";
export { type BusLogger, stderrLogger } from "./logger.ts";
export {
  InsaneMessageError,
  MAX_FUTURE_SKEW_MS,
  MAX_TRACK_ID,
  MESSAGE_CHECKS,
  type MessageCheck,
} from "./message-checks.ts";
export { DEFAULT_RETRY_BACKOFF } from "./message-failures.ts";
export {
  MESSAGE_TYPES,
  type MessageKind,
  type MessageKinds,
  streamOf,
  streamSpecOf,
} from "./message-kinds.ts";
export { type NatsCluster, type NatsClusterOptions, startNatsCluster } from "./nats-cluster.ts";
export {
  type NatsServerChild,
  type NatsServerExit,
  type NatsServerOptions,
  NatsStoreLockedError,
  startNatsServer,
} from "./nats-server-child.ts";
export {
  MAX_REPLICAS,
  raiseBucketReplicas,
  raiseReplicas,
  replicasForServer,
  stateReplicas,
} from "./replicas.ts";
export {
  REPLY_ERROR_HEADER,
  RemoteError,
  RequestFailedError,
  type RequestServer,
  type RequestServerCounters,
  requestMessage,
  type ServeRequestsOptions,
  serveRequests,
} from "./request-reply.ts";
export { openStateBucket, type StateBucket, type StateBucketOptions } from "./state-bucket.ts";
export { camerasInStream } from "./stream-cameras.ts";
export { consumerAckFloor, type ReplayStreamOptions, replayStream } from "./stream-replay.ts";
export {
  type EnsuredStream,
  ensureStream,
  ensureStreams,
  REPLICATED_STREAMS,
  STREAM_SPECS,
  type StreamKey,
  type StreamLimits,
  type StreamOverrides,
  type StreamSpec,
  type StreamStorage,
  streamConfig,
  streamSpecs,
  type WantedStreamConfig,
} from "./streams.ts";
export {
  allCamerasSubject,
  CAMERA_SUBJECT_KINDS,
  type CameraSubjectKind,
  DLQ_PREFIX,
  deadLetterSubject,
  EMBED_QUEUE,
  EMBED_SUBJECT,
  GALLERY_CHANGED_SUBJECT,
  InvalidCameraIdError,
  parseCameraSubject,
  SUBJECT_PREFIX,
  subject,
  validateCameraId,
} from "./subjects.ts";
export { isTransientFailure, RetryLaterError } from "./transient-failure.ts";
export {
  type BusKind,
  type ConsumeOptions,
  type PublishOptions,
  type ReplayOptions,
  type StreamState,
  type TypedBus,
  type TypedBusOptions,
  typedBus,
} from "./typed-bus.ts";
