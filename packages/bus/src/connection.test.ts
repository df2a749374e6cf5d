import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isProcessAlive } from "@facetracker/infra";
import { Alert, Detections } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { startNatsServer } from "@facetracker/testing/bus";
import { publishMessage } from "./codec.ts";
import { BusConnectionError, type BusStatus, connectBus } from "./connection.ts";
import { consumeMessages } from "./consumer.ts";
import { ensureStreams } from "./streams.ts";
import { subject } from "./subjects.ts";

describe("connectBus", () => {
  it("is refused without the server's token, with a clear error, and accepted with it", async () => {
    const server = await startNatsServer({ token: "s3cret-token" });
    try {
      for (const options of [{}, { token: "wrong" }]) {
        await assert.rejects(connectBus({ servers: server.url, ...options }), (error: Error) => {
          assert.ok(error instanceof BusConnectionError);
          assert.match(
            error.message,
            /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: authorization violation/,
          );
          assert.match(error.message, /token or user\/pass/);
          return true;
        });
      }
      const bus = await connectBus({ servers: server.url, token: "s3cret-token", name: "auth-test" });
      const info = await bus.jsm.getAccountInfo();
      assert.equal(typeof info.streams, "number");
      await bus.close();
    } finally {
      await server.stop();
    }
  });

  it("accepts user and password, and checks that both are given", async () => {
    const server = await startNatsServer({ user: "ft", pass: "pw" });
    try {
      await assert.rejects(
        connectBus({ servers: server.url, user: "ft", pass: "nope" }),
        /authorization violation/,
      );
      const bus = await connectBus({ servers: server.url, user: "ft", pass: "pw" });
      await bus.close();
      await assert.rejects(connectBus({ servers: server.url, user: "ft" }), /user and pass go together/);
      await assert.rejects(connectBus({ servers: [] }), /at least one NATS server/);
    } finally {
      await server.stop();
    }
  });

  it("says when nothing listens at the address", async () => {
    const server = await startNatsServer();
    const { url, pid } = server;
    await server.stop();
    assert.equal(isProcessAlive(pid), false, "stop() ended the nats-server child");
    await assert.rejects(connectBus({ servers: url }), (error: Error) => {
      assert.ok(error instanceof BusConnectionError);
      assert.match(error.message, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: connection refused/);
      return true;
    });
  });

  it("reconnects after a server restart and a durable consumer loses no stored alert", async () => {
    const server = await startNatsServer();
    const statuses: BusStatus["type"][] = [];
    const bus = await connectBus({
      servers: server.url,
      name: "restart-test",
      reconnectWaitMs: 50,
      onStatus: (s) => statuses.push(s.type),
    });
    try {
      await ensureStreams(bus.jsm);
      const alertsSubject = subject("alerts", "lobby");
      const alert = (n: number) =>
        Alert.fromPartial({ id: `alert-${n}`, camera: "lobby", trackId: n, seq: n });

      // The first alert's handler holds until the server has restarted, so alerts 1..10 are stored and
      // none is acknowledged when the server goes down.
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const seen = new Set<string>();
      const consumer = await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        durable: "notifier",
        filterSubject: "ft.alerts.>",
        type: Alert,
        ackWaitMs: 5_000,
        handler: async (a) => {
          if (a.id === "alert-1") await held;
          seen.add(a.id);
        },
      });
      for (let n = 1; n <= 10; n++) {
        await publishMessage(bus.js, alertsSubject, Alert, alert(n), { msgId: `alert-${n}` });
      }
      await waitFor(() => consumer.counters.received >= 1, "the first alert in hand");
      const oldPid = server.pid;

      await server.restart();
      assert.equal(isProcessAlive(oldPid), false);
      await waitFor(() => statuses.includes("reconnect"), "the reconnect event");
      release();

      for (let n = 11; n <= 15; n++) {
        await publishMessage(bus.js, alertsSubject, Alert, alert(n), { msgId: `alert-${n}` });
      }
      await waitFor(() => seen.size === 15, "all 15 alerts handled");
      assert.deepEqual([...seen].sort(), Array.from({ length: 15 }, (_, i) => `alert-${i + 1}`).sort());
      assert.ok(statuses.includes("disconnect"), `disconnect reported (got ${statuses.join(", ")})`);
      assert.equal(consumer.counters.deadLettered, 0);
      assert.equal(consumer.counters.recreated, 0, "the durable consumer survived the restart");
      const info = await bus.jsm.streams.info("FT_ALERTS");
      assert.equal(info.state.messages, 15, "file storage kept the stream across the restart");
      await consumer.stop();
    } finally {
      await bus.close();
      await server.stop();
    }
  });

  it("re-creates a durable consumer whose memory stream was lost in a server restart", async () => {
    const server = await startNatsServer();
    const bus = await connectBus({ servers: server.url, reconnectWaitMs: 50 });
    try {
      await ensureStreams(bus.jsm);
      const filter = subject("detections", "cam1");
      const seen: number[] = [];
      const consumer = await consumeMessages({
        js: bus.js,
        stream: "FT_DETECTIONS",
        durable: "tracker",
        filterSubject: filter,
        type: Detections,
        ensureStream: () => ensureStreams(bus.jsm),
        logger: { info() {}, warn() {}, error() {} },
        handler: (d) => {
          seen.push(d.seq);
        },
      });
      await publishMessage(bus.js, filter, Detections, Detections.fromPartial({ camera: "cam1", seq: 1 }));
      await waitFor(() => seen.length === 1, "the first detections");

      await server.restart(); // FT_DETECTIONS is in memory: gone, with its consumer
      await waitFor(() => consumer.counters.recreated === 1, "the consumer re-created");
      const info = await bus.jsm.streams.info("FT_DETECTIONS");
      assert.equal(info.state.messages, 0, "the stream was re-created empty");

      await publishMessage(bus.js, filter, Detections, Detections.fromPartial({ camera: "cam1", seq: 2 }));
      await waitFor(() => seen.length === 2, "detections published after the restart");
      assert.deepEqual(seen, [1, 2]);
      await consumer.stop();
    } finally {
      await bus.close();
      await server.stop();
    }
  });
});
