import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelayMs, checkBackoff } from "./backoff.ts";

describe("backoff", () => {
  it("grows by the factor from the initial delay up to the maximum", () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 3 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((retry) => backoffDelayMs(retry, options)),
      [100, 100, 300, 900, 1000, 1000],
    );
  });

  it("names a bad field", () => {
    assert.throws(() => checkBackoff({ initialMs: -1, maxMs: 1, factor: 2 }), /backoff.initialMs/);
    assert.throws(() => checkBackoff({ initialMs: 1, maxMs: Number.NaN, factor: 2 }), /backoff.maxMs/);
    assert.throws(() => checkBackoff({ initialMs: 1, maxMs: 1, factor: 0.5 }), /backoff.factor must be ≥ 1/);
  });
});
