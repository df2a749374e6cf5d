export { faceChanged, type ReidScheduleOptions, ReidScheduler, type ResetReason } from "./reid-scheduler.ts";
export { representativeEmbeddings } from "./representatives.ts";
export {
  type Candidate,
  type IdentityDecision,
  type IdentityOptions,
  TrackIdentity,
} from "./track-identity.ts";
