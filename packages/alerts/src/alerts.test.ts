import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlertMode, AlertRules, alertModes } from "./alert-rules.ts";
import { type RecentFace, RecentFaces, recentFaceFromJson, recentFaceToJson } from "./recent-faces.ts";
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

  /** A unit vector of 4 along axis `i`, tilted towards axis 3 by `tilt` radians. */
  const face = (i: number, tilt = 0) => {
    const v = new Float32Array(4);
    v[i] = Math.cos(tilt);
    v[3] = Math.sin(tilt);
    return v;
  };
  const seen = (trackId: number, identity: TrackEvent["identity"], embedding: Float32Array): TrackEvent => ({
    ...identified(trackId, identity),
    frame: trackId * 10,
    embedding,
  });

  it("one alert per unknown person: a new track with a recently alerted face is that alert's person seen again", () => {
    const rules = new AlertRules({ mode: "ON_ALL", camera: "door", unknownCooldownMs: 300_000 });
    const first = rules.decide(seen(1, null, face(0)), 1_000);
    assert.equal(first?.id, "door-1-10");
    const again = rules.judge(seen(2, null, face(0, 0.4)), 60_000);
    assert.equal(again.outcome?.kind, "seen_again");
    if (again.outcome?.kind !== "seen_again") return;
    assert.equal(again.outcome.seenAgain.alert.id, "door-1-10");
    assert.equal(again.outcome.seenAgain.reason, "same_face");
    assert.ok(Math.abs(again.outcome.seenAgain.similarity - Math.cos(0.4)) < 1e-6);
    assert.equal(again.face?.alert?.id, "door-1-10", "the new track's face belongs to the same alert");
    assert.deepEqual(rules.judge(seen(2, null, face(0, 0.4)), 60_000), again, "judge changes nothing");
    assert.equal(rules.decide(seen(2, null, face(0, 0.4)), 60_000), null);
    assert.equal(rules.decide(seen(2, null, face(0, 0.4)), 60_000), null, "the same event again: nothing");
    assert.ok(rules.decide(seen(3, null, face(1)), 61_000), "another face alerts");
    assert.ok(
      rules.decide(seen(4, null, face(0)), 60_000 + 300_001),
      "not seen for the whole cooldown: alerts",
    );
  });

  it("one alert per visitor: an unknown face of the visitor an alert named is that alert's person seen again", () => {
    const memory = new RecentFaces({ keepMs: 600_000 });
    const rules = new AlertRules({ mode: "ON_UNKNOWNS", camera: "door", unknownCooldownMs: 600_000, memory });
    const first = rules.judge(seen(1, null, face(0)), 1_000, { visitor: 17 });
    assert.equal(first.outcome?.kind, "alert");
    assert.equal(first.face?.alert?.visitor, 17);
    if (first.face) memory.remember(first.face);
    // A face unlike the alert's (profile, say) that the face memory knows as visitor #17: seen again.
    const again = rules.judge(seen(2, null, face(1)), 300_000, { visitor: 17 });
    assert.equal(again.outcome?.kind, "seen_again");
    if (again.outcome?.kind !== "seen_again") return;
    assert.equal(again.outcome.seenAgain.alert.id, "door-1-10");
    assert.equal(again.outcome.seenAgain.reason, "visitor");
    // Without the visitor (no face memory) the same face is a new alert; so is another visitor, and #17
    // after the cooldown.
    assert.equal(rules.judge(seen(2, null, face(1)), 300_000).outcome?.kind, "alert");
    assert.equal(rules.judge(seen(2, null, face(1)), 300_000, { visitor: 18 }).outcome?.kind, "alert");
    assert.equal(rules.judge(seen(2, null, face(1)), 700_000, { visitor: 17 }).outcome?.kind, "alert");
    // A known face is no visitor's.
    assert.equal(rules.judge(seen(3, alice, face(0)), 300_000, { visitor: 17 }).face?.visitor, undefined);
    // Kept across a restart (the KV bucket's JSON).
    const restored = recentFaceFromJson(
      JSON.parse(JSON.stringify(recentFaceToJson(first.face as RecentFace))),
    );
    assert.equal(restored.visitor, 17);
    assert.equal(restored.alert?.visitor, 17);
  });

  it("an unknown face stays recent until its track ends, and cameras sharing a memory share it", () => {
    const memory = new RecentFaces({ keepMs: 300_000 });
    const door = new AlertRules({ mode: "ON_UNKNOWNS", camera: "door", unknownCooldownMs: 300_000, memory });
    const hall = new AlertRules({ mode: "ON_UNKNOWNS", camera: "hall", unknownCooldownMs: 300_000, memory });
    assert.ok(door.decide(seen(1, null, face(2)), 0));
    door.decide({ ...identified(1, null), type: "ended", frame: 900 }, 600_000);
    const later = hall.judge(seen(1, null, face(2)), 850_000);
    assert.equal(later.outcome?.kind, "seen_again", "250 s after the track ended, on another camera");
    assert.equal(hall.decide(seen(1, null, face(2)), 850_000), null);
    assert.equal(memory.get("hall", 1)?.alert?.id, "door-1-10");
  });

  it("known people: the cooldown holds across tracks and cameras, as seen-again updates", () => {
    const memory = new RecentFaces({ keepMs: 60_000 });
    const door = new AlertRules({ mode: "ON_ALL", camera: "door", cooldownMs: 60_000, memory });
    const hall = new AlertRules({ mode: "ON_ALL", camera: "hall", cooldownMs: 60_000, memory });
    assert.ok(door.decide(seen(1, alice, face(0)), 1_000));
    const judged = hall.judge(seen(5, alice, face(1)), 30_000);
    assert.equal(judged.outcome?.kind, "seen_again");
    if (judged.outcome?.kind === "seen_again") {
      assert.deepEqual(
        [judged.outcome.seenAgain.reason, judged.outcome.seenAgain.alert.id, judged.outcome.seenAgain.camera],
        ["cooldown", "door-1-10", "hall"],
      );
    }
    assert.ok(hall.decide(seen(6, alice, face(1)), 61_001), "after the cooldown");
  });

  it("a track alerted as unknown that turns out to be someone keeps that person from alerting again", () => {
    const rules = new AlertRules({ mode: "ON_ALL", camera: "door", cooldownMs: 300_000 });
    assert.ok(rules.decide(seen(1, null, face(0)), 1_000));
    assert.equal(
      rules.decide({ ...seen(1, alice, face(0)), type: "identity_changed", frame: 20 }, 2_000),
      null,
    );
    const named = rules.judge(seen(2, alice, face(0)), 20_000);
    assert.equal(named.outcome?.kind, "seen_again");
  });

  it("a track ID used again (the pipeline's state wiped) is a new track, not the old one", () => {
    const rules = new AlertRules({ mode: "ON_ALL", camera: "door" });
    assert.ok(rules.decide(seen(1, null, face(0)), 1_000));
    assert.ok(rules.decide({ ...seen(1, null, face(1)), frame: 3 }, 90_000), "identified again: a new track");
  });

  it("an unknown alert says which identity the face came closest to", () => {
    const rules = new AlertRules({ mode: "ON_UNKNOWNS" });
    const closest = { id: "o", name: "obama", similarity: 0.28 };
    assert.deepEqual(rules.decide({ ...identified(1, null), closest })?.closest, closest);
    assert.equal(
      new AlertRules({ mode: "ON_ALL" }).decide({ ...identified(2, alice), closest })?.closest,
      undefined,
    );
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
