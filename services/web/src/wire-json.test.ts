import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromWireJson, toWireJson } from "./wire-json.ts";

describe("the web API's JSON style", () => {
  it("sends snake_case keys, nested and in arrays, and keeps what a user named under attributes", () => {
    const view = {
      trackId: 3,
      seenAgain: [{ timeMs: 5, alertId: "a" }],
      visitor: { visitsToday: 2 },
      attributes: { badgeNumber: "17", team_name: "ops" },
      name: null,
      jpeg: "base64…",
    };
    assert.deepEqual(toWireJson(view), {
      track_id: 3,
      seen_again: [{ time_ms: 5, alert_id: "a" }],
      visitor: { visits_today: 2 },
      attributes: { badgeNumber: "17", team_name: "ops" },
      name: null,
      jpeg: "base64…",
    });
    assert.deepEqual(fromWireJson(toWireJson(view)), view);
  });

  it("takes request bodies in either style", () => {
    assert.deepEqual(fromWireJson({ alert_id: "x", trackId: 2, force: true }), {
      alertId: "x",
      trackId: 2,
      force: true,
    });
    assert.deepEqual(toWireJson([1, "a", null]), [1, "a", null]);
  });
});
