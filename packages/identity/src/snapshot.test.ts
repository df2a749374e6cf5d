import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReidScheduler, type ReidSchedulerSnapshot } from "./reid-scheduler.ts";
import { type Candidate, TrackIdentity, type TrackIdentitySnapshot } from "./track-identity.ts";

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("identity snapshots", () => {
  it("a restored ReidScheduler keeps its backoff (and a fresh one's undefined last frame)", () => {
    const options = { maxGap: 16, enabled: true };
    const fresh = new ReidScheduler(options);
    const restoredFresh = new ReidScheduler(options);
    restoredFresh.restore(roundTrip(fresh.snapshot()));
    assert.equal(restoredFresh.isDue(0), true);

    const s = new ReidScheduler(options);
    for (const frame of [0, 1, 3, 7]) s.recordEmbedding(frame);
    s.recordEmbedding(15, "unknown");
    const r = new ReidScheduler(options);
    r.restore(roundTrip(s.snapshot()));
    for (let frame = 15; frame < 60; frame++) {
      assert.equal(r.isDue(frame), s.isDue(frame), `frame ${frame}`);
      if (s.isDue(frame)) {
        s.recordEmbedding(frame);
        r.recordEmbedding(frame);
      }
    }
    assert.deepEqual(r.snapshot(), s.snapshot());
  });

  it("a restored TrackIdentity decides exactly as the original on the same evidence", () => {
    const options = { threshold: 0.4, credence: 3 };
    const script: Candidate[][] = [
      [{ id: "a", name: "alice", similarity: 0.62 }],
      [
        { id: "b", name: "bob", similarity: 0.3 },
        { id: "a", name: "alice", similarity: 0.5 },
      ],
      [{ id: "a", name: "alice", similarity: 0.55 }],
      [{ id: "b", name: "bob", similarity: 0.8 }],
      [{ id: "b", name: "bob", similarity: 0.81 }],
      [{ id: "b", name: "bob", similarity: 0.79 }],
      [],
      [{ id: "b", name: "robert", similarity: 0.8 }],
    ];
    const original = new TrackIdentity(options);
    for (const candidates of script.slice(0, 4)) original.add(candidates);
    const restored = new TrackIdentity(options);
    restored.restore(roundTrip(original.snapshot()));
    for (const candidates of script.slice(4)) {
      assert.deepEqual(restored.add(candidates), original.add(candidates));
    }
    assert.deepEqual(restored.identity, { id: "b", name: "bob" });
    assert.deepEqual(restored.snapshot(), original.snapshot());
  });

  it("refuses snapshots of another format version", () => {
    const s = new ReidScheduler({ maxGap: 8, enabled: true });
    assert.throws(
      () => s.restore({ ...s.snapshot(), v: 2 } as unknown as ReidSchedulerSnapshot),
      /ReidScheduler snapshot: unsupported format version 2/,
    );
    const t = new TrackIdentity({ threshold: 0.4, credence: 2 });
    assert.throws(
      () => t.restore({ v: 0 } as unknown as TrackIdentitySnapshot),
      /TrackIdentity snapshot: unsupported format version 0/,
    );
  });
});
