import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginRateLimit } from "./login-rate-limit.ts";

describe("LoginRateLimit", () => {
  it("refuses an address after 5 wrong tokens in a minute, until the oldest leaves the window", () => {
    let now = 1_000_000;
    const limit = new LoginRateLimit({ now: () => now });
    for (let i = 0; i < 5; i++) {
      assert.equal(limit.retryAfterS("10.0.0.1"), undefined, `try ${i + 1} allowed`);
      limit.recordFailure("10.0.0.1");
      now += 1000;
    }
    // Five failures at 0 s … 4 s; now 5 s: the first leaves the window at 60 s.
    assert.equal(limit.retryAfterS("10.0.0.1"), 55);
    // Another address is not affected.
    assert.equal(limit.retryAfterS("10.0.0.2"), undefined);
    now = 1_000_000 + 60_000;
    assert.equal(
      limit.retryAfterS("10.0.0.1"),
      undefined,
      "one try again once the oldest failure is a minute old",
    );
    limit.recordFailure("10.0.0.1");
    assert.equal(limit.retryAfterS("10.0.0.1"), 1, "refused again until the second failure is a minute old");
  });

  it("takes its limits from options", () => {
    let now = 0;
    const limit = new LoginRateLimit({ maxFailures: 2, windowMs: 10_000, now: () => now });
    limit.recordFailure("a");
    limit.recordFailure("a");
    assert.equal(limit.retryAfterS("a"), 10);
    now = 10_000;
    assert.equal(limit.retryAfterS("a"), undefined);
  });
});
