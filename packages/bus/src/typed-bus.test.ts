import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  Alert,
  AlertDelivery,
  AlertUpdate,
  ClipEvent,
  Detections,
  EmbedResult,
  Frame,
  FrameEncoding,
  GalleryChanged,
  GalleryChangeKind,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import type { MessageConsumer } from "./consumer.ts";
import { readDeadLetter } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import type { MessageKind, MessageKinds } from "./message-kinds.ts";
import { streamOf } from "./message-kinds.ts";
import { RemoteError } from "./request-reply.ts";
import { type BusKind, type TypedBus, typedBus } from "./typed-bus.ts";

const quiet: BusLogger = { info() {}, warn() {}, error() {} };

/** One message of each kind, for camera `camera`. */
function samples(camera: string): { [K in MessageKind]: MessageKinds[K] } {
  return {
    frames: Frame.fromPartial({
      camera,
      seq: 7,
      pts: 0.28,
      capturedAtMs: 1_700_000_000_000,
      width: 64,
      height: 48,
      encoding: FrameEncoding.JPEG,
      data: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
    }),
    detections: Detections.fromPartial({
      camera,
      seq: 7,
      width: 64,
      height: 48,
      faces: [{ box: { x1: 1, y1: 2, x2: 30, y2: 40 }, score: 0.875 }],
    }),
    tracks: TrackEvent.fromPartial({ camera, trackId: 3, type: TrackEventType.CONFIRMED, seq: 7 }),
    snapshots: TrackSnapshot.fromPartial({
      camera,
      seq: 7,
      tracks: [{ trackId: 3, state: TrackStateKind.CONFIRMED, box: { x1: 1, y1: 2, x2: 3, y2: 4 } }],
    }),
    alerts: Alert.fromPartial({ id: `${camera}-3-7`, camera, trackId: 3, seq: 7, mode: "all" }),
    alert_updates: AlertUpdate.fromPartial({ alertId: `${camera}-3-7`, camera, trackId: 4, seq: 9 }),
    deliveries: AlertDelivery.fromPartial({ alertId: `${camera}-3-7`, camera, clipStatus: "stored" }),
    clips: ClipEvent.fromPartial({ camera, alertId: `${camera}-3-7`, key: "k.mp4", frames: 12 }),
  };
}

const KINDS: MessageKind[] = [
  "frames",
  "detections",
  "tracks",
  "snapshots",
  "alerts",
  "alert_updates",
  "deliveries",
  "clips",
];

/** Counts what the hooks report, by "hook kind". */
function hookCounts() {
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    counts,
    of: (hook: string, kind: BusKind) => counts.get(`${hook} ${kind}`) ?? 0,
    onPublished: (kind: BusKind) => bump(`out ${kind}`),
    onConsumed: (kind: BusKind) => bump(`in ${kind}`),
    onDeadLettered: (kind: MessageKind) => bump(`dlq ${kind}`),
  };
}

describe("typedBus", () => {
  let server: NatsTestServer;
  let connection: Bus;
  let bus: TypedBus;
  const hooks = hookCounts();
  const consumers: MessageConsumer[] = [];
  before(async () => {
    server = await startNatsServer();
    connection = await connectBus({ servers: server.url, name: "typed-bus-test" });
    bus = typedBus(connection, { logger: quiet, ...hooks });
    await bus.ensureStreams();
  });
  after(async () => {
    for (const c of consumers) await c.stop();
    await connection?.close();
    await server?.stop();
  });

  it("binds each kind to its stream", () => {
    assert.deepEqual(
      KINDS.map((k) => streamOf(k)),
      [
        "FT_FRAMES",
        "FT_DETECTIONS",
        "FT_TRACKS",
        "FT_SNAPSHOTS",
        "FT_ALERTS",
        "FT_ALERTS",
        "FT_ALERTS",
        "FT_CLIPS",
      ],
    );
  });

  for (const kind of KINDS) {
    it(`round-trips ${kind} on ft.${kind}.<camera> through a durable consumer, counted out and in`, async () => {
      const camera = `rt-${kind}`;
      const sent = samples(camera)[kind];
      const received: { value: unknown; subject: string; stream: string }[] = [];
      const c = await bus.consume(kind, {
        durable: `rt-${kind}`,
        camera,
        handler: (value, info) => {
          received.push({ value, subject: info.subject, stream: info.stream });
        },
      });
      consumers.push(c);
      const outBefore = hooks.of("out", kind);
      const inBefore = hooks.of("in", kind);
      const ack = await bus.publish(kind, sent);
      assert.equal(ack.stream, streamOf(kind));
      await waitFor(() => c.counters.processed === 1, `the ${kind} message processed`);
      assert.deepEqual(received, [{ value: sent, subject: `ft.${kind}.${camera}`, stream: streamOf(kind) }]);
      assert.equal(hooks.of("out", kind), outBefore + 1);
      assert.equal(hooks.of("in", kind), inBefore + 1);
    });
  }

  it("consumes every camera's messages of a kind when no camera is given", async () => {
    const seen: string[] = [];
    const c = await bus.consume("tracks", {
      durable: "every-camera",
      deliverPolicy: "new",
      handler: (event) => {
        seen.push(event.camera);
      },
    });
    consumers.push(c);
    for (const camera of ["door", "hall", "yard"]) await bus.publish("tracks", samples(camera).tracks);
    await waitFor(() => seen.length === 3, "three cameras' track events");
    assert.deepEqual(seen, ["door", "hall", "yard"]);
  });

  it("de-duplicates a publish by msgId", async () => {
    const alert = samples("dedupe").alerts;
    const first = await bus.publish("alerts", alert, { msgId: alert.id });
    const second = await bus.publish("alerts", alert, { msgId: alert.id });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
  });

  it("rejects a value whose camera is not a valid subject token", async () => {
    await assert.rejects(bus.publish("frames", samples("bad camera").frames), /invalid camera id/);
  });

  it("dead-letters a malformed message to ft.dlq.<kind>, counts it, and goes on", async () => {
    const processed: number[] = [];
    const c = await bus.consume("detections", {
      durable: "malformed",
      camera: "broken",
      handler: (d) => {
        processed.push(d.seq);
      },
    });
    consumers.push(c);
    const inBefore = hooks.of("in", "detections");
    // Field 1 claims 16383 bytes that are not there: never a valid message.
    const garbage = Buffer.from([0x0a, 0xff, 0x7f, 1, 2, 3]);
    const bad = await connection.js.publish("ft.detections.broken", garbage);
    await bus.publish("detections", { ...samples("broken").detections, seq: 8 });
    await waitFor(
      () => c.counters.processed === 1 && c.counters.deadLettered === 1,
      "one ok, one dead letter",
    );
    assert.deepEqual(processed, [8]);
    assert.equal(hooks.of("dlq", "detections"), 1);
    assert.equal(hooks.of("in", "detections"), inBefore + 1, "only the decoded message is counted in");

    const dlq = await connection.js.consumers.get("FT_DLQ", { filter_subjects: "ft.dlq.detections" });
    const stored = await dlq.next({ expires: 5000 });
    assert.ok(stored, "a dead letter on ft.dlq.detections");
    const letter = readDeadLetter(stored);
    assert.equal(letter.subject, "ft.detections.broken");
    assert.equal(letter.streamSeq, bad.seq);
    assert.equal(letter.stage, "decode");
    assert.equal(letter.consumer, "malformed");
  });

  it("replays one camera's messages between two stream sequences", async () => {
    const acks = [];
    for (let seq = 1; seq <= 4; seq++) {
      acks.push(await bus.publish("detections", { ...samples("replay").detections, seq }));
      await bus.publish("detections", { ...samples("other").detections, seq });
    }
    const seen: number[] = [];
    const count = await bus.replay("detections", "replay", {
      afterSeq: acks[0]?.seq ?? 0,
      upToSeq: acks[2]?.seq ?? 0,
      handler: (d) => {
        seen.push(d.seq);
      },
    });
    assert.equal(count, 2);
    assert.deepEqual(seen, [2, 3]);
  });

  it("reports a durable consumer's ack floor and backlog, and the stream's state", async () => {
    assert.equal(await bus.ackFloor("frames", "no-such-consumer"), 0);
    const floor = await waitFor(async () => bus.ackFloor("frames", "rt-frames"), "an ack floor");
    assert.ok(floor > 0);
    assert.deepEqual(await bus.backlog("frames", "rt-frames"), { pending: 0, ackPending: 0 });
    const state = await bus.streamState("frames");
    assert.ok(state.messages >= 1 && state.lastSeq >= state.firstSeq && state.created.length > 0);
  });

  it("brings a deleted stream back on publish", async () => {
    await connection.jsm.streams.delete("FT_CLIPS");
    const ack = await bus.publish("clips", samples("again").clips);
    assert.equal(ack.stream, "FT_CLIPS");
  });

  it("broadcasts gallery changes to every subscriber, skipping undecodable ones", async () => {
    const listener = await connectBus({ servers: server.url, name: "typed-bus-listener" });
    try {
      const other = typedBus(listener, { logger: quiet });
      const heard: GalleryChanged[][] = [[], []];
      const subscriptions = [
        other.galleryChanged.subscribe((change) => heard[0]?.push(change)),
        other.galleryChanged.subscribe((change) => heard[1]?.push(change)),
      ];
      await listener.nc.flush();
      connection.nc.publish("ft.gallery.changed", new Uint8Array([0x0a, 0xff, 0x7f]));
      const change = GalleryChanged.fromPartial({
        kind: GalleryChangeKind.ENROLLED,
        identityId: "id-1",
        name: "Ada",
        timeMs: 1_700_000_000_000,
      });
      bus.galleryChanged.publish(change);
      await waitFor(() => heard.every((h) => h.length === 1), "both subscribers heard the change");
      assert.deepEqual(heard, [[change], [change]]);
      for (const s of subscriptions) s.unsubscribe();
    } finally {
      await listener.close();
    }
  });

  it("serves and sends embed requests, counting each served request in and its reply out", async () => {
    const worker = bus.embed.serve((request) => {
      if (request.camera === "explode") throw new Error("cannot embed this");
      return EmbedResult.fromPartial({
        items: request.items.map((i) => ({ trackKey: i.trackKey, vector: [i.alignedRgb.length] })),
      });
    });
    try {
      await connection.nc.flush();
      const reply = await bus.embed.request(
        { camera: "door", seq: 1, topK: 3, items: [{ trackKey: 4, alignedRgb: Buffer.alloc(6) }] },
        5000,
      );
      assert.deepEqual(
        reply.items.map((i) => [i.trackKey, i.vector]),
        [[4, [6]]],
      );
      await assert.rejects(
        bus.embed.request({ camera: "explode", seq: 2, topK: 3, items: [] }, 5000),
        RemoteError,
      );
      assert.equal(hooks.of("in", "embed"), 2);
      assert.equal(hooks.of("out", "embed"), 1);
    } finally {
      await worker.stop();
    }
  });
});
