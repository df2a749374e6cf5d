import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Detections } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import { consumeMessages } from "./consumer.ts";
import { openStateBucket } from "./state-bucket.ts";
import { consumerAckFloor, replayStream } from "./stream-replay.ts";
import { ensureStreams } from "./streams.ts";
import { subject } from "./subjects.ts";

describe("state bucket and stream replay (real nats-server)", () => {
  let server: NatsTestServer;
  let bus: Bus;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "replay-test" });
    await ensureStreams(bus.jsm);
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("a state bucket keeps the latest JSON value per key, and opening it again is harmless", async () => {
    const bucket = await openStateBucket(bus.js, "ft_test_state", { description: "test" });
    await bucket.put("cam-b", { v: 1, n: [1.5, -0.25] });
    await bucket.put("cam-a", { v: 1 });
    await bucket.put("cam-b", { v: 1, n: [2] });
    const again = await openStateBucket(bus.nc, "ft_test_state");
    assert.deepEqual(await again.keys(), ["cam-a", "cam-b"]);
    assert.deepEqual(await again.get("cam-b"), { v: 1, n: [2] });
    const info = await bus.jsm.streams.info("KV_ft_test_state");
    assert.equal(info.config.max_msgs_per_subject, 1, "history 1");
    assert.equal(info.config.storage, "file");
    await again.delete("cam-a");
    assert.equal(await again.get("cam-a"), undefined);
    assert.deepEqual(await again.keys(), ["cam-b"]);
    await bus.js.publish("$KV.ft_test_state.bad", "{not json");
    await assert.rejects(again.get("bad"), /ft_test_state\/bad: the stored value is not JSON/);
  });

  it("replays one camera's messages between two sequences, and reads a durable consumer's ack floor", async () => {
    assert.equal(await consumerAckFloor(bus.jsm, "FT_DETECTIONS", "nobody"), 0, "no consumer: 0");
    const seqs: Record<string, number[]> = { a: [], b: [] };
    for (let i = 0; i < 10; i++) {
      const camera = i % 3 === 0 ? "b" : "a";
      const ack = await bus.js.publish(
        subject("detections", camera),
        Detections.encode(Detections.fromPartial({ camera, seq: i })).finish(),
      );
      seqs[camera]?.push(ack.seq);
    }
    await bus.js.publish(subject("detections", "a"), new Uint8Array([0xff, 0x01])); // does not decode

    const read: [number, number][] = [];
    const undecodable: number[] = [];
    const all = await replayStream({
      jsm: bus.jsm,
      stream: "FT_DETECTIONS",
      subject: subject("detections", "a"),
      afterSeq: 0,
      upToSeq: 1000,
      type: Detections,
      handler: (d, info) => {
        read.push([d.seq, info.streamSeq]);
      },
      onUndecodable: (info) => undecodable.push(info.streamSeq),
    });
    assert.equal(all, 6);
    assert.deepEqual(
      read.map(([, s]) => s),
      seqs.a,
    );
    assert.deepEqual(
      read.map(([seq]) => seq),
      [1, 2, 4, 5, 7, 8],
    );
    assert.equal(undecodable.length, 1);

    const a = seqs.a as number[];
    const range: number[] = [];
    const n = await replayStream({
      jsm: bus.jsm,
      stream: "FT_DETECTIONS",
      subject: subject("detections", "a"),
      afterSeq: a[1] as number,
      upToSeq: a[4] as number,
      type: Detections,
      handler: (_d, info) => {
        range.push(info.streamSeq);
      },
    });
    assert.equal(n, 3);
    assert.deepEqual(range, a.slice(2, 5), "after the first sequence, up to and including the last");

    // A durable consumer that acknowledged the first three messages and holds the fourth: its ack floor
    // is the third's sequence.
    let handled = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = await consumeMessages({
      js: bus.js,
      stream: "FT_DETECTIONS",
      durable: "replay-test",
      filterSubject: "ft.detections.>",
      type: Detections,
      maxAckPending: 1,
      handler: async () => {
        handled++;
        if (handled === 4) await gate; // the fourth is not acknowledged yet
      },
    });
    await waitFor(() => handled >= 4, "four messages given to the handler");
    const floor = await waitFor(async () => {
      const f = await consumerAckFloor(bus.jsm, "FT_DETECTIONS", "replay-test");
      return f >= 3 ? f : undefined;
    }, "the ack floor");
    assert.equal(floor, 3);
    release();
    await consumer.stop();
  });
});
