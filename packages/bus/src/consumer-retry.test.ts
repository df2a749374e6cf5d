import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Detections, EmbedResult } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { publishMessage } from "./codec.ts";
import { type Bus, connectBus } from "./connection.ts";
import { consumeMessages, type MessageConsumer } from "./consumer.ts";
import { readDeadLetter } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import { RemoteError, RequestFailedError } from "./request-reply.ts";
import { ensureStreams } from "./streams.ts";
import { subject } from "./subjects.ts";
import { isTransientFailure, RetryLaterError } from "./transient-failure.ts";
import { type TypedBus, typedBus } from "./typed-bus.ts";

interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

function collectingLogger(): BusLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const add =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, msg, fields });
    };
  return { lines, info: add("info"), warn: add("warn"), error: add("error") };
}

const detections = (camera: string, seq: number) => Detections.fromPartial({ camera, seq });
/** Quick retries for the tests: 100 ms, doubling, at most 400 ms. */
const BACKOFF = { initialMs: 100, factor: 2, maxMs: 400 };

describe("consumeMessages: transient failures are tried again (nak with delay), permanent ones dead-lettered", () => {
  let server: NatsTestServer;
  let bus: Bus;
  let workerBus: Bus;
  let typed: TypedBus;
  const consumers: MessageConsumer[] = [];

  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "retry-test" });
    workerBus = await connectBus({ servers: server.url, name: "retry-test-worker" });
    await ensureStreams(bus.jsm);
    typed = typedBus(bus, { logger: collectingLogger() });
  });
  after(async () => {
    for (const c of consumers) await c.stop();
    await workerBus?.close();
    await bus?.close();
    await server?.stop();
  });

  /** Dead letters stored for messages of `originalSubject`. */
  async function lettersFor(originalSubject: string) {
    const { state } = await bus.jsm.streams.info("FT_DLQ");
    const found = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const stored = await bus.jsm.streams.getMessage("FT_DLQ", { seq }).catch(() => null);
      if (!stored) continue;
      const letter = readDeadLetter({ headers: stored.header, data: stored.data });
      if (letter.subject === originalSubject) found.push(letter);
    }
    return found;
  }

  const linesOf = (logger: { lines: LogLine[] }, seq: number) =>
    logger.lines.filter((l) => l.fields.seq === seq).map((l) => l.msg);

  it("a message whose handler finds no worker (no responders) is tried again with a growing delay, in order, until one answers: never dead-lettered, logged once", async () => {
    const logger = collectingLogger();
    const attempts: { seq: number; delivery: number; at: number }[] = [];
    const handled: number[] = [];
    const filter = subject("detections", "wait");
    const c = await consumeMessages({
      js: bus.js,
      stream: "FT_DETECTIONS",
      durable: "waits-for-worker",
      filterSubject: filter,
      type: Detections,
      maxAckPending: 1,
      retryBackoff: BACKOFF,
      logger,
      handler: async (value, info) => {
        attempts.push({ seq: value.seq, delivery: info.deliveryCount, at: Date.now() });
        await typed.embed.request({ camera: value.camera, seq: value.seq, topK: 1, items: [] }, 2000);
        handled.push(value.seq);
      },
    });
    consumers.push(c);
    const first = await publishMessage(bus.js, filter, Detections, detections("wait", 1));
    await publishMessage(bus.js, filter, Detections, detections("wait", 2));

    await waitFor(() => attempts.length >= 4, "four attempts of the first message without a worker");
    assert.ok(
      attempts.every((a) => a.seq === 1),
      "the second message waits behind the first (order kept)",
    );
    assert.deepEqual(
      attempts.slice(0, 4).map((a) => a.delivery),
      [1, 2, 3, 4],
      "the same message delivered again and again",
    );
    // nak(delay): the server delivers it again only after the delay of that attempt.
    for (let k = 1; k < 4; k++) {
      const gap = (attempts[k] as { at: number }).at - (attempts[k - 1] as { at: number }).at;
      const delay = Math.min(BACKOFF.initialMs * 2 ** (k - 1), BACKOFF.maxMs);
      assert.ok(
        gap >= delay * 0.9,
        `attempt ${k + 1} came ${gap} ms after the previous one (delay ${delay})`,
      );
    }

    // A worker comes: the waiting message goes through, then the next.
    const worker = typedBus(workerBus, { logger: collectingLogger() }).embed.serve(() =>
      EmbedResult.fromPartial({}),
    );
    await workerBus.nc.flush();
    await waitFor(() => handled.length === 2, "both messages handled once a worker answers");
    await worker.stop();
    assert.deepEqual(handled, [1, 2]);
    assert.equal(c.counters.deadLettered, 0);
    assert.equal(c.counters.retried, attempts.filter((a) => a.seq === 1).length - 1);
    assert.deepEqual(await lettersFor(filter), [], "no dead letter");
    assert.deepEqual(
      linesOf(logger, first.seq),
      [
        "transient failure: the message will be tried again (logged once)",
        "message handled after a transient failure",
      ],
      "one line when it failed, one when it went through, however many attempts",
    );
    assert.match(String(logger.lines[0]?.fields.error), /no server answers requests on ft\.embed/);
  });

  it("a message still failing transiently when older than retryForMs is given up: terminated and counted, not dead-lettered", async () => {
    const logger = collectingLogger();
    const filter = subject("detections", "stale");
    const c = await consumeMessages({
      js: bus.js,
      stream: "FT_DETECTIONS",
      durable: "gives-up",
      filterSubject: filter,
      type: Detections,
      retryBackoff: BACKOFF,
      retryForMs: 600,
      logger,
      handler: () => {
        throw new RetryLaterError("the camera's worker is away");
      },
    });
    consumers.push(c);
    const published = await publishMessage(bus.js, filter, Detections, detections("stale", 1));
    await waitFor(() => c.counters.expired === 1, "the message given up on");
    assert.equal(c.counters.deadLettered, 0);
    assert.ok(c.counters.retried >= 1, "tried again before giving up");
    assert.deepEqual(await lettersFor(filter), [], "no dead letter");
    await waitFor(
      async () => (await bus.jsm.consumers.info("FT_DETECTIONS", "gives-up")).num_ack_pending === 0,
      "terminated: it does not come back",
    );
    assert.deepEqual(linesOf(logger, published.seq), [
      "transient failure: the message will be tried again (logged once)",
      "gave up retrying a message: it would be too old to be of use",
    ]);
  });

  it("a worker that answers with an error is a permanent failure: dead-lettered at the first delivery, not retried", async () => {
    const filter = subject("detections", "refused");
    const worker = typedBus(workerBus, { logger: collectingLogger() }).embed.serve(() => {
      throw new Error("this crop is not 112×112");
    });
    await workerBus.nc.flush();
    const deliveries: number[] = [];
    const c = await consumeMessages({
      js: bus.js,
      stream: "FT_DETECTIONS",
      durable: "refused",
      filterSubject: filter,
      type: Detections,
      retryBackoff: BACKOFF,
      logger: collectingLogger(),
      handler: async (value, info) => {
        deliveries.push(info.deliveryCount);
        await typed.embed.request({ camera: value.camera, seq: value.seq, topK: 1, items: [] }, 2000);
      },
    });
    consumers.push(c);
    await publishMessage(bus.js, filter, Detections, detections("refused", 1));
    await waitFor(() => c.counters.deadLettered === 1, "dead-lettered");
    await worker.stop();
    assert.deepEqual(deliveries, [1]);
    assert.equal(c.counters.retried, 0);
    const [letter] = await lettersFor(filter);
    assert.match(letter?.error ?? "", /RemoteError: ft\.embed: .*this crop is not 112×112/);
  });

  it("a bad message whose dead letter cannot be stored yet comes back until it can, and is logged once meanwhile", async () => {
    const logger = collectingLogger();
    await bus.jsm.streams.delete("FT_DLQ");
    const c = await consumeMessages({
      js: bus.js,
      stream: "FT_DETECTIONS",
      durable: "bad-message",
      filterSubject: subject("detections", "bad"),
      type: Detections,
      retryBackoff: BACKOFF,
      logger,
      handler: () => {},
    });
    consumers.push(c);
    // Field 1 claims 16383 bytes that are not there: never a valid message.
    const garbage = Buffer.concat([Buffer.from([0x0a, 0xff, 0x7f]), randomBytes(32)]);
    const bad = await bus.js.publish("ft.detections.bad", garbage);
    await waitFor(() => c.counters.received >= 5, "the bad message delivered five times");
    assert.equal(c.counters.deadLettered, 0);
    await ensureStreams(bus.jsm); // FT_DLQ is back
    await waitFor(() => c.counters.deadLettered === 1, "dead-lettered once FT_DLQ is back");
    assert.deepEqual(linesOf(logger, bad.seq), [
      "message does not decode; the dead letter could not be published: will try again",
      "message does not decode: dead-lettered",
    ]);
    const letters = await lettersFor("ft.detections.bad");
    assert.equal(letters.length, 1, "stored once");
    assert.equal(letters[0]?.stage, "decode");
  });
});

describe("isTransientFailure", () => {
  it("tells failures that may pass (no responders, timeout, RetryLaterError, as a cause too) from those that will not", () => {
    assert.equal(isTransientFailure(new RequestFailedError("no server answers", "no-responders")), true);
    assert.equal(isTransientFailure(new RequestFailedError("no reply within 10 ms", "timeout")), true);
    assert.equal(isTransientFailure(new RetryLaterError("later")), true);
    assert.equal(
      isTransientFailure(new Error("identify failed", { cause: new RetryLaterError("no worker") })),
      true,
    );
    assert.equal(isTransientFailure(new RemoteError("ft.embed: bad crop")), false);
    assert.equal(isTransientFailure(new Error("invalid detections")), false);
    assert.equal(isTransientFailure("a string"), false);
  });
});
