import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backDue, backMessage, formatDuration, offlineDueMs, offlineMessage } from "./camera-offline.ts";

const down = { state: "reconnecting", sinceMs: 10_000, lastError: "connection refused" };

describe("camera offline notifications (camera_offline_alert_s)", () => {
  it("notifies an outage once it has lasted the threshold, once per outage, never when off", () => {
    assert.equal(offlineDueMs(down, 60_000, undefined), 70_000);
    assert.equal(offlineDueMs(down, 0, undefined), undefined, "0 = off");
    assert.equal(offlineDueMs({ ...down, state: "up" }, 60_000, undefined), undefined);
    assert.equal(offlineDueMs({ ...down, state: "connecting" }, 60_000, undefined), undefined);
    assert.equal(offlineDueMs(down, 60_000, { sinceMs: 10_000, backSent: false }), undefined, "sent already");
    assert.equal(offlineDueMs(down, 60_000, { sinceMs: 1_000, backSent: true }), 70_000, "a new outage");
  });

  it("tells the return only after an outage that was notified, once", () => {
    const up = { state: "up", sinceMs: 200_000, lastError: "connection refused" };
    assert.equal(backDue(up, undefined), false);
    assert.equal(backDue(up, { sinceMs: 10_000, backSent: false }), true);
    assert.equal(backDue(up, { sinceMs: 10_000, backSent: true }), false);
    assert.equal(backDue(down, { sinceMs: 10_000, backSent: false }), false);
  });

  it("says which camera, since when, for how long and why", () => {
    const { title, body } = offlineMessage("door", down, 10_000 + 260_000);
    assert.equal(title, "Camera door offline");
    assert.equal(
      body,
      "Camera **door** has been down for 4 min 20 s (since 1970-01-01T00:00:10.000Z): connection refused. It is retried until it is back.",
    );
    const back = backMessage(
      "door",
      { sinceMs: 10_000, backSent: false },
      { ...down, state: "up", sinceMs: 7_510_000 },
    );
    assert.equal(back.title, "Camera door back");
    assert.match(back.body, /after 2 h 5 min down\.$/);
    assert.deepEqual(
      [formatDuration(12_000), formatDuration(120_000), formatDuration(3_600_000)],
      ["12 s", "2 min", "1 h"],
    );
  });
});
