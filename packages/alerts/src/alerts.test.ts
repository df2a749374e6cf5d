import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlertMode, AlertRules, alertModes } from "./alert-rules.ts";
import { type FrameLike, type TrackEvent, TrackEventDeriver, type TrackLike } from "./track-events.ts";

const box: [number, number, number, number] = [0, 0, 10, 10];
const alice = { id: "a", name: "alice", similarity: 0.7 };
const bob = { id: "b", name: "bob", similarity: 0.6 };
const track = (trackId: number, over: Partial<TrackLike> = {}): TrackLike => ({
  trackId,
  state: "confirmed",
  box,
  identity: null,
  identitySettled: false,
  ...over,
});
const frame = (index: number, tracks: TrackLike[], ended: number[] = []): FrameLike => ({
  index,
  pts: index / 10,
  tracks,
  ended,
});

describe("TrackEventDeriver", () => {
  it("turns per-frame results into confirmed, identified, changed, lost, found and ended events", () => {
    const d = new TrackEventDeriver();
    const seq = [
      frame(0, [track(0, { state: "tentative" })]),
      frame(1, [track(1)]),
      frame(2, [track(1, { identity: alice })]),
      frame(3, [track(1, { identity: alice, identitySettled: true })]),
      frame(4, [track(1, { identity: alice, identitySettled: true, state: "lost" })]),
      frame(5, [track(1, { identity: alice, identitySettled: true })]),
      frame(6, [track(1, { identity: bob, identitySettled: true })]),
      frame(7, [], [1]),
    ];
    const events = seq.flatMap((f) =>
      d.next(f).map((e) => `${e.frame}:${e.type}:${e.trackId}:${e.identity?.name ?? "-"}`),
    );
    assert.deepEqual(events, [
      "1:confirmed:1:-",
      "3:identified:1:alice",
      "4:lost:1:alice",
      "5:found:1:alice",
      "6:identity_changed:1:bob",
      "7:ended:1:bob",
    ]);
  });

  it("an unknown face is identified as unknown once settled", () => {
    const d = new TrackEventDeriver();
    d.next(frame(0, [track(4)]));
    const [e] = d.next(frame(1, [track(4, { identitySettled: true })]));
    assert.equal(e?.type, "identified");
    assert.equal(e?.identity, null);
  });
});

describe("AlertRules", () => {
  const identified = (trackId: number, identity: TrackEvent["identity"]): TrackEvent => ({
    type: "identified",
    trackId,
    frame: 3,
    pts: 0.3,
    box,
    identity,
  });

  it("applies the four modes to known and unknown faces", () => {
    const expected: Record<AlertMode, [boolean, boolean]> = {
      NONE: [false, false],
      ON_UNKNOWNS: [false, true],
      ON_KNOWNS: [true, false],
      ON_ALL: [true, true],
    };
    for (const mode of alertModes) {
      const rules = new AlertRules({ mode });
      assert.deepEqual(
        [rules.decide(identified(1, alice)) !== null, rules.decide(identified(2, null)) !== null],
        expected[mode],
        mode,
      );
    }
  });

  it("alerts once per track unless told otherwise, and never before the identity settles", () => {
    const once = new AlertRules({ mode: "ON_ALL" });
    assert.equal(once.decide({ ...identified(1, null), type: "confirmed" }), null);
    assert.ok(once.decide(identified(1, null)));
    assert.equal(once.decide({ ...identified(1, alice), type: "identity_changed" }), null);
    const every = new AlertRules({ mode: "ON_ALL", once: false });
    assert.ok(every.decide(identified(1, null)));
    assert.ok(every.decide({ ...identified(1, alice), type: "identity_changed" }));
  });
});
