/**
 * The alert service's notification state on a real nats-server that this test SIGKILLs and restarts on
 * the same store: sent-marks are durable in the local file whatever the bus does, and copied to the KV
 * bucket once it answers, so a service on another machine (another directory) finds them; delivery
 * records kept while the bus is down go out once when it is back; one directory, one alert service.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, subject, type TypedBus, typedBus } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { AlertDelivery } from "@facetracker/proto";
import { openNotificationState } from "@facetracker/service-alert";
import { createLogger } from "@facetracker/service-kit";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";

describe("notification state: local sent-marks, their KV copy, delivery records (real nats-server)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let connection: Bus;
  let bus: TypedBus;
  const logs: string[] = [];
  const logger = createLogger("alert", { stream: { write: (line: string) => logs.push(line) > 0 } });
  const configIn = (name: string) =>
    parseConfig({ alerts: { notification_state_path: path.join(dir, name) } });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-notify-state-"));
    nats = await startNatsServer({ storeDir: path.join(dir, "nats") });
    connection = await connectBus({ servers: [nats.url], name: "notify-state-test" });
    bus = typedBus(connection);
    await bus.ensureStreams();
  });
  after(async () => {
    await connection?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a mark made on one machine is found on another through the KV bucket", async () => {
    const here = await openNotificationState(configIn("here"), bus, logger);
    await here.marks.markSent(["door-1-10@1000"], "dest-a");
    await waitFor(async () => (await here.marks.flush()) === 0, "the copy in the bucket");
    await here.close();
    const there = await openNotificationState(configIn("there"), bus, logger);
    try {
      assert.equal(await there.marks.wasSent("door-1-10@1000", "dest-a"), true, "found in the bucket");
      assert.equal(await there.marks.wasSent("door-1-10@1000", "dest-b"), false);
      assert.equal(await there.marks.wasSent("door-1-10@2000", "dest-a"), false, "another alert");
    } finally {
      await there.close();
    }
  });

  it("refuses a second alert service on the same directory, naming it", async () => {
    const first = await openNotificationState(configIn("shared"), bus, logger);
    try {
      await assert.rejects(
        openNotificationState(configIn("shared"), bus, logger),
        /notification_state_path .*shared is in use by another alert service \(process \d+\)/,
      );
    } finally {
      await first.close();
    }
  });

  it("{instance} in the path gives each alert instance its own directory (a volume shared by replicas)", async () => {
    const one = await openNotificationState(configIn("replicas/{instance}"), bus, logger, "host-a");
    try {
      const two = await openNotificationState(configIn("replicas/{instance}"), bus, logger, "host-b");
      await two.close();
      await assert.rejects(
        openNotificationState(configIn("replicas/{instance}"), bus, logger, "host-a"),
        /replicas\/host-a is in use by another alert service/,
      );
    } finally {
      await one.close();
    }
  });

  it("with nats-server SIGKILLed: marks are made locally, records kept; after the restart both go out, once", async () => {
    const state = await openNotificationState(configIn("outage"), bus, logger);
    try {
      process.kill(nats.pid, "SIGKILL");
      await nats.exited;
      await state.marks.markSent(["yard-2-20@3000"], "dest-a");
      assert.equal(await state.marks.wasSent("yard-2-20@3000", "dest-a"), true, "the local file has it");
      const delivery = AlertDelivery.fromPartial({
        alertId: "yard-2-20",
        camera: "yard",
        notificationStatus: "sent",
        notificationAttempts: 1,
        timeMs: 3000,
      });
      const published = state.records.publish("yard-2-20@3000", delivery);
      await waitFor(
        () =>
          logs.some((l) => l.includes("notification record not published yet") && l.includes("yard-2-20")),
        "a failed publish",
        30_000,
      );
      assert.deepEqual(state.records.get("yard-2-20@3000"), { delivery, published: false });
      assert.equal(state.marks.uncopied, 1, "the copy waits for the bus");

      await nats.restart();
      await published;
      assert.equal(state.records.get("yard-2-20@3000")?.published, true);
      await waitFor(async () => (await state.marks.flush()) === 0, "the copy in the bucket", 60_000);
      // The same alert again (redelivered): its record is not published a second time.
      await state.records.publish("yard-2-20@3000", delivery);
    } finally {
      await state.close();
    }
    const elsewhere = await openNotificationState(configIn("elsewhere"), bus, logger);
    try {
      assert.equal(await elsewhere.marks.wasSent("yard-2-20@3000", "dest-a"), true);
    } finally {
      await elsewhere.close();
    }
    const { state: stream } = await connection.jsm.streams.info("FT_ALERTS");
    let records = 0;
    for (let seq = stream.first_seq; seq <= stream.last_seq; seq++) {
      const m = await connection.jsm.streams.getMessage("FT_ALERTS", { seq }).catch(() => undefined);
      if (m?.subject === subject("deliveries", "yard")) records++;
    }
    assert.equal(records, 1, "one record on the stream");
  });

  it("a record a stopped service could not publish goes out at the next start", async () => {
    const first = await openNotificationState(configIn("leftover"), bus, logger);
    process.kill(nats.pid, "SIGSTOP"); // the bus does not answer: the publish fails, the service stops
    const delivery = AlertDelivery.fromPartial({ alertId: "lane-3-30", camera: "lane", timeMs: 4000 });
    try {
      const publishing = first.records.publish("lane-3-30@4000", delivery);
      await waitFor(
        () =>
          logs.some((l) => l.includes("notification record not published yet") && l.includes("lane-3-30")),
        "a failed publish",
        30_000,
      );
      first.records.stopRetrying();
      await publishing;
      await first.close();
    } finally {
      process.kill(nats.pid, "SIGCONT");
    }
    const next = await openNotificationState(configIn("leftover"), bus, logger);
    try {
      assert.equal(next.records.unpublished, 1);
      await next.records.publishLeftovers();
      assert.equal(next.records.unpublished, 0);
      assert.equal(next.records.get("lane-3-30@4000")?.published, true);
    } finally {
      await next.close();
    }
  });
});
