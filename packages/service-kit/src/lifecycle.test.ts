import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { runServiceChild, SERVICE_KIT_URL } from "@facetracker/testing/service-kit";
import type { RunningService, ServiceContext } from "./lifecycle.ts";
import { runService } from "./lifecycle.ts";
import type { LogRecord } from "./logger.ts";
import { createLogger, parseLogLines } from "./logger.ts";

/** runService on a fake process: an EventEmitter for signals and errors, exit codes recorded. */
function harness(start: (ctx: ServiceContext) => Promise<RunningService>, stopTimeoutMs?: number) {
  const events = new EventEmitter();
  const exits: number[] = [];
  let output = "";
  const logger = createLogger("svc", { stream: { write: (chunk: string) => (output += chunk) }, env: {} });
  const handle = runService({
    name: "svc",
    logger,
    start,
    events,
    exit: (code) => exits.push(code),
    ...(stopTimeoutMs === undefined ? {} : { stopTimeoutMs }),
  });
  const messages = () => parseLogLines(output).map((line) => `${line.level} ${line.msg}`);
  return { events, exits, handle, messages, lines: () => parseLogLines(output) };
}

function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A field of the serialised error in a log line's `err`; fails when the line or its `err` is missing. */
function errorField(line: LogRecord | undefined, field: "name" | "message" | "stack"): unknown {
  assert.ok(line, "log line present");
  assert.equal(typeof line.err, "object", "log line has an err object");
  return (line.err as Record<string, unknown>)[field];
}

const LISTENED_EVENTS = ["SIGTERM", "SIGINT", "uncaughtException", "unhandledRejection"];

describe("runService (in process)", () => {
  it("stops once on SIGTERM, ignores a second signal, exits 0 and removes its listeners", async () => {
    let stops = 0;
    const stopGate = deferred();
    const started = deferred();
    const { events, exits, handle, messages } = harness(async () => {
      started.resolve();
      return {
        stop: async () => {
          stops += 1;
          await stopGate.promise;
        },
      };
    });
    await started.promise;
    for (const event of LISTENED_EVENTS) assert.equal(events.listenerCount(event), 1, event);
    events.emit("SIGTERM", "SIGTERM");
    events.emit("SIGINT", "SIGINT");
    stopGate.resolve();
    assert.equal(await handle.exited, 0);
    assert.equal(stops, 1);
    assert.deepEqual(exits, [0]);
    assert.deepEqual(messages(), ["info started", "info stopping", "warn already stopping", "info stopped"]);
    for (const event of LISTENED_EVENTS) assert.equal(events.listenerCount(event), 0, event);
  });

  it("handle.stop() is idempotent: one stop() call, one exit, the same promise", async () => {
    let stops = 0;
    const { exits, handle } = harness(async () => ({
      stop: async () => {
        stops += 1;
      },
    }));
    const first = handle.stop("test");
    assert.equal(handle.stop(), first);
    assert.equal(await first, 0);
    assert.equal(await handle.stop(), 0);
    assert.equal(stops, 1);
    assert.deepEqual(exits, [0]);
  });

  it("waits for start when a signal arrives during it, aborting ctx.stopping, then stops", async () => {
    const startGate = deferred();
    let stopping: AbortSignal | undefined;
    let stopped = false;
    const { events, handle, messages } = harness(async (ctx) => {
      stopping = ctx.stopping;
      await startGate.promise;
      return {
        stop: async () => {
          stopped = true;
        },
      };
    });
    events.emit("SIGINT", "SIGINT");
    assert.equal(stopping?.aborted, true);
    startGate.resolve();
    assert.equal(await handle.exited, 0);
    assert.equal(stopped, true);
    assert.deepEqual(messages(), ["info stopping", "info started", "info stopped"]);
  });

  it("exits 1 when stop() rejects", async () => {
    const { handle, lines } = harness(async () => ({
      stop: async () => {
        throw new Error("drain failed");
      },
    }));
    assert.equal(await handle.stop(), 1);
    const failure = lines().find((line) => line.msg === "stop failed");
    assert.equal(failure?.level, "error");
    assert.equal(errorField(failure, "message"), "drain failed");
  });

  it("exits 1 when stop() outlasts the timeout", async () => {
    const { handle, lines } = harness(async () => ({ stop: () => new Promise<void>(() => {}) }), 20);
    assert.equal(await handle.stop(), 1);
    const timedOut = lines().find((line) => line.msg === "stop timed out");
    assert.equal(timedOut?.level, "error");
    assert.equal(timedOut?.timeoutMs, 20);
  });

  it("exits 1 when start() rejects, without calling stop", async () => {
    const { events, exits, handle, lines } = harness(async () => {
      throw new Error("no model");
    });
    assert.equal(await handle.exited, 1);
    assert.equal(await handle.stop(), 1);
    assert.deepEqual(exits, [1]);
    const failure = lines().find((line) => line.msg === "start failed");
    assert.equal(errorField(failure, "message"), "no model");
    assert.equal(events.listenerCount("SIGTERM"), 0);
  });

  it("exits 1 on an uncaught exception or an unhandled rejection", async () => {
    for (const event of ["uncaughtException", "unhandledRejection"]) {
      const started = deferred();
      const { events, exits, handle, lines } = harness(async () => {
        started.resolve();
        return { stop: async () => {} };
      });
      await started.promise;
      events.emit(event, new Error(`escaped via ${event}`));
      assert.equal(await handle.exited, 1);
      assert.deepEqual(exits, [1]);
      const errorLine = lines().find((line) => line.level === "error");
      assert.equal(errorField(errorLine, "message"), `escaped via ${event}`);
    }
  });

  it("refuses a second runService on the same process until the first has exited", async () => {
    const events = new EventEmitter();
    const logger = createLogger("svc", { stream: { write: () => true }, env: {} });
    const options = {
      name: "svc",
      logger,
      events,
      exit: () => {},
      start: async () => ({ stop: async () => {} }),
    };
    const first = runService(options);
    assert.throws(() => runService(options), /a service already runs in this process/);
    await first.stop();
    const second = runService(options);
    assert.equal(await second.stop(), 0);
  });
});

/** A child service: logs "stop called" in stop(); `stopBody` and `afterStart` are spliced in. */
function serviceScript({
  stopBody = "",
  afterStart = "",
  startBody = "",
  stopTimeoutMs,
}: {
  stopBody?: string;
  afterStart?: string;
  startBody?: string;
  stopTimeoutMs?: number;
}) {
  return `
    import { createLogger, runService } from ${JSON.stringify(SERVICE_KIT_URL)};
    const logger = createLogger("child-svc");
    runService({
      name: "child-svc",
      logger,
      ${stopTimeoutMs === undefined ? "" : `stopTimeoutMs: ${stopTimeoutMs},`}
      start: async () => {
        ${startBody}
        const keepAlive = setInterval(() => {}, 60_000);
        ${afterStart}
        return {
          stop: async () => {
            logger.info("stop called");
            ${stopBody}
            clearInterval(keepAlive);
          },
        };
      },
    });
  `;
}

const messagesOf = (lines: LogRecord[]) => lines.map((line) => `${line.level} ${line.msg}`);

describe("runService (real child process)", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} → stop() runs → exit 0`, async () => {
      const result = await runServiceChild({ script: serviceScript({}), signal });
      assert.equal(result.stderr, "");
      assert.equal(result.signalSent, true);
      assert.deepEqual(messagesOf(result.lines), [
        "info started",
        "info stopping",
        "info stop called",
        "info stopped",
      ]);
      assert.equal(result.lines[1]?.reason, `signal ${signal}`);
      assert.ok(result.lines.every((line) => line.service === "child-svc"));
      assert.equal(result.code, 0);
    });
  }

  it("a stop() that hangs → exit 1 after the stop timeout, with an error line", async () => {
    const result = await runServiceChild({
      script: serviceScript({ stopBody: "await new Promise(() => {});", stopTimeoutMs: 200 }),
      signal: "SIGTERM",
    });
    assert.deepEqual(messagesOf(result.lines), [
      "info started",
      "info stopping",
      "info stop called",
      "error stop timed out",
    ]);
    assert.equal(result.lines[3]?.timeoutMs, 200);
    assert.equal(result.code, 1);
  });

  it("an unhandled rejection → exit 1 with an error line carrying the stack", async () => {
    const result = await runServiceChild({
      script: serviceScript({
        afterStart: 'setImmediate(() => { Promise.reject(new Error("lost promise")); });',
      }),
    });
    assert.equal(result.killedAfterMs, undefined);
    const errorLine = result.lines.find((line) => line.level === "error");
    assert.equal(errorLine?.msg, "unhandled rejection");
    assert.equal(errorField(errorLine, "name"), "Error");
    assert.equal(errorField(errorLine, "message"), "lost promise");
    assert.match(String(errorField(errorLine, "stack")), /^Error: lost promise\n\s+at /);
    assert.equal(result.code, 1);
  });

  it("an uncaught exception → exit 1 with an error line", async () => {
    const result = await runServiceChild({
      script: serviceScript({ afterStart: 'setImmediate(() => { throw new TypeError("bad state"); });' }),
    });
    const errorLine = result.lines.find((line) => line.level === "error");
    assert.equal(errorLine?.msg, "uncaught exception");
    assert.equal(errorField(errorLine, "name"), "TypeError");
    assert.equal(result.code, 1);
  });

  it("a start() that throws → exit 1 with 'start failed'", async () => {
    const result = await runServiceChild({
      script: serviceScript({ startBody: 'throw new Error("cannot reach NATS");' }),
    });
    assert.deepEqual(messagesOf(result.lines), ["error start failed"]);
    assert.equal(errorField(result.lines[0], "message"), "cannot reach NATS");
    assert.equal(result.code, 1);
  });
});

describe("runServiceChild", () => {
  it("collects non-JSON stdout and stderr, and reports the exit code", async () => {
    const result = await runServiceChild({
      script:
        'console.log("plain"); console.log(JSON.stringify({ msg: "json" })); console.error("oops"); process.exitCode = 3;',
    });
    assert.deepEqual(result.otherStdout, ["plain"]);
    assert.deepEqual(
      result.lines.map((line) => line.msg),
      ["json"],
    );
    assert.equal(result.stderr, "oops\n");
    assert.equal(result.code, 3);
    assert.equal(result.signalSent, false);
  });

  it("kills a child that outlives killAfterMs and says so", async () => {
    const result = await runServiceChild({ script: "setInterval(() => {}, 60_000);", killAfterMs: 100 });
    assert.equal(result.killedAfterMs, 100);
    assert.equal(result.exitSignal, "SIGKILL");
    assert.equal(result.code, null);
  });

  it("needs exactly one of script and args", () => {
    assert.throws(() => runServiceChild({}), /exactly one of script and args/);
    assert.throws(() => runServiceChild({ script: "", args: [] }), /exactly one of script and args/);
  });
});
