export {
  type AlertDecision,
  type AlertMode,
  type AlertRuleOptions,
  AlertRules,
  alertModes,
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
  type FrameLike,
  type TrackEvent,
  TrackEventDeriver,
  type TrackEventType,
  type TrackIdentityLike,
  type TrackLike,
} from "./track-events.ts";
