/**
 * When a camera that stays down is worth telling people (camera_offline_alert_s), and what to tell them:
 * one notification per outage once it has lasted the configured time, and one when the camera is back
 * (only after an outage that was notified). Pure: the alert service feeds it the statuses ingest reports
 * and the notice it recorded last (so a restart neither repeats nor forgets one).
 */

/** What the rule needs of a camera's status (CameraStatus of the status board). */
export interface CameraDownStatus {
  /** "up", "reconnecting" … (only "reconnecting" is down). */
  state: string;
  /** Since when the camera is in this state, ms since the epoch. */
  sinceMs: number;
  lastError: string;
}

/** The last offline notification sent for a camera: the outage it was for, and whether its end was told. */
export interface OfflineNotice {
  /** since_ms of the outage notified. */
  sinceMs: number;
  backSent: boolean;
}

/** When the camera's outage is to be notified (ms since the epoch); undefined: nothing to notify. */
export function offlineDueMs(
  status: CameraDownStatus,
  thresholdMs: number,
  notice: OfflineNotice | undefined,
): number | undefined {
  if (thresholdMs <= 0 || status.state !== "reconnecting") return undefined;
  if (notice?.sinceMs === status.sinceMs) return undefined; // this outage was notified already
  return status.sinceMs + thresholdMs;
}

/** Whether the camera's return is to be notified: it is up after an outage that was notified. */
export function backDue(status: CameraDownStatus, notice: OfflineNotice | undefined): boolean {
  return (
    status.state === "up" && notice !== undefined && !notice.backSent && notice.sinceMs <= status.sinceMs
  );
}

/** "4 min 20 s", "2 h 5 min", "12 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

/** Title and Markdown body of the notification of a camera down (at `nowMs`). */
export function offlineMessage(
  camera: string,
  status: CameraDownStatus,
  nowMs: number,
): { title: string; body: string } {
  const since = new Date(status.sinceMs).toISOString();
  const error = status.lastError ? `: ${status.lastError}` : "";
  return {
    title: `Camera ${camera} offline`,
    body: `Camera **${camera}** has been down for ${formatDuration(nowMs - status.sinceMs)} (since ${since})${error}. It is retried until it is back.`,
  };
}

/** Title and Markdown body of the notification of a camera back (its status is "up" since it came back). */
export function backMessage(
  camera: string,
  notice: OfflineNotice,
  status: CameraDownStatus,
): { title: string; body: string } {
  return {
    title: `Camera ${camera} back`,
    body: `Camera **${camera}** is back at ${new Date(status.sinceMs).toISOString()}, after ${formatDuration(status.sinceMs - notice.sinceMs)} down.`,
  };
}
