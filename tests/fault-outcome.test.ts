/**
 * The fault matrix's judge (tests/helpers/fault-outcome.ts) on hand-made observations: a run that kept
 * every promise passes, and each kind of loss or duplicate is named (a judge that never complains would
 * make the fault matrix pass whatever happened).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Alert, AlertDelivery, AlertUpdate, ClipEvent, TrackEvent, TrackEventType } from "@facetracker/proto";
import { checkOutcome, type Observed } from "./helpers/fault-outcome.ts";

const identified = (trackId: number, name?: string) =>
  TrackEvent.fromPartial({
    camera: "lobby",
    trackId,
    type: TrackEventType.IDENTIFIED,
    ...(name ? { identity: { id: `${name}-id`, name, similarity: 0.7, attributes: {} } } : {}),
    timeMs: 1000 * trackId,
  });
/** An alert of the scene: track 1 is amy's, the others unknown. */
const alert = (trackId: number, id = `lobby-${trackId}-1`) =>
  Alert.fromPartial({
    id,
    camera: "lobby",
    trackId,
    ...(trackId === 1 ? { identity: { id: "amy-id", name: "amy", similarity: 0.7, attributes: {} } } : {}),
    timeMs: 1000 * trackId,
  });
const notified = (alertId: string) =>
  AlertDelivery.fromPartial({
    alertId,
    camera: "lobby",
    notificationStatus: "sent",
    notificationAttempts: 1,
  });
const clipped = (alertId: string, clipStatus = "stored") =>
  AlertDelivery.fromPartial({ alertId, camera: "lobby", clipStatus, clipKey: `lobby/${alertId}.mp4` });
const clip = (alertId: string) =>
  ClipEvent.fromPartial({ camera: "lobby", alertId, alertIds: [alertId], key: `lobby/${alertId}.mp4` });
const received = (trackId: number, destination = "/a") => ({
  destination,
  title: `lobby track ${trackId}: x`,
  camera: "lobby",
  trackId,
});

/** Two tracks (amy known, one unknown), each with everything it should have. */
function clean(): Observed {
  return {
    identified: [identified(1, "amy"), identified(2)],
    alerts: [alert(1), alert(2)],
    seenAgain: [],
    deliveries: ["lobby-1-1", "lobby-2-1"].flatMap((id) => [notified(id), clipped(id)]),
    clips: [clip("lobby-1-1"), clip("lobby-2-1")],
    notifications: [received(1), received(2), received(1, "/b"), received(2, "/b")],
    destinations: ["/a", "/b"],
    deadLetters: [],
    clipFileExists: () => true,
  };
}

const whats = (observed: Observed) => checkOutcome(observed).violations.map((v) => `${v.kind}: ${v.what}`);

describe("fault matrix judge", () => {
  it("passes a run that kept every promise, and counts it", () => {
    const { counts, violations } = checkOutcome(clean());
    assert.deepEqual(violations, []);
    assert.deepEqual(counts, {
      tracks: 2,
      knownTracks: 1,
      alerts: 2,
      seenAgain: 0,
      deliveryRecords: 4,
      notifications: 4,
      clips: 2,
      deadLetters: 0,
      lost: 0,
      duplicated: 0,
    });
  });

  it("names a lost alert, notification, delivery record, clip and clip file", () => {
    const o = clean();
    o.alerts = [alert(1)];
    o.notifications = [received(2), received(2, "/b"), received(1, "/b")];
    o.deliveries = [clipped("lobby-1-1")];
    o.clips = [];
    assert.deepEqual(whats(o), [
      "lost: track lobby #2 (unknown) was identified but never alerted",
      "lost: alert lobby-1-1 (track lobby #1, amy) has no notification delivery record",
      "lost: alert lobby-1-1 (track lobby #1, amy): no notification reached /a",
      "lost: alert lobby-1-1 (track lobby #1, amy): no clip record (ClipEvent) covers it",
    ]);
    const missingFile = clean();
    missingFile.clipFileExists = (key) => key !== "lobby/lobby-2-1.mp4";
    assert.deepEqual(whats(missingFile), [
      "lost: alert lobby-2-1 (track lobby #2, unknown): its clip file lobby/lobby-2-1.mp4 is not in the clip storage",
    ]);
  });

  it("names a duplicated alert, notification, delivery record and clip record", () => {
    const o = clean();
    o.alerts.push(alert(1, "lobby-1-9"));
    o.deliveries.push(notified("lobby-1-9"), clipped("lobby-1-9"));
    o.clips.push(clip("lobby-1-9"));
    o.notifications.push(received(1));
    o.deliveries.push(notified("lobby-2-1"), clipped("lobby-2-1", "failed"));
    o.clips.push(clip("lobby-2-1"));
    assert.deepEqual(
      whats(o).filter((w) => w.startsWith("duplicated")),
      [
        "duplicated: track lobby #1 (amy) has 2 alerts: lobby-1-1, lobby-1-9",
        "duplicated: alert lobby-1-1 (track lobby #1, amy): /a got 2 notifications",
        "duplicated: alert lobby-2-1 (track lobby #2, unknown) has 2 notification delivery records (sent, sent)",
        "duplicated: alert lobby-2-1 (track lobby #2, unknown) has 2 clip delivery records (stored, failed)",
        "duplicated: alert lobby-2-1 (track lobby #2, unknown): 2 clip records cover it (lobby/lobby-2-1.mp4, lobby/lobby-2-1.mp4)",
        "duplicated: alert lobby-1-9 (track lobby #1, amy): /a got 2 notifications",
      ],
    );
    assert.ok(whats(o).includes("failed: alert lobby-2-1 (track lobby #2, unknown): clip failed ()"));
  });

  it("takes a track seen again on an alert of the run for that alert, and names a track with both or neither", () => {
    const seen = (trackId: number, alertId: string) =>
      AlertUpdate.fromPartial({
        alertId,
        alertCamera: "lobby",
        camera: "lobby",
        trackId,
        reason: "same_face",
      });
    const o = clean();
    o.identified.push(identified(3));
    o.seenAgain.push(seen(3, "lobby-2-1"));
    assert.deepEqual(whats(o), []);
    assert.equal(checkOutcome(o).counts.seenAgain, 1);
    o.seenAgain.push(seen(2, "lobby-2-1"), seen(3, "lobby-9-1"));
    assert.deepEqual(whats(o), [
      "duplicated: track lobby #2 (unknown) has an alert (lobby-2-1) and is also the seen-again person of lobby-2-1",
      "duplicated: track lobby #3 (unknown) has 2 seen-again updates: lobby-2-1, lobby-9-1",
      "unexpected: track lobby #3 (unknown) is seen again on alert lobby-9-1, which is not an alert of the run",
    ]);
  });

  it("names every dead letter", () => {
    const o = clean();
    o.deadLetters.push({
      subject: "ft.dlq.detections",
      originalSubject: "ft.detections.lobby",
      consumer: "track",
      stage: "handler",
      error: "no server answers requests on ft.embed",
    });
    assert.deepEqual(whats(o), [
      "dead letter: ft.detections.lobby dead-lettered by track (handler): no server answers requests on ft.embed",
    ]);
  });
});
