import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EnvConfigError } from "./env-config.ts";
import type { LoggerOptions } from "./logger.ts";
import { createLogger, parseLogLines } from "./logger.ts";

const FIXED_TIME = new Date("2025-03-04T05:06:07.089Z");

function collectingLogger(service: string, options: LoggerOptions = {}) {
  const chunks: string[] = [];
  const logger = createLogger(service, {
    stream: { write: (chunk: string) => chunks.push(chunk) },
    now: () => FIXED_TIME,
    env: {},
    ...options,
  });
  return { logger, text: () => chunks.join(""), chunks };
}

describe("createLogger", () => {
  it("writes one JSON object per line with time, level, service, msg and the fields", () => {
    const { logger, text, chunks } = collectingLogger("detect");
    logger.info("frame decoded", { camera: "cam-1", seq: 42 });
    logger.warn("slow frame", { ms: 120.5 });
    assert.equal(chunks.length, 2);
    assert.ok(chunks.every((chunk) => chunk.endsWith("\n") && chunk.indexOf("\n") === chunk.length - 1));
    assert.deepEqual(parseLogLines(text()), [
      {
        time: "2025-03-04T05:06:07.089Z",
        level: "info",
        service: "detect",
        msg: "frame decoded",
        camera: "cam-1",
        seq: 42,
      },
      { time: "2025-03-04T05:06:07.089Z", level: "warn", service: "detect", msg: "slow frame", ms: 120.5 },
    ]);
  });

  it("writes the time as an ISO timestamp from the clock by default", () => {
    const chunks: string[] = [];
    const logger = createLogger("api", { stream: { write: (chunk: string) => chunks.push(chunk) }, env: {} });
    logger.info("hello");
    const [line] = parseLogLines(chunks.join(""));
    assert.ok(line);
    assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("drops lines below the level (default info)", () => {
    const { logger, text } = collectingLogger("track");
    logger.debug("hidden");
    logger.info("shown 1");
    logger.error("shown 2");
    assert.deepEqual(
      parseLogLines(text()).map((line) => [line.level, line.msg]),
      [
        ["info", "shown 1"],
        ["error", "shown 2"],
      ],
    );
    assert.equal(logger.level, "info");
    assert.equal(logger.isLevelEnabled("debug"), false);
    assert.equal(logger.isLevelEnabled("warn"), true);
  });

  it("honours an explicit level", () => {
    const { logger, text } = collectingLogger("track", { level: "warn" });
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    assert.deepEqual(
      parseLogLines(text()).map((line) => line.msg),
      ["c", "d"],
    );
  });

  it("reads the level from FACETRACKER_LOG_LEVEL", () => {
    const { logger, text } = collectingLogger("embed", { env: { FACETRACKER_LOG_LEVEL: "debug" } });
    logger.debug("visible");
    assert.equal(logger.level, "debug");
    assert.deepEqual(
      parseLogLines(text()).map((line) => line.msg),
      ["visible"],
    );
  });

  it("rejects an unknown FACETRACKER_LOG_LEVEL, naming the variable and the levels", () => {
    assert.throws(
      () => createLogger("embed", { env: { FACETRACKER_LOG_LEVEL: "verbose" } }),
      (error: unknown) =>
        error instanceof EnvConfigError &&
        error.message === "FACETRACKER_LOG_LEVEL must be one of debug, info, warn, error, got 'verbose'",
    );
  });

  it("serialises Error objects in fields as name, message and stack, with code and cause", () => {
    const { logger, text } = collectingLogger("ingest");
    const root = new RangeError("bad offset");
    const error = Object.assign(new Error("read failed", { cause: root }), { code: "EIO" });
    const inner = new TypeError("x");
    logger.error("camera read failed", { err: error, nested: { errors: [inner] } });
    const [line] = parseLogLines(text());
    assert.ok(line);
    assert.deepEqual(line.err, {
      name: "Error",
      message: "read failed",
      stack: error.stack,
      code: "EIO",
      cause: { name: "RangeError", message: "bad offset", stack: root.stack },
    });
    assert.match(String((line.err as { stack: string }).stack), /^Error: read failed\n\s+at /);
    assert.deepEqual(line.nested, {
      errors: [{ name: "TypeError", message: "x", stack: inner.stack }],
    });
  });

  it("child loggers add their fields to every line; a call's fields win", () => {
    const { logger, text } = collectingLogger("track");
    const camera = logger.child({ camera: "cam-2", worker: 1 });
    const track = camera.child({ trackId: 7 });
    camera.info("a");
    track.info("b", { worker: 2 });
    logger.info("c");
    const lines = parseLogLines(text());
    assert.deepEqual(
      lines.map(({ time: _t, level: _l, service: _s, ...rest }) => rest),
      [
        { msg: "a", camera: "cam-2", worker: 1 },
        { msg: "b", camera: "cam-2", worker: 2, trackId: 7 },
        { msg: "c" },
      ],
    );
  });

  it("does not let fields overwrite time, level, service or msg", () => {
    const { logger, text } = collectingLogger("alert");
    logger.child({ service: "impostor" }).info("real", { msg: "fake", level: "error", time: "never" });
    const [line] = parseLogLines(text());
    assert.deepEqual(line, { time: FIXED_TIME.toISOString(), level: "info", service: "alert", msg: "real" });
  });

  it("still writes the line, saying why, when fields cannot be serialised", () => {
    const { logger, text } = collectingLogger("alert");
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    logger.warn("with a loop", { loop, big: 1n });
    const [line] = parseLogLines(text());
    assert.ok(line);
    assert.equal(line.msg, "with a loop");
    assert.equal(line.level, "warn");
    assert.match(String(line.logFieldsError), /^fields not serialisable: .*circular/i);
  });

  it("writes bigint fields as strings", () => {
    const { logger, text } = collectingLogger("alert");
    logger.info("count", { total: 12345678901234567890n });
    assert.equal(parseLogLines(text())[0]?.total, "12345678901234567890");
  });
});

describe("parseLogLines", () => {
  it("throws on a line that is not a JSON object", () => {
    assert.throws(() => parseLogLines('{"a":1}\n[1,2]\n'), /not a JSON object: \[1,2\]/);
    assert.throws(() => parseLogLines("plain text\n"), SyntaxError);
  });
});
