import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EnvConfigError, envBool, envEnum, envInt, envList, envString } from "./env-config.ts";

/** Asserts that `read` throws an EnvConfigError for `variable` with exactly `message`. */
function assertEnvError(read: () => unknown, variable: string, message: string) {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof EnvConfigError, `not an EnvConfigError: ${String(error)}`);
    assert.equal(error.name, "EnvConfigError");
    assert.equal(error.variable, variable);
    assert.equal(error.message, message);
    return true;
  });
}

describe("envString", () => {
  it("returns the trimmed value, else the default", () => {
    assert.equal(
      envString("NATS_URL", "nats://localhost:4222", { env: { NATS_URL: " nats://n:1 " } }),
      "nats://n:1",
    );
    assert.equal(envString("NATS_URL", "nats://localhost:4222", { env: {} }), "nats://localhost:4222");
    assert.equal(envString("NATS_URL", "d", { env: { NATS_URL: "   " } }), "d");
  });

  it("is required without a default", () => {
    assertEnvError(
      () => envString("FACETRACKER_CAMERA", undefined, { env: { FACETRACKER_CAMERA: "" } }),
      "FACETRACKER_CAMERA",
      "FACETRACKER_CAMERA is required: it must be a non-empty string, but it is not set",
    );
  });

  it("reads process.env when no env is given", () => {
    const name = "FACETRACKER_SERVICE_KIT_TEST_STRING";
    process.env[name] = "from-process";
    try {
      assert.equal(envString(name), "from-process");
    } finally {
      delete process.env[name];
    }
  });
});

describe("envInt", () => {
  const port = (value: string | undefined) =>
    envInt("FACETRACKER_HTTP_PORT", 8080, { min: 0, max: 65535, env: { FACETRACKER_HTTP_PORT: value } });

  it("parses decimal integers within the range, inclusive", () => {
    assert.equal(port("0"), 0);
    assert.equal(port(" 65535 "), 65535);
    assert.equal(port("+80"), 80);
    assert.equal(port(undefined), 8080);
    assert.equal(envInt("OFFSET", 0, { env: { OFFSET: "-12" } }), -12);
  });

  it("names the variable, the range and the value when it is not an integer in range", () => {
    for (const bad of ["abc", "12.5", "1e3", "0x10", "80 80", "65536", "-1"]) {
      assertEnvError(
        () => port(bad),
        "FACETRACKER_HTTP_PORT",
        `FACETRACKER_HTTP_PORT must be an integer 0–65535, got '${bad}'`,
      );
    }
  });

  it("describes one-sided and open ranges", () => {
    assertEnvError(
      () => envInt("WORKERS", 1, { min: 1, env: { WORKERS: "0" } }),
      "WORKERS",
      "WORKERS must be an integer ≥ 1, got '0'",
    );
    assertEnvError(
      () => envInt("BATCH", 1, { max: 64, env: { BATCH: "65" } }),
      "BATCH",
      "BATCH must be an integer ≤ 64, got '65'",
    );
    assertEnvError(
      () => envInt("N", 1, { env: { N: "99999999999999999999" } }),
      "N",
      "N must be an integer, got '99999999999999999999'",
    );
  });

  it("is required when the default is undefined", () => {
    assertEnvError(
      () => envInt("FACETRACKER_FPS", undefined, { min: 1, max: 60, env: {} }),
      "FACETRACKER_FPS",
      "FACETRACKER_FPS is required: it must be an integer 1–60, but it is not set",
    );
  });
});

describe("envBool", () => {
  it("accepts true/false, 1/0, yes/no, on/off in any case", () => {
    const read = (value: string) => envBool("DEBUG_FRAMES", false, { env: { DEBUG_FRAMES: value } });
    assert.deepEqual(["true", "TRUE", "1", "yes", "On"].map(read), [true, true, true, true, true]);
    assert.deepEqual(["false", "False", "0", "no", "OFF"].map(read), [false, false, false, false, false]);
    assert.equal(envBool("DEBUG_FRAMES", true, { env: {} }), true);
  });

  it("rejects anything else, listing the accepted words", () => {
    assertEnvError(
      () => envBool("DEBUG_FRAMES", false, { env: { DEBUG_FRAMES: "maybe" } }),
      "DEBUG_FRAMES",
      "DEBUG_FRAMES must be a boolean (true/false, 1/0, yes/no, on/off), got 'maybe'",
    );
    assertEnvError(
      () => envBool("DEBUG_FRAMES", undefined, { env: {} }),
      "DEBUG_FRAMES",
      "DEBUG_FRAMES is required: it must be a boolean (true/false, 1/0, yes/no, on/off), but it is not set",
    );
  });
});

describe("envList", () => {
  it("splits on commas, trims items and drops empty ones", () => {
    assert.deepEqual(envList("CAMERAS", [], { env: { CAMERAS: " cam-1, cam-2,,cam-3 , " } }), [
      "cam-1",
      "cam-2",
      "cam-3",
    ]);
    assert.deepEqual(envList("CAMERAS", ["default"], { env: {} }), ["default"]);
    assert.deepEqual(envList("CAMERAS", ["default"], { env: { CAMERAS: " , " } }), ["default"]);
  });

  it("returns a copy of the default", () => {
    const fallback = ["a"];
    const list = envList("CAMERAS", fallback, { env: {} });
    list.push("b");
    assert.deepEqual(fallback, ["a"]);
  });

  it("is required without a default, and then needs at least one item", () => {
    assertEnvError(
      () => envList("CAMERAS", undefined, { env: {} }),
      "CAMERAS",
      "CAMERAS is required: it must be a comma-separated list of at least one item (e.g. 'a,b'), but it is not set",
    );
    assertEnvError(
      () => envList("CAMERAS", undefined, { env: { CAMERAS: ",," } }),
      "CAMERAS",
      "CAMERAS must be a comma-separated list of at least one item (e.g. 'a,b'), got ',,'",
    );
  });
});

describe("envEnum", () => {
  const modes = ["cpu", "cuda"] as const;

  it("returns an allowed value, else the default", () => {
    assert.equal(envEnum("DEVICE", modes, "cpu", { env: { DEVICE: " cuda " } }), "cuda");
    assert.equal(envEnum("DEVICE", modes, "cpu", { env: {} }), "cpu");
  });

  it("rejects other values, listing the allowed ones", () => {
    assertEnvError(
      () => envEnum("DEVICE", modes, "cpu", { env: { DEVICE: "CUDA" } }),
      "DEVICE",
      "DEVICE must be one of cpu, cuda, got 'CUDA'",
    );
  });
});
