export {
  type AlertDecision,
  type AlertMode,
  type AlertRuleOptions,
  AlertRules,
  alertModes,
} from "./alert-rules.ts";
export {
  type FrameLike,
  type TrackEvent,
  TrackEventDeriver,
  type TrackEventType,
  type TrackIdentityLike,
  type TrackLike,
} from "./track-events.ts";
