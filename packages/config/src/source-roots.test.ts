import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "./load-config.ts";

describe("api.media_roots and api.device_roots (where run-time camera sources may lie)", () => {
  it("default to none; device roots must be absolute folders, named in the error", () => {
    const config = parseConfig({});
    assert.deepEqual(config.api.media_roots, []);
    assert.deepEqual(config.api.device_roots, []);
    assert.deepEqual(parseConfig({ api: { device_roots: ["/dev"] } }).api.device_roots, ["/dev"]);
    assert.throws(
      () => parseConfig({ api: { device_roots: ["dev"] } }),
      /api\.device_roots\.0: each entry must be an absolute folder \(e\.g\. \/dev\)/,
    );
  });
});
