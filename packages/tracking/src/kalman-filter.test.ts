import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { type Box, boxToXyah, xyahToBox } from "./box.ts";
import { KalmanFilter, type KalmanState } from "./kalman-filter.ts";
import { cholesky, choleskySolve, multiply, multiplyTransposed, transpose } from "./matrix.ts";

function movingBox(frame: number): Box {
  const x = 100 + 3 * frame;
  const y = 400 - 2 * frame;
  return [x, y, x + 60, y + 80];
}

function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    assert.ok(Math.abs(a - (expected[i] as number)) <= tolerance, `[${i}]: ${a} vs ${expected[i]}`);
  }
}

function assertBoxClose(actual: Box, expected: Box, tolerance: number): void {
  actual.forEach((v, i) => {
    assert.ok(Math.abs(v - (expected[i] as number)) <= tolerance, `${actual} vs ${expected}`);
  });
}

function assertSymmetricPositiveDefinite(covariance: Float64Array): void {
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < i; j++) {
      const a = covariance[i * 8 + j] as number;
      const b = covariance[j * 8 + i] as number;
      assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)), `P[${i},${j}]=${a} P[${j},${i}]=${b}`);
    }
  }
  assert.doesNotThrow(() => cholesky(covariance, 8));
}

describe("matrix helpers", () => {
  it("multiplies, transposes and solves through a Cholesky factor", () => {
    const a = Float64Array.of(4, 2, 0.6, 2, 5, 1, 0.6, 1, 3); // symmetric positive definite
    const x = Float64Array.of(1, -2, 0.5, 3, 2, -1); // 3×2
    const b = multiply(a, x, 3, 3, 2);
    const l = cholesky(a, 3);
    assert.deepEqual(
      [...multiplyTransposed(l, l, 3, 3, 3)].map((v) => v.toFixed(12)),
      [...a].map((v) => v.toFixed(12)),
    );
    const solved = choleskySolve(l, 3, b, 2);
    assertAllClose(solved, [...x], 1e-12);
    assert.deepEqual([...transpose(x, 3, 2)], [1, 0.5, 2, -2, 3, -1]);
  });

  it("rejects a matrix that is not positive definite", () => {
    assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), RangeError);
  });
});

describe("KalmanFilter", () => {
  const filter = new KalmanFilter();

  it("initiates at the measurement with zero velocity and ByteTrack's height-scaled uncertainty", () => {
    const state = filter.initiate([50, 60, 0.75, 80]);
    assert.deepEqual([...state.mean], [50, 60, 0.75, 80, 0, 0, 0, 0]);
    const diag = Array.from({ length: 8 }, (_, i) => state.covariance[i * 9] as number);
    const expectedStd = [8, 8, 1e-2, 8, 5, 5, 1e-5, 5]; // 2·h/20 and 10·h/160 for h = 80
    assertAllClose(
      diag.map((v) => Math.sqrt(v)),
      expectedStd,
      1e-12,
    );
  });

  it("predicts a box moving at constant velocity accurately after a few updates", () => {
    let state = filter.initiate(boxToXyah(movingBox(0)));
    for (let frame = 1; frame <= 12; frame++) {
      state = filter.update(filter.predict(state), boxToXyah(movingBox(frame)));
    }
    assert.ok(Math.abs((state.mean[4] as number) - 3) < 0.2, `vx ${state.mean[4]}`);
    assert.ok(Math.abs((state.mean[5] as number) + 2) < 0.2, `vy ${state.mean[5]}`);
    const next = filter.predict(state);
    assertBoxClose(xyahToBox(next.mean), movingBox(13), 0.5);
    let ahead = next;
    for (let frame = 14; frame <= 17; frame++) ahead = filter.predict(ahead);
    assertBoxClose(xyahToBox(ahead.mean), movingBox(17), 2);
  });

  it("reproduces ByteTrack's numpy filter (reference values computed with kalman_filter.py)", () => {
    let state = filter.initiate(boxToXyah(movingBox(0)));
    for (let frame = 1; frame <= 8; frame++) {
      state = filter.update(filter.predict(state), boxToXyah(movingBox(frame)));
    }
    const expectedMean = [
      153.847334237151, 424.101777175233, 0.75, 80, 2.755395513032, -1.836930342021, 0, 0,
    ];
    assertAllClose(state.mean, expectedMean, 1e-9);
    assert.ok(Math.abs((state.covariance[0] as number) - 10.910056475667) < 1e-9);
    assert.ok(Math.abs((state.covariance[4] as number) - 1.705374407403) < 1e-9);
    assert.ok(Math.abs((state.covariance[36] as number) - 3.136426284874) < 1e-9);
  });

  it("keeps the covariance symmetric positive definite through noisy updates and coasting", () => {
    const random = seededRandom(7);
    let state: KalmanState = filter.initiate(boxToXyah(movingBox(0)));
    for (let frame = 1; frame <= 200; frame++) {
      state = filter.predict(state);
      if (frame % 10 < 7) {
        const noisy = movingBox(frame).map((v) => v + (random() * 2 - 1) * 3) as Box;
        state = filter.update(state, boxToXyah(noisy));
      }
      assertSymmetricPositiveDefinite(state.covariance);
    }
  });

  it("pulls the state toward the measurement and reduces the uncertainty", () => {
    let state = filter.initiate([100, 100, 1, 50]);
    state = filter.predict(filter.update(filter.predict(state), [100, 100, 1, 50]));
    const measurement = [110, 94, 1, 54];
    const updated = filter.update(state, measurement);
    for (const i of [0, 1, 3]) {
      const before = state.mean[i] as number;
      const after = updated.mean[i] as number;
      const target = measurement[i] as number;
      assert.ok(Math.abs(target - after) < Math.abs(target - before), `coordinate ${i}`);
      assert.ok(Math.sign(after - before) === Math.sign(target - before), `coordinate ${i} moves toward it`);
      assert.ok((updated.covariance[i * 9] as number) < (state.covariance[i * 9] as number));
    }
    // Velocity picks up the direction of the innovation.
    assert.ok((updated.mean[4] as number) > 0 && (updated.mean[5] as number) < 0);
  });

  it("projects with height-scaled measurement noise", () => {
    const state = filter.initiate([0, 0, 1, 100]);
    const projected = filter.project(state);
    assert.deepEqual([...projected.mean], [0, 0, 1, 100]);
    // Initial position variance (2·100/20)² plus measurement noise (100/20)².
    assert.ok(Math.abs((projected.covariance[0] as number) - (100 + 25)) < 1e-9);
    assert.ok(Math.abs((projected.covariance[10] as number) - (1e-4 + 1e-2)) < 1e-12);
  });
});
