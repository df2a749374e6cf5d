/**
 * One notification per alert per destination, whatever is killed: the alert service as a real process, a
 * real nats-server this test SIGKILLs (or freezes) and restarts on the same store, the real apprise
 * command sending json:// to a local HTTP receiver with two destinations. The receiver holds the
 * requests, so the fault lands exactly between a successful send and its delivery record:
 * (a) the bus is killed while the receiver holds the request: the record's publish fails after the send;
 * (b) the alert service is SIGKILLed after the send, before its alert is acknowledged;
 * (c) the alert service is SIGKILLed while one destination has it and the other is being retried.
 * What users see is counted before and after: notifications delivered per destination, delivery records.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectBus, publishMessage, subject } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { AlertDelivery, TrackEvent, TrackEventType } from "@facetracker/proto";
import { type ServiceProcess, spawnServiceProcess } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { appriseMissing, type HttpReceiver, startHttpReceiver } from "@facetracker/testing/notify";

const noApprise = appriseMissing();
const DESTINATIONS = ["/desk", "/phone"];

describe("notifications exactly once per alert and destination (real alert process, nats-server, apprise)", {
  skip: noApprise ?? false,
}, () => {
  let dir: string;
  let nats: NatsTestServer;
  let receiver: HttpReceiver;
  let configFile: string;
  let alert: ServiceProcess | undefined;
  const logs: string[] = [];
  /** The receiver answers once the current gate opens (the requests are held until then). */
  let openGate: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  const closeGate = () => {
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
  };

  const spawnAlert = async () => {
    alert = await spawnServiceProcess({
      name: "alert",
      configFile,
      env: { FACETRACKER_NATS__URL: nats.url, FACETRACKER_LOG_LEVEL: "info" },
      onLine: (line) => logs.push(line),
    });
    return alert;
  };

  /** Destinations answered with an error (the notification did not go there). */
  const failing = new Set<string>();
  /** Notifications delivered (answered 200): destination and title. */
  const delivered: { path: string; title: string }[] = [];
  /** Notifications delivered to each destination for the camera's alert (the title names the camera). */
  const received = (camera: string) =>
    DESTINATIONS.map((d) => delivered.filter((r) => r.path === d && r.title.includes(camera)).length);

  /** Every notification record of the camera in FT_ALERTS (read from the stream itself). */
  async function notificationRecords(camera: string): Promise<AlertDelivery[]> {
    const bus = await connectBus({ servers: [nats.url], name: "records-reader" });
    try {
      const { state } = await bus.jsm.streams.info("FT_ALERTS");
      const found: AlertDelivery[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const m = await bus.jsm.streams.getMessage("FT_ALERTS", { seq }).catch(() => undefined);
        if (m?.subject !== subject("deliveries", camera)) continue;
        const d = AlertDelivery.decode(m.data);
        if (d.notificationStatus !== "") found.push(d);
      }
      return found;
    } finally {
      await bus.close();
    }
  }

  /** The "notify" consumer has nothing pending and nothing unacknowledged (redeliveries included). */
  async function notifySettled(): Promise<boolean> {
    const bus = await connectBus({ servers: [nats.url], name: "consumer-reader" });
    try {
      const info = await bus.jsm.consumers.info("FT_ALERTS", "notify");
      return info.num_pending === 0 && info.num_ack_pending === 0;
    } finally {
      await bus.close();
    }
  }

  async function raiseAlert(camera: string, seq: number): Promise<void> {
    const bus = await connectBus({ servers: [nats.url], name: "track-events" });
    try {
      await publishMessage(
        bus.js,
        subject("tracks", camera),
        TrackEvent,
        TrackEvent.fromPartial({
          camera,
          trackId: 1,
          type: TrackEventType.IDENTIFIED,
          seq,
          timeMs: Date.now(),
        }),
      );
    } finally {
      await bus.close();
    }
  }

  const logged = (text: string, camera: string) =>
    logs.some((line) => line.includes(text) && line.includes(`"camera":"${camera}"`));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-notify-once-"));
    nats = await startNatsServer({ storeDir: path.join(dir, "nats") });
    receiver = await startHttpReceiver(async (request) => {
      if (failing.has(request.path)) return { status: 500, body: "unavailable" };
      await gate;
      const { title } = JSON.parse(request.body.toString("utf8")) as { title: string };
      delivered.push({ path: request.path, title });
      return { status: 200, body: "{}" };
    });
    configFile = path.join(dir, "config.json");
    const config = parseConfig({
      alerts: {
        alert_mode: "ON_ALL",
        clip_duration: 0,
        notification_config: DESTINATIONS.map((d) => `json://127.0.0.1:${receiver.port}${d}`),
        notification_group_s: 0,
        notification_clip_wait_s: 0,
        notification_retries: 5,
        notification_state_path: path.join(dir, "notify-state"),
      },
    });
    await writeFile(configFile, JSON.stringify(config));
    await spawnAlert();
  });

  after(async () => {
    openGate();
    await alert?.stop(5000);
    await receiver?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("(a) nats-server SIGKILLed while the receiver holds the request: sent once, the record published after the restart, once", async () => {
    closeGate();
    await raiseAlert("door", 10);
    await receiver.request(1); // both destinations hold a request: the sends are under way
    process.kill(nats.pid, "SIGKILL");
    await nats.exited;
    openGate(); // apprise succeeds now: the notification went out, the bus is gone
    await waitFor(
      () => logged("notification record not published yet", "door"),
      "the record's publish failing after the send",
      60_000,
    );
    await nats.restart();
    await waitFor(async () => (await notificationRecords("door")).length > 0, "the record", 120_000);
    await waitFor(notifySettled, "the alert acknowledged", 120_000);

    assert.deepEqual(received("door"), [1, 1], "one notification per destination");
    const records = await notificationRecords("door");
    assert.equal(records.length, 1, "one delivery record");
    assert.equal(records[0]?.notificationStatus, "sent");
    assert.equal(records[0]?.alertId, "door-1-10");
  });

  it("(b) alert service SIGKILLed after sending, before acknowledging: the next process sends nothing and records once", async () => {
    closeGate();
    const before = receiver.requests.length;
    await raiseAlert("yard", 20);
    await receiver.request(before + 1);
    // The bus stops answering (frozen, not gone): the record cannot be published, the alert not acknowledged.
    process.kill(nats.pid, "SIGSTOP");
    try {
      openGate();
      await waitFor(
        () => logged("notification record not published yet", "yard"),
        "the record's publish failing after the send",
        60_000,
      );
      await alert?.kill();
    } finally {
      process.kill(nats.pid, "SIGCONT");
    }
    await spawnAlert();
    // The alert comes back to the new process (ack wait), which finds its sent-marks and its record.
    await waitFor(async () => (await notificationRecords("yard")).length > 0, "the record", 120_000);
    await waitFor(notifySettled, "the redelivered alert acknowledged", 120_000);

    assert.deepEqual(received("yard"), [1, 1], "not sent again by the new process");
    const records = await notificationRecords("yard");
    assert.equal(records.length, 1, "one delivery record");
    assert.equal(records[0]?.notificationStatus, "sent");
    assert.deepEqual(received("door"), [1, 1], "the earlier alert was not sent again either");
    assert.equal((await notificationRecords("door")).length, 1);
  });

  it("(c) alert service SIGKILLed while one destination has it and the other is retried: each destination gets it once", async () => {
    failing.add("/phone");
    await raiseAlert("gate", 30);
    // /desk answered: its sent-mark is written; /phone failed and waits for its next attempt.
    await waitFor(() => received("gate")[0] === 1, "the notification at /desk", 60_000);
    const sentLog = path.join(dir, "notify-state", "sent.log");
    const marks = async () => (await readFile(sentLog, "utf8")).includes('"k":"gate-1-30@');
    await waitFor(marks, "the sent-mark of /desk", 60_000);
    await alert?.kill();
    failing.delete("/phone");
    await spawnAlert();
    await waitFor(async () => (await notificationRecords("gate")).length > 0, "the record", 120_000);
    await waitFor(notifySettled, "the redelivered alert acknowledged", 120_000);

    assert.deepEqual(received("gate"), [1, 1], "/desk not sent again; /phone sent by the new process");
    const records = await notificationRecords("gate");
    assert.equal(records.length, 1, "one delivery record");
    assert.equal(records[0]?.notificationStatus, "sent");
  });
});
