import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Alert, AlertUpdate, TrackEvent, TrackEventType } from "@facetracker/proto";
import { MAX_FUTURE_SKEW_MS, MESSAGE_CHECKS } from "./message-checks.ts";

const NOW = Date.UTC(2026, 11, 6, 12);
const checkTrack = MESSAGE_CHECKS.tracks as NonNullable<typeof MESSAGE_CHECKS.tracks>;
const checkAlert = MESSAGE_CHECKS.alerts as NonNullable<typeof MESSAGE_CHECKS.alerts>;
const event = (fields: Partial<TrackEvent>) =>
  TrackEvent.fromPartial({
    camera: "door",
    trackId: 3,
    type: TrackEventType.IDENTIFIED,
    timeMs: NOW,
    ...fields,
  });

describe("message sanity checks (what no stage of the pipeline produces)", () => {
  it("passes what the track service publishes, a capture time a little ahead included (clock drift)", () => {
    assert.equal(checkTrack(event({}), "ft.tracks.door", NOW), undefined);
    assert.equal(checkTrack(event({ timeMs: NOW + MAX_FUTURE_SKEW_MS }), "ft.tracks.door", NOW), undefined);
    const named = event({ identity: { id: "p1", name: "Zoë O'Brien", attributes: {}, similarity: 0.5 } });
    assert.equal(checkTrack(named, "ft.tracks.door", NOW), undefined);
  });

  it("refuses absurd track IDs, far-future capture times, control characters and another camera's subject, saying why", () => {
    assert.match(
      checkTrack(event({ trackId: 4_000_000_000 }), "ft.tracks.door", NOW) ?? "",
      /^track ID 4000000000 is beyond 2147483647$/,
    );
    assert.match(
      checkTrack(event({ timeMs: NOW + 10 * 365 * 86_400_000 }), "ft.tracks.door", NOW) ?? "",
      /^capture time 2036-.* is more than 5 minutes ahead of this host's clock \(2026-12-06T12:00:00\.000Z\)$/,
    );
    const html = event({ identity: { id: "p1", name: "<b>x</b>\n", attributes: {}, similarity: 0.5 } });
    assert.match(
      checkTrack(html, "ft.tracks.door", NOW) ?? "",
      /identity name "<b>x<\/b>\\n" has control characters/,
    );
    assert.match(checkTrack(event({}), "ft.tracks.yard", NOW) ?? "", /another camera's subject/);
    const alert = Alert.fromPartial({ id: "a\u0000", camera: "door", trackId: 1, timeMs: NOW });
    assert.match(
      checkAlert(alert, "ft.alerts.door", NOW) ?? "",
      /alert ID "a\\u0000" has control characters/,
    );
  });

  it("checks a seen-again update like an alert: its camera, track, time, names and alert ID", () => {
    const check = MESSAGE_CHECKS.alert_updates as NonNullable<typeof MESSAGE_CHECKS.alert_updates>;
    const update = (fields: Partial<AlertUpdate>) =>
      AlertUpdate.fromPartial({ alertId: "door-1-5", camera: "hall", trackId: 2, timeMs: NOW, ...fields });
    assert.equal(check(update({}), "ft.alert_updates.hall", NOW), undefined);
    assert.match(check(update({}), "ft.alert_updates.door", NOW) ?? "", /another camera's subject/);
    assert.match(
      check(update({ alertId: "x\u0007" }), "ft.alert_updates.hall", NOW) ?? "",
      /control characters/,
    );
    assert.match(check(update({ trackId: 2 ** 31 }), "ft.alert_updates.hall", NOW) ?? "", /track ID/);
  });
});
