import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Candidate, TrackIdentity } from "./track-identity.ts";

const alice = (s: number): Candidate => ({ id: "a", name: "alice", similarity: s });
const bob = (s: number): Candidate => ({ id: "b", name: "bob", similarity: s });

describe("TrackIdentity", () => {
  it("names a track after `credence` agreeing embeddings", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 2 });
    let d = t.add([alice(0.7), bob(0.1)]);
    assert.equal(d.identity, null);
    assert.equal(d.settled, false);
    d = t.add([alice(0.68)]);
    assert.deepEqual(d.identity, { id: "a", name: "alice" });
    assert.equal(d.changed, true);
    assert.ok(d.confidence > 0.6);
  });

  it("keeps an unknown face unknown", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 2 });
    for (let i = 0; i < 5; i++) {
      const d = t.add([alice(0.2), bob(0.15)]);
      assert.equal(d.identity, null);
      assert.equal(d.changed, false);
      if (i >= 1) assert.equal(d.settled, true);
    }
  });

  it("keeps the closest identity of an unknown face, with its decayed average similarity", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 2 });
    const none = t.closest;
    assert.equal(none, null, "no candidate before the first embedding");
    t.add([alice(0.3), bob(0.2)]);
    t.add([alice(0.26), bob(0.28)]);
    assert.equal(t.identity, null);
    const closest = t.closest;
    assert.equal(closest?.name, "alice");
    assert.ok(closest && closest.similarity > 0.25 && closest.similarity < 0.3, `${closest?.similarity}`);
    assert.equal(closest?.similarity, t.confidence, "the unknown decision's confidence is the closest's");
    const copy = new TrackIdentity({ threshold: 0.4, credence: 2 });
    copy.restore(t.snapshot());
    assert.deepEqual(copy.closest, closest, "a restored identity has the same closest");
  });

  it("does not switch on one stray embedding (evidence of every embedding counts)", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 3 });
    for (let i = 0; i < 6; i++) t.add([alice(0.65), bob(0.1)]);
    const d = t.add([bob(0.55), alice(0.3)]);
    assert.deepEqual(d.identity, { id: "a", name: "alice" });
    assert.equal(d.changed, false);
  });

  it("switches on consistent evidence", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 2 });
    for (let i = 0; i < 4; i++) t.add([alice(0.65)]);
    let switched = -1;
    for (let i = 0; i < 20 && switched < 0; i++) if (t.add([bob(0.7), alice(0.1)]).changed) switched = i;
    assert.ok(switched > 0, "switches, but not on the first contrary embedding");
    assert.deepEqual(t.identity, { id: "b", name: "bob" });
  });

  it("a low single match never names a track", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 1 });
    assert.equal(t.add([alice(0.39)]).identity, null);
  });

  it("follows a rename", () => {
    const t = new TrackIdentity({ threshold: 0.4, credence: 1 });
    t.add([alice(0.9)]);
    t.rename("a", "alice smith");
    assert.equal(t.identity?.name, "alice smith");
  });
});
