import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameSnapshotPairer, type PairingPolicy } from "./frame-snapshot-pairer.ts";
import type { ClipTrack, FrameTracks } from "./frame-tracks.ts";
import { LIVE_PAIRING } from "./live-annotator.ts";

const T0 = 1_700_000_000_000;
/** Frame `seq` of a 10 fps camera. */
const frame = (seq: number) => ({ seq, timeMs: T0 + seq * 100 });
type TestFrame = ReturnType<typeof frame>;
const track = (over: Partial<ClipTrack>): ClipTrack => ({
  trackId: 1,
  state: "confirmed",
  box: [10, 10, 50, 50],
  identity: null,
  similarity: 0,
  ...over,
});
const snapshot = (seq: number, tracks: ClipTrack[] = [track({})]): FrameTracks => ({
  seq,
  timeMs: T0 + seq * 100,
  tracks,
});
/** The restream's pairer, with some of its policy changed. */
const live = (policy: PairingPolicy = {}) =>
  new FrameSnapshotPairer<TestFrame, FrameTracks>({ ...LIVE_PAIRING, ...policy });

describe("FrameSnapshotPairer with the restream's policy (LIVE_PAIRING)", () => {
  it("holds a frame until its own snapshot comes, then releases it with that snapshot", () => {
    const pairer = live({ waitMs: 300 });
    assert.deepEqual(pairer.addFrame(frame(1), 0), []);
    assert.deepEqual(pairer.addFrame(frame(2), 100), []);
    assert.equal(pairer.pending, 2);
    const out = pairer.addSnapshot(snapshot(1));
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [[1, "exact", 1]],
    );
    assert.equal(pairer.pending, 1);
  });

  it("releases a frame at once when its snapshot came first", () => {
    const pairer = live();
    pairer.addSnapshot(snapshot(5));
    const [paired] = pairer.addFrame(frame(5), 0);
    assert.equal(paired?.pairing, "exact");
  });

  it("a frame whose snapshot was passed (a later one came) takes the nearest one, without waiting", () => {
    const pairer = live({ waitMs: 300 });
    pairer.addFrame(frame(1), 0);
    pairer.addFrame(frame(2), 100);
    const out = pairer.addSnapshot(snapshot(2));
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [
        [1, "nearest", 2],
        [2, "exact", 2],
      ],
    );
  });

  it("past its wait a frame goes with the nearest snapshot in time, or none when all are stale", () => {
    const pairer = live({ waitMs: 300, staleMs: 1000 });
    pairer.addSnapshot(snapshot(1));
    pairer.addFrame(frame(4), 1000);
    pairer.addFrame(frame(30), 1100);
    assert.equal(pairer.nextDeadline, 1300);
    assert.deepEqual(pairer.expire(1299), []);
    const out = pairer.expire(1400);
    assert.deepEqual(
      out.map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq]),
      [
        [4, "nearest", 1],
        [30, "none", undefined],
      ],
    );
    assert.equal(pairer.nextDeadline, undefined);
  });

  it("pairs by capture time too: a snapshot of another run with the same seq is not the frame's own", () => {
    const pairer = live({ waitMs: 300 });
    pairer.addSnapshot({ seq: 3, timeMs: T0 - 60_000, tracks: [] });
    assert.deepEqual(pairer.addFrame(frame(3), 0), [], "waits for its own");
    const [paired] = pairer.expire(300);
    assert.equal(paired?.pairing, "none");
  });

  it("never holds more than maxPending frames", () => {
    const pairer = live({ maxPending: 2 });
    pairer.addFrame(frame(1), 0);
    pairer.addFrame(frame(2), 0);
    const out = pairer.addFrame(frame(3), 0);
    assert.deepEqual(
      out.map((p) => p.frame.seq),
      [1],
    );
    assert.equal(pairer.pending, 2);
    assert.deepEqual(
      pairer.flush().map((p) => p.frame.seq),
      [2, 3],
    );
  });
});

describe("FrameSnapshotPairer with the default policy (the clips': wait until settled)", () => {
  it("a frame waits until its own snapshot or a later one came, then gets its own or none", () => {
    const pairer = new FrameSnapshotPairer<TestFrame, FrameTracks>();
    assert.deepEqual(pairer.addFrame(frame(1), 0), []);
    assert.deepEqual(pairer.addFrame(frame(2), 0), []);
    assert.equal(pairer.nextDeadline, undefined, "no deadline: frames wait for their snapshot");
    assert.deepEqual(pairer.expire(1e12), []);
    assert.equal(pairer.settled(frame(1)), false);
    assert.deepEqual(
      pairer.addSnapshot(snapshot(2)).map((p) => [p.frame.seq, p.pairing, p.snapshot?.seq ?? null]),
      [
        [1, "none", null],
        [2, "exact", 2],
      ],
    );
    assert.equal(pairer.settled(frame(1)), true, "passed");
    assert.equal(pairer.settled(frame(2)), true, "came");
    assert.equal(pairer.settled(frame(3)), false);
  });

  it("keeps snapshots that came ahead of their frames, and flush decides the rest", () => {
    const pairer = new FrameSnapshotPairer<TestFrame, FrameTracks>();
    for (let seq = 1; seq <= 5; seq++) pairer.addSnapshot(snapshot(seq));
    assert.equal(pairer.addFrame(frame(3), 0)[0]?.pairing, "exact");
    assert.deepEqual(pairer.addFrame(frame(6), 0), []);
    assert.deepEqual(
      pairer.flush().map((p) => [p.frame.seq, p.snapshot]),
      [[6, null]],
    );
  });
});

describe("FrameSnapshotPairer with an idle limit (the web page's policy)", () => {
  const web = () =>
    new FrameSnapshotPairer<TestFrame, FrameTracks>({ maxPending: 90, keepSnapshots: 30, idleAfterMs: 2000 });

  it("frames do not wait while no snapshot came for idleAfterMs", () => {
    const pairer = web();
    assert.equal(pairer.tracking(0), false);
    assert.deepEqual(
      pairer.addFrame(frame(1), 0).map((p) => [p.frame.seq, p.pairing]),
      [[1, "none"]],
    );
    pairer.addSnapshot(snapshot(1), 100);
    assert.equal(pairer.tracking(2099), true);
    assert.deepEqual(pairer.addFrame(frame(2), 500), [], "tracking: frame 2 waits");
    assert.deepEqual(
      pairer.addFrame(frame(3), 2100).map((p) => [p.frame.seq, p.pairing]),
      [
        [2, "none"],
        [3, "none"],
      ],
      "idle again: every waiting frame is decided",
    );
  });

  it("a frame of the same seq and time as a snapshot is paired even when capture times are all 0", () => {
    const pairer = web();
    const zero = (seq: number) => ({ seq, timeMs: 0 });
    pairer.addSnapshot({ ...zero(1), tracks: [] }, 0);
    pairer.addFrame(zero(2), 10);
    pairer.addFrame(zero(3), 20);
    assert.deepEqual(
      pairer.addSnapshot({ ...zero(3), tracks: [] }, 30).map((p) => [p.frame.seq, p.pairing]),
      [
        [2, "none"],
        [3, "exact"],
      ],
    );
  });

  it("reset forgets the waiting frames and the snapshots", () => {
    const pairer = web();
    pairer.addSnapshot(snapshot(4), 0);
    pairer.addFrame(frame(5), 0);
    pairer.reset();
    assert.equal(pairer.pending, 0);
    assert.deepEqual(pairer.addFrame(frame(4), 10), [], "its snapshot was forgotten: it waits");
  });
});
