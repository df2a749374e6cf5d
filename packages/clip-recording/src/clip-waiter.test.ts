import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClipWaiter } from "./clip-waiter.ts";

describe("ClipWaiter", () => {
  it("hands a waiting alert its clip URL, remembers clips that came first, and times out", async () => {
    const clips = new ClipWaiter();
    const waiting = clips.wait("a1", 5000);
    clips.ready(["a1", "a2"], "file:///clips/x.mp4");
    assert.equal(await waiting, "file:///clips/x.mp4");
    assert.equal(await clips.wait("a2", 0), "file:///clips/x.mp4", "a clip that came before the wait");
    assert.equal(await clips.wait("a3", 20), undefined, "no clip in time");
  });

  it("forgets clips older than keepMs and ends waits on cancelAll", async () => {
    const clips = new ClipWaiter({ keepMs: 1000 });
    clips.ready(["old"], "u1", 0);
    clips.ready(["new"], "u2", 5000);
    assert.equal(await clips.wait("old", 0), undefined);
    assert.equal(await clips.wait("new", 0), "u2");
    const pending = clips.wait("never", 60_000);
    clips.cancelAll();
    assert.equal(await pending, undefined);
  });
});
