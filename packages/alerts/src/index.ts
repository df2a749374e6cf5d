export {
  type AlertDecision,
  type AlertJudgement,
  type AlertMode,
  type AlertOutcome,
  type AlertRuleOptions,
  AlertRules,
  alertModes,
  type JudgeContext,
  SAME_FACE_THRESHOLD,
  type SeenAgainDecision,
} from "./alert-rules.ts";
export {
  backDue,
  backMessage,
  type CameraDownStatus,
  formatDuration,
  type OfflineNotice,
  offlineDueMs,
  offlineMessage,
} from "./camera-offline.ts";
export {
  type AlertRef,
  type FaceMatch,
  type RecentFace,
  type RecentFaceJson,
  RecentFaces,
  type RecentFacesOptions,
  recentFaceFromJson,
  recentFaceToJson,
} from "./recent-faces.ts";
export {
  type FrameLike,
  type TrackEvent,
  TrackEventDeriver,
  type TrackEventType,
  type TrackIdentityLike,
  type TrackLike,
} from "./track-events.ts";
