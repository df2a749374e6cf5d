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

  it("matrix: 4 modes × known/unknown × alert_once (a face that turns out to be someone else)", () => {
    for (const mode of alertModes) {
      for (const once of [true, false]) {
        const rules = new AlertRules({ mode, once });
        const got = [
          rules.decide(identified(1, null)) !== null,
          rules.decide({ ...identified(1, alice), type: "identity_changed" }) !== null,
          rules.decide(identified(2, bob)) !== null,
        ];
        const unknownAlerts = mode === "ON_UNKNOWNS" || mode === "ON_ALL";
        const knownAlerts = mode === "ON_KNOWNS" || mode === "ON_ALL";
        const expected = [unknownAlerts, knownAlerts && (!once || !unknownAlerts), knownAlerts];
        assert.deepEqual(got, expected, `${mode} once=${once}`);
      }
    }
  });

  it("cools down per identity across its tracks; unknown faces are not cooled down", () => {
    const rules = new AlertRules({ mode: "ON_ALL", cooldownMs: 60_000 });
    assert.ok(rules.decide(identified(1, alice), 1_000));
    assert.equal(rules.decide(identified(2, alice), 30_000), null, "alice again within the cooldown");
    assert.ok(rules.decide(identified(3, bob), 30_000), "another identity is not affected");
    assert.ok(rules.decide(identified(4, null), 30_000));
    assert.ok(rules.decide(identified(5, null), 31_000), "unknown faces alert per track");
    assert.ok(rules.decide(identified(6, alice), 61_001), "after the cooldown");
  });

  it("mutes and always-alerts identities by name, whatever the mode (NONE stays silent)", () => {
    const rules = new AlertRules({ mode: "ON_UNKNOWNS", mute: ["bob"], always: ["alice", "bob"] });
    assert.ok(rules.decide(identified(1, alice)), "alice always");
    assert.equal(rules.decide(identified(2, bob)), null, "mute wins over always");
    const muted = new AlertRules({ mode: "ON_ALL", mute: ["alice"] });
    assert.equal(muted.decide(identified(1, alice)), null);
    assert.ok(muted.decide(identified(2, null)));
    const none = new AlertRules({ mode: "NONE", always: ["alice"] });
    assert.equal(none.decide(identified(1, alice)), null);
  });
});
