import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Alert, AlertUpdate } from "@facetracker/proto";
import { alertWho, seenAgainLine } from "./up-printers.ts";

describe("facetracker up's lines", () => {
  it("says who an alert's face is, and which identity an unknown face came closest to", () => {
    const amy = { id: "a", name: "amy", similarity: 0.71, attributes: {} };
    assert.equal(alertWho(Alert.fromPartial({ identity: amy, similarity: 0.71 })), "amy (0.71)");
    assert.equal(
      alertWho(Alert.fromPartial({ closest: { id: "o", name: "obama", similarity: 0.281, attributes: {} } })),
      "unknown face — closest: obama 0.28",
    );
    assert.equal(alertWho(Alert.fromPartial({})), "unknown face");
    assert.equal(
      alertWho(Alert.fromPartial({ visitorId: 17, visitorVisits: 5, visitorVisitsToday: 3 })),
      "unknown visitor #17, third visit today",
    );
  });

  it("prints a seen-again update with the alert it belongs to and why", () => {
    const timeMs = Date.UTC(2026, 0, 31, 12, 0, 5);
    const face = AlertUpdate.fromPartial({
      alertId: "door-1-100",
      camera: "hall",
      trackId: 7,
      timeMs,
      reason: "same_face",
      similarity: 0.834,
    });
    assert.equal(
      seenAgainLine(face),
      "SEEN   hall #7: unknown face, seen again: alert door-1-100 (same face, 0.83) at 2026-01-31T12:00:05.000Z",
    );
    const amy = { id: "a", name: "amy", similarity: 0.7, attributes: {} };
    assert.match(
      seenAgainLine({ ...face, identity: amy, reason: "cooldown" }),
      /^SEEN {3}hall #7: amy, seen again: alert door-1-100 \(within the cooldown\)/,
    );
    assert.match(
      seenAgainLine({ ...face, visitorId: 17, reason: "visitor", similarity: 0 }),
      /^SEEN {3}hall #7: unknown visitor #17, seen again: alert door-1-100 \(the same visitor\)/,
    );
  });
});
