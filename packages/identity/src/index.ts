export {
  faceChanged,
  type ReidScheduleOptions,
  ReidScheduler,
  type ReidSchedulerSnapshot,
  type ResetReason,
} from "./reid-scheduler.ts";
export { representativeEmbeddings } from "./representatives.ts";
export { IDENTITY_SNAPSHOT_VERSION } from "./snapshot.ts";
export {
  type Candidate,
  type IdentityDecision,
  type IdentityOptions,
  TrackIdentity,
  type TrackIdentitySnapshot,
} from "./track-identity.ts";
