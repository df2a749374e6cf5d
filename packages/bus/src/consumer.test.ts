import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Alert, Detections, type MessageType } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import type { JsMsg } from "@nats-io/jetstream";
import { publishMessage } from "./codec.ts";
import { type Bus, connectBus } from "./connection.ts";
import { consumeMessages, type MessageConsumer, type MessageInfo } from "./consumer.ts";
import { type DeadLetter, readDeadLetter } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import { ensureStreams } from "./streams.ts";
import { subject } from "./subjects.ts";

function collectingLogger(): BusLogger & {
  lines: { level: string; msg: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const add =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, msg, fields });
    };
  return { lines, info: add("info"), warn: add("warn"), error: add("error") };
}

function detections(camera: string, seq: number): Detections {
  return Detections.fromPartial({
    camera,
    seq,
    width: 640,
    height: 480,
    faces: [{ box: { x1: 1, y1: 2, x2: 30, y2: 40 }, score: 0.875 }],
  });
}

/** Reads the dead letters stored so far on ft.dlq.<kind>. */
async function deadLetters(
  bus: Bus,
  kind: string,
  count: number,
): Promise<{ letter: DeadLetter; msg: JsMsg }[]> {
  const consumer = await bus.js.consumers.get("FT_DLQ", { filter_subjects: `ft.dlq.${kind}` });
  const found: { letter: DeadLetter; msg: JsMsg }[] = [];
  for (let i = 0; i < count; i++) {
    const msg = await consumer.next({ expires: 5000 });
    if (!msg) break;
    found.push({ letter: readDeadLetter(msg), msg });
  }
  return found;
}

describe("publishMessage / consumeMessages", () => {
  let server: NatsTestServer;
  let bus: Bus;
  const consumers: MessageConsumer[] = [];
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "consumer-test" });
    await ensureStreams(bus.jsm);
  });
  after(async () => {
    for (const c of consumers) await c.stop();
    await bus?.close();
    await server?.stop();
  });

  async function consume<T>(
    durable: string | undefined,
    filterSubject: string,
    type: MessageType<T>,
    handler: (value: T, info: MessageInfo) => void | Promise<void>,
    extra: {
      logger?: BusLogger;
      onDeadLetter?: (letter: DeadLetter) => void;
      concurrency?: number;
      maxAckPending?: number;
    } = {},
  ): Promise<MessageConsumer> {
    const stream = filterSubject.startsWith("ft.alerts") ? "FT_ALERTS" : "FT_DETECTIONS";
    const c = await consumeMessages({ js: bus.js, stream, durable, filterSubject, type, handler, ...extra });
    consumers.push(c);
    return c;
  }

  it("round-trips typed messages through a durable consumer, acknowledging each", async () => {
    const received: { value: Detections; info: MessageInfo }[] = [];
    const c = await consume("roundtrip", subject("detections", "rt"), Detections, (value, info) => {
      received.push({ value, info });
    });
    for (let seq = 1; seq <= 5; seq++) {
      const ack = await publishMessage(
        bus.js,
        subject("detections", "rt"),
        Detections,
        detections("rt", seq),
      );
      assert.equal(ack.stream, "FT_DETECTIONS");
    }
    await waitFor(() => c.counters.processed === 5, "5 messages processed");
    assert.deepEqual(
      received.map((r) => r.value),
      [1, 2, 3, 4, 5].map((seq) => detections("rt", seq)),
    );
    assert.equal(received[0]?.info.subject, "ft.detections.rt");
    assert.equal(received[0]?.info.stream, "FT_DETECTIONS");
    assert.equal(received[0]?.info.deliveryCount, 1);
    assert.deepEqual(
      { ...c.counters },
      { received: 5, processed: 5, deadLettered: 0, recreated: 0, retried: 0, expired: 0 },
    );
    const info = await bus.jsm.consumers.info("FT_DETECTIONS", "roundtrip");
    await waitFor(
      async () => (await bus.jsm.consumers.info("FT_DETECTIONS", "roundtrip")).num_ack_pending === 0,
      "acks",
    );
    assert.equal(info.num_pending, 0);
  });

  it("runs up to `concurrency` handlers at once, started in stream order, and acknowledges each", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const c = await consume(
      "concurrent",
      subject("detections", "cc"),
      Detections,
      async (value) => {
        started.push(value.seq);
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running--;
      },
      { concurrency: 3, maxAckPending: 4 },
    );
    for (let seq = 1; seq <= 9; seq++) {
      await publishMessage(bus.js, subject("detections", "cc"), Detections, detections("cc", seq));
    }
    await waitFor(() => c.counters.processed === 9, "9 messages processed");
    assert.deepEqual(started, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(most > 1 && most <= 3, `handlers at once: ${most}`);
    await waitFor(
      async () => (await bus.jsm.consumers.info("FT_DETECTIONS", "concurrent")).num_ack_pending === 0,
      "acks",
    );
  });

  it("stores a message once per msgId (Nats-Msg-Id de-duplication)", async () => {
    const alert = Alert.fromPartial({ id: "dup-1", camera: "dedupe", trackId: 1 });
    const first = await publishMessage(bus.js, subject("alerts", "dedupe"), Alert, alert, {
      msgId: alert.id,
    });
    const second = await publishMessage(bus.js, subject("alerts", "dedupe"), Alert, alert, {
      msgId: alert.id,
    });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
  });

  it("dead-letters a message that does not decode, with its origin in headers, and goes on", async () => {
    const logger = collectingLogger();
    const letters: DeadLetter[] = [];
    const processed: number[] = [];
    const c = await consume(
      "malformed",
      subject("detections", "cam1"),
      Detections,
      (value) => {
        processed.push(value.seq);
      },
      { logger, onDeadLetter: (letter) => letters.push(letter) },
    );

    // Field 1 claims 16383 bytes that are not there, followed by random bytes: never a valid message.
    const garbage = Buffer.concat([Buffer.from([0x0a, 0xff, 0x7f]), randomBytes(64)]);
    assert.throws(() => Detections.decode(garbage));
    const bad = await bus.js.publish("ft.detections.cam1", garbage);
    await publishMessage(bus.js, subject("detections", "cam1"), Detections, detections("cam1", 2));

    await waitFor(
      () => c.counters.processed === 1 && c.counters.deadLettered === 1,
      "one processed, one dead letter",
    );
    assert.deepEqual(processed, [2]);
    assert.deepEqual(
      { ...c.counters },
      { received: 2, processed: 1, deadLettered: 1, recreated: 0, retried: 0, expired: 0 },
    );

    const [stored] = await deadLetters(bus, "detections", 1);
    assert.ok(stored, "a dead letter on ft.dlq.detections");
    assert.equal(stored.msg.subject, "ft.dlq.detections");
    assert.equal(stored.msg.headers?.get("Ft-Original-Subject"), "ft.detections.cam1");
    assert.equal(stored.msg.headers?.get("Ft-Original-Seq"), String(bad.seq));
    assert.match(stored.msg.headers?.get("Ft-Error") ?? "", /\S/);
    assert.equal(stored.letter.stream, "FT_DETECTIONS");
    assert.equal(stored.letter.stage, "decode");
    assert.equal(stored.letter.consumer, "malformed");
    assert.deepEqual(Buffer.from(stored.letter.data), garbage);
    assert.equal(letters[0]?.streamSeq, bad.seq);

    const logged = logger.lines.find((l) => l.level === "error");
    assert.equal(logged?.fields.subject, "ft.detections.cam1");
    assert.equal(logged?.fields.seq, bad.seq);

    // terminated, not pending: it will not come back
    await waitFor(
      async () => (await bus.jsm.consumers.info("FT_DETECTIONS", "malformed")).num_ack_pending === 0,
      "acks",
    );
  });

  it("dead-letters a message whose handler throws and keeps consuming", async () => {
    const processed: number[] = [];
    const c = await consume(
      "throwing",
      subject("detections", "thr"),
      Detections,
      (value) => {
        if (value.seq === 2) throw new Error("cannot handle\nframe 2");
        processed.push(value.seq);
      },
      { logger: collectingLogger() },
    );
    for (let seq = 1; seq <= 4; seq++) {
      await publishMessage(bus.js, subject("detections", "thr"), Detections, detections("thr", seq));
    }
    await waitFor(() => c.counters.processed === 3, "3 processed");
    assert.deepEqual(processed, [1, 3, 4]);
    assert.deepEqual(
      { ...c.counters },
      { received: 4, processed: 3, deadLettered: 1, recreated: 0, retried: 0, expired: 0 },
    );
    const letters = await deadLetters(bus, "detections", 2);
    const letter = letters.map((l) => l.letter).find((l) => l.subject === "ft.detections.thr");
    assert.ok(letter);
    assert.equal(letter.stage, "handler");
    assert.equal(letter.error, "Error: cannot handle frame 2");
    assert.equal(Detections.decode(letter.data).seq, 2);
    await waitFor(
      async () => (await bus.jsm.consumers.info("FT_DETECTIONS", "throwing")).num_ack_pending === 0,
      "acks",
    );
  });

  it("resumes a durable consumer where it stopped", async () => {
    const seen: number[] = [];
    const filter = subject("detections", "resume");
    const first = await consume("resume", filter, Detections, (v) => {
      seen.push(v.seq);
    });
    await publishMessage(bus.js, filter, Detections, detections("resume", 1));
    await waitFor(() => first.counters.processed === 1, "first message");
    await first.stop();
    await publishMessage(bus.js, filter, Detections, detections("resume", 2));
    await publishMessage(bus.js, filter, Detections, detections("resume", 3));
    const second = await consume("resume", filter, Detections, (v) => {
      seen.push(v.seq);
    });
    await waitFor(() => second.counters.processed === 2, "the two messages published while stopped");
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it("reads from a sequence with an ordered (ephemeral) consumer", async () => {
    const filter = subject("alerts", "ordered");
    const acks = [];
    for (let i = 1; i <= 4; i++) {
      acks.push(
        await publishMessage(bus.js, filter, Alert, Alert.fromPartial({ id: `o${i}`, camera: "ordered" })),
      );
    }
    const ids: string[] = [];
    const c = await consumeMessages({
      js: bus.js,
      stream: "FT_ALERTS",
      filterSubject: filter,
      type: Alert,
      startSeq: acks[2]?.seq,
      handler: (alert) => {
        ids.push(alert.id);
      },
    });
    consumers.push(c);
    await waitFor(() => ids.length === 2, "two alerts from the start sequence");
    assert.deepEqual(ids, ["o3", "o4"]);
  });
});
