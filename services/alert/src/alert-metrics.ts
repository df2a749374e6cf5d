import type { ServiceMetrics } from "@facetracker/service-kit";

/** The alert service's series, on its registry. */
export type AlertMetrics = ReturnType<typeof createAlertMetrics>;

export function createAlertMetrics(metrics: ServiceMetrics) {
  return {
    /**
     * facetracker_alerts_total{camera,mode,kind}: alerts published (kind "alert") and "seen again" updates
     * (kind "seen_again": a later sighting of an alert's person), by camera and the camera's alert mode.
     */
    alerts: metrics.counter(
      "facetracker_alerts_total",
      'Alerts (kind="alert") and "seen again" updates (kind="seen_again") published, by camera and alert mode.',
      ["camera", "mode", "kind"],
    ),
    /** facetracker_capture_to_alert_seconds{camera}: from the capture of an alert's frame to its publication. */
    captureToAlert: metrics.histogram(
      "facetracker_capture_to_alert_seconds",
      "From the capture of the frame that triggered an alert to the alert published, seconds.",
      ["camera"],
    ),
    /**
     * facetracker_notifications_total{camera,status}: alert notifications, by outcome (sent, failed,
     * already_sent: sent before a restart, not sent again).
     */
    notifications: metrics.counter(
      "facetracker_notifications_total",
      "Alert notifications by outcome: sent, failed, already_sent (sent before, not sent again).",
      ["camera", "status"],
    ),
  };
}
