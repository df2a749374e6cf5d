import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClipPlanner, clipRolls, clipWindow, type FrameVerdict, type PlannedClip } from "./clip-planner.ts";

const T0 = 1_700_000_000_000;
/** Trigger of alert `id` on frame `seq` of a 10 fps camera whose frame 1 was captured at T0. */
const trigger = (id: string, seq: number) => ({ alertId: id, seq, timeMs: T0 + (seq - 1) * 100 });
/** Offers frames first..last (10 fps, same clock as trigger) and returns the verdicts by seq. */
function offerRange(clip: PlannedClip, first: number, last: number): Map<number, FrameVerdict> {
  const verdicts = new Map<number, FrameVerdict>();
  for (let seq = first; seq <= last; seq++)
    verdicts.set(seq, clip.offer({ seq, timeMs: T0 + (seq - 1) * 100 }));
  return verdicts;
}
const taken = (verdicts: Map<number, FrameVerdict>) =>
  [...verdicts].filter(([, v]) => v === "take").map(([seq]) => seq);

describe("clip windows", () => {
  it("splits a clip into half before the trigger and half from it on", () => {
    assert.deepEqual(clipRolls(100), { preRoll: 50, postRoll: 50 });
    assert.deepEqual(clipRolls(7), { preRoll: 3, postRoll: 4 });
    assert.deepEqual(clipRolls(1), { preRoll: 0, postRoll: 1 });
    assert.deepEqual(clipWindow(200, 100), { firstSeq: 150, lastSeq: 249 });
    assert.deepEqual(clipWindow(20, 100), { firstSeq: 1, lastSeq: 69 }, "frames are numbered from 1");
  });

  it("refuses a clip length that is not a positive integer", () => {
    assert.throws(() => clipRolls(0), /positive integer/);
    assert.throws(() => clipRolls(2.5), /positive integer/);
    assert.throws(() => new ClipPlanner({ clipFrames: 10, maxFrames: 5 }), /maxFrames/);
  });
});

describe("ClipPlanner", () => {
  it("opens a clip per alert and takes exactly the frames of its window", () => {
    const planner = new ClipPlanner({ clipFrames: 20 });
    const { clip, kind } = planner.place("door", trigger("a", 15));
    assert.equal(kind, "opened");
    assert.equal(clip.firstSeq, 5);
    assert.equal(clip.lastSeq, 24);
    const verdicts = offerRange(clip, 1, 30);
    assert.deepEqual(
      taken(verdicts),
      Array.from({ length: 20 }, (_, i) => 5 + i),
    );
    assert.equal(verdicts.get(4), "skip");
    assert.equal(verdicts.get(25), "complete", "the first frame past the window closes it");
  });

  it("extends an open clip with an alert whose trigger falls inside its window", () => {
    const planner = new ClipPlanner({ clipFrames: 20 });
    const first = planner.place("door", trigger("a", 15)).clip;
    const second = planner.place("door", trigger("b", 25));
    assert.equal(second.kind, "opened", "frame 25 is past the window [5, 24]");
    const third = planner.place("door", trigger("c", 20));
    assert.equal(third.kind, "joined", "its post-roll [20, 29] is inside the second clip's window [15, 34]");
    assert.equal(third.clip, second.clip, "the most recent clip containing the trigger takes it");
    const fourth = planner.place("door", trigger("d", 30));
    assert.equal(fourth.kind, "extended");
    assert.equal(second.clip.lastSeq, 39);
    assert.equal(first.lastSeq, 24);

    const busy = new ClipPlanner({ clipFrames: 20 });
    const clip = busy.place("door", trigger("a", 15)).clip;
    assert.equal(busy.place("door", trigger("b", 24)).kind, "extended");
    assert.equal(clip.lastSeq, 33);
    assert.equal(busy.place("door", trigger("c", 10)).kind, "joined", "its post-roll is already inside");
    assert.equal(clip.lastSeq, 33);
    assert.deepEqual(
      clip.triggers.map((t) => t.alertId),
      ["a", "b", "c"],
    );
    assert.equal(clip.first.alertId, "a");
  });

  it("caps a clip that alerts keep extending, then starts the next one", () => {
    const planner = new ClipPlanner({ clipFrames: 20 }); // at most 60 frames: [5, 64]
    const clip = planner.place("door", trigger("a", 15)).clip;
    for (let seq = 20, i = 0; seq <= 60; seq += 5, i++) planner.place("door", trigger(`x${i}`, seq));
    assert.equal(clip.lastSeq, 64);
    assert.equal(clip.windowFrames, 60);
    assert.equal(planner.place("door", trigger("late", 64)).kind, "joined", "inside, but the cap is reached");
    const next = planner.place("door", trigger("next", 65));
    assert.equal(next.kind, "opened");
    assert.deepEqual(taken(offerRange(clip, 1, 70)).length, 60);
  });

  it("keeps cameras apart, recognises a repeated alert and forgets closed clips", () => {
    const planner = new ClipPlanner({ clipFrames: 20 });
    const door = planner.place("door", trigger("a", 15)).clip;
    const yard = planner.place("yard", trigger("b", 15));
    assert.equal(yard.kind, "opened");
    assert.notEqual(yard.clip, door);
    assert.equal(planner.place("door", trigger("a", 15)).kind, "repeated");
    assert.equal(planner.openClips().length, 2);
    planner.close(door);
    planner.close(door);
    assert.equal(door.open, false);
    assert.deepEqual(planner.openClips("door"), []);
    assert.equal(planner.place("door", trigger("c", 16)).kind, "opened", "a closed clip takes no alert");
    assert.throws(() => planner.place("door", trigger("d", 0)), /positive integer/);
  });

  it("does not mistake frames of an earlier run of the source for the end of the window", () => {
    const planner = new ClipPlanner({ clipFrames: 20 });
    const clip = planner.place("door", trigger("a", 15)).clip;
    // The stream still holds frames 5000…5002 of the previous run, captured before this run started.
    assert.equal(clip.offer({ seq: 5000, timeMs: T0 - 3000 }), "skip");
    assert.equal(clip.offer({ seq: 5001, timeMs: T0 - 2900 }), "skip");
    assert.deepEqual(taken(offerRange(clip, 1, 24)).length, 20);
  });

  it("closes the clip when the source restarts mid-clip (numbers go back, time goes on)", () => {
    const planner = new ClipPlanner({ clipFrames: 20 });
    const clip = planner.place("door", trigger("a", 15)).clip;
    assert.deepEqual(taken(offerRange(clip, 1, 18)).length, 14);
    assert.equal(clip.offer({ seq: 18, timeMs: T0 + 1700 }), "skip", "a repeated frame is skipped");
    assert.equal(clip.offer({ seq: 1, timeMs: T0 + 5000 }), "complete");
    assert.deepEqual(clip.lastTaken, { seq: 18, timeMs: T0 + 1700 });
  });
});
