import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CameraHealth } from "./camera-health.ts";

describe("CameraHealth (state machine and backoff of a camera)", () => {
  it("a camera that never opened: reconnecting since its start, delays 1, 2, 4 … capped at 30 s", () => {
    const health = new CameraHealth(1000);
    assert.deepEqual(health.snapshot, {
      state: "connecting",
      sinceMs: 1000,
      lastError: "",
      reconnects: 0,
      failures: 0,
    });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(health.fault("connection refused", 2000 + i));
      health.retry();
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    assert.deepEqual(health.snapshot, {
      state: "reconnecting",
      sinceMs: 1000,
      lastError: "connection refused",
      reconnects: 8,
      failures: 8,
    });
  });

  it("up at the first frame; a later fault starts a new outage and the backoff from its first delay", () => {
    const health = new CameraHealth(0, { initialMs: 200, maxMs: 500 });
    assert.equal(health.fault("timed out", 10), 200);
    health.retry();
    assert.equal(health.fault("timed out", 20), 400);
    health.retry();
    assert.equal(health.frame(30), true, "up is a change");
    assert.equal(health.frame(40), false, "more frames are not");
    assert.deepEqual(health.snapshot, {
      state: "up",
      sinceMs: 30,
      lastError: "timed out",
      reconnects: 2,
      failures: 0,
    });
    assert.equal(health.fault("no frame for 10 s", 50), 200);
    assert.equal(health.snapshot.sinceMs, 50, "down since the fault");
    assert.equal(health.snapshot.state, "reconnecting");
    health.retry();
    assert.equal(health.fault("no such file or directory", 60), 400);
    assert.equal(health.snapshot.sinceMs, 50, "still the same outage");
    assert.equal(health.snapshot.lastError, "no such file or directory");
  });

  it("ended and failed are final", () => {
    const ended = new CameraHealth(0);
    ended.frame(1);
    assert.equal(ended.ended(5), true);
    assert.equal(ended.frame(6), false);
    assert.equal(ended.active, false);
    assert.throws(() => ended.fault("x", 7), /fault after the camera ended/);
    const failed = new CameraHealth(0);
    assert.equal(failed.failed("fps must be a number in (0, 1000]", 3), true);
    assert.deepEqual(failed.snapshot, {
      state: "failed",
      sinceMs: 3,
      lastError: "fps must be a number in (0, 1000]",
      reconnects: 0,
      failures: 0,
    });
  });

  it("refuses a backoff that cannot work, naming the field", () => {
    assert.throws(() => new CameraHealth(0, { initialMs: 0, maxMs: 10 }), /initialMs must be .* > 0, got 0/);
    assert.throws(() => new CameraHealth(0, { initialMs: 100, maxMs: 10 }), /maxMs must be .* ≥ initialMs/);
  });
});
