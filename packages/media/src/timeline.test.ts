import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { abortableSleep as sleep } from "@facetracker/infra";
import { reconnectDelayMs } from "./reconnect.ts";
import { Timeline } from "./timeline.ts";

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

describe("Timeline", () => {
  it("starts at 0 whatever the first timestamp", () => {
    const timeline = new Timeline(25);
    assert.deepEqual(
      [5, 5.04, 5.08].map((s, i) => timeline.map(s, i * 40)),
      [0, 5.04 - 5, 5.08 - 5],
    );
  });

  it("keeps a file's first frame in its place when frames are missing at the head (stream start given)", () => {
    // The stream starts at 5 s; its first 0.2 s did not decode.
    near(new Timeline(25, 5).map(5.2, 0), 0.2);
    // A first frame at the stream's start (or within a frame interval of it) is 0 as always.
    assert.equal(new Timeline(25, 5).map(5, 0), 0);
    assert.equal(new Timeline(25, 5).map(5.02, 0), 0);
  });

  it("continues after a reconnect from the last frame plus the time away", () => {
    const timeline = new Timeline(10);
    timeline.map(100, 0);
    timeline.map(100.1, 100);
    timeline.startSegment();
    // The new run restarts its clock at 0, 2.5 s (wall clock) after the last frame.
    near(timeline.map(0, 2600), 0.1 + 2.5);
    near(timeline.map(0.1, 2700), 0.1 + 2.5 + 0.1);
    timeline.startSegment();
    // Back at once: at least one frame interval later.
    near(timeline.map(7, 2700), 2.7 + 0.1);
  });

  it("never goes back: a backwards jump restarts one interval after the last frame", () => {
    const timeline = new Timeline(10);
    const out = [10, 10.1, 3, 3.1].map((s, i) => timeline.map(s, i * 100));
    assert.deepEqual(
      out.map((v) => Math.round(v * 1000) / 1000),
      [0, 0.1, 0.2, 0.3],
    );
  });

  it("spaces frames without timestamps by the frame interval", () => {
    const timeline = new Timeline(4);
    assert.deepEqual(
      [undefined, undefined, undefined].map((s) => timeline.map(s, 0)),
      [0, 0.25, 0.5],
    );
  });
});

describe("reconnect backoff", () => {
  const options = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: Infinity };

  it("doubles from the initial delay up to the maximum", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) => reconnectDelayMs(attempt, options)),
      [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000],
    );
  });

  it("sleep ends early, with false, when aborted", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    assert.equal(await waiting, false);
    assert.equal(await sleep(1, new AbortController().signal), true);
  });
});
