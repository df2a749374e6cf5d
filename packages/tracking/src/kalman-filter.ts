/**
 * Constant-velocity Kalman filter for boxes, as in ByteTrack / DeepSORT (`kalman_filter.py`).
 *
 * State (8-d): center x, center y, aspect ratio a = w/h, height h, and their velocities.
 * Measurement (4-d): (cx, cy, a, h), observed directly. Process and measurement noise are scaled by
 * the box height (std weights 1/20 for position, 1/160 for velocity), so the filter behaves the same
 * for small and large faces. One step is one frame (dt = 1).
 */

import {
  block,
  cholesky,
  choleskySolve,
  diagonal,
  identity,
  multiply,
  multiplyTransposed,
  transpose,
} from "./matrix.ts";

export const STATE_SIZE = 8;
export const MEASUREMENT_SIZE = 4;

const STD_WEIGHT_POSITION = 1 / 20;
const STD_WEIGHT_VELOCITY = 1 / 160;

/** Mean (8) and covariance (8×8, row-major). */
export interface KalmanState {
  mean: Float64Array;
  covariance: Float64Array;
}

/** Projection of a state into measurement space: mean (4) and covariance (4×4) with measurement noise. */
export interface ProjectedState {
  mean: Float64Array;
  covariance: Float64Array;
}

export class KalmanFilter {
  /** F: position += velocity. */
  readonly #motion: Float64Array;

  constructor() {
    this.#motion = identity(STATE_SIZE);
    for (let i = 0; i < MEASUREMENT_SIZE; i++) this.#motion[i * STATE_SIZE + MEASUREMENT_SIZE + i] = 1;
  }

  /** New state from an unassociated measurement (cx, cy, a, h); velocities start at 0. */
  initiate(measurement: ArrayLike<number>): KalmanState {
    const h = measurement[3] as number;
    const mean = new Float64Array(STATE_SIZE);
    for (let i = 0; i < MEASUREMENT_SIZE; i++) mean[i] = measurement[i] as number;
    const std = [
      2 * STD_WEIGHT_POSITION * h,
      2 * STD_WEIGHT_POSITION * h,
      1e-2,
      2 * STD_WEIGHT_POSITION * h,
      10 * STD_WEIGHT_VELOCITY * h,
      10 * STD_WEIGHT_VELOCITY * h,
      1e-5,
      10 * STD_WEIGHT_VELOCITY * h,
    ];
    return { mean, covariance: diagonal(std.map((s) => s * s)) };
  }

  /** One step ahead: x' = F·x, P' = F·P·Fᵀ + Q (Q from the height before the step). */
  predict(state: KalmanState): KalmanState {
    const h = state.mean[3] as number;
    const std = [
      STD_WEIGHT_POSITION * h,
      STD_WEIGHT_POSITION * h,
      1e-2,
      STD_WEIGHT_POSITION * h,
      STD_WEIGHT_VELOCITY * h,
      STD_WEIGHT_VELOCITY * h,
      1e-5,
      STD_WEIGHT_VELOCITY * h,
    ];
    const mean = multiply(this.#motion, state.mean, STATE_SIZE, STATE_SIZE, 1);
    const covariance = multiplyTransposed(
      multiply(this.#motion, state.covariance, STATE_SIZE, STATE_SIZE, STATE_SIZE),
      this.#motion,
      STATE_SIZE,
      STATE_SIZE,
      STATE_SIZE,
    );
    for (let i = 0; i < STATE_SIZE; i++) {
      const k = i * STATE_SIZE + i;
      covariance[k] = (covariance[k] as number) + (std[i] as number) ** 2;
    }
    return { mean, covariance };
  }

  /** Measurement-space distribution: H·x and H·P·Hᵀ + R. */
  project(state: KalmanState): ProjectedState {
    const h = state.mean[3] as number;
    const std = [STD_WEIGHT_POSITION * h, STD_WEIGHT_POSITION * h, 1e-1, STD_WEIGHT_POSITION * h];
    const covariance = block(state.covariance, STATE_SIZE, MEASUREMENT_SIZE, MEASUREMENT_SIZE);
    for (let i = 0; i < MEASUREMENT_SIZE; i++) {
      const k = i * MEASUREMENT_SIZE + i;
      covariance[k] = (covariance[k] as number) + (std[i] as number) ** 2;
    }
    return { mean: state.mean.slice(0, MEASUREMENT_SIZE), covariance };
  }

  /** Correction with a measurement (cx, cy, a, h): K = P·Hᵀ·S⁻¹, x' = x + K·(z − H·x), P' = P − K·S·Kᵀ. */
  update(state: KalmanState, measurement: ArrayLike<number>): KalmanState {
    const projected = this.project(state);
    const factor = cholesky(projected.covariance, MEASUREMENT_SIZE);
    // H·P is the first four rows of P; solving S·X = H·P gives X = Kᵀ (S and P are symmetric).
    const hp = state.covariance.slice(0, MEASUREMENT_SIZE * STATE_SIZE);
    const gain = transpose(
      choleskySolve(factor, MEASUREMENT_SIZE, hp, STATE_SIZE),
      MEASUREMENT_SIZE,
      STATE_SIZE,
    );

    const innovation = new Float64Array(MEASUREMENT_SIZE);
    for (let i = 0; i < MEASUREMENT_SIZE; i++) {
      innovation[i] = (measurement[i] as number) - (projected.mean[i] as number);
    }
    const mean = Float64Array.from(state.mean);
    const correction = multiply(gain, innovation, STATE_SIZE, MEASUREMENT_SIZE, 1);
    for (let i = 0; i < STATE_SIZE; i++) mean[i] = (mean[i] as number) + (correction[i] as number);

    const gainS = multiply(gain, projected.covariance, STATE_SIZE, MEASUREMENT_SIZE, MEASUREMENT_SIZE);
    const reduction = multiplyTransposed(gainS, gain, STATE_SIZE, MEASUREMENT_SIZE, STATE_SIZE);
    const covariance = Float64Array.from(state.covariance);
    for (let i = 0; i < covariance.length; i++)
      covariance[i] = (covariance[i] as number) - (reduction[i] as number);
    return { mean, covariance };
  }
}
