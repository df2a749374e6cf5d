/**
 * Issue 18, item 1: two alert instances split the cameras through leases on a real nats-server. One person
 * on two cameras owned by different instances at the same moment alerts once (the other instance claims
 * in ft_alert_claims, loses, and publishes "seen again"); each instance keeps its notification state in its
 * own directory (`{instance}` in alerts.notification_state_path); one instance killed (its connection
 * closed, nothing released): the survivor takes its cameras within the lease bound, knows the faces it
 * alerted on (followed through ft_alert_memory) and alerts nobody twice; one delivery record per alert.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Bus,
  cameraLeaseHolder,
  connectBus,
  consumeMessages,
  desiredOwner,
  ensureStreams,
  type MessageConsumer,
  publishMessage,
  subject,
} from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import { Alert, AlertDelivery, AlertUpdate, TrackEvent, TrackEventType } from "@facetracker/proto";
import { alertDurable, startAlertService } from "@facetracker/service-alert";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

const TTL_S = 3;
const CAMERAS = ["c1", "c2", "c3", "c4"];
const INSTANCES = ["alert-a", "alert-b"];

/** A 512-float unit vector along axis `i`. */
function face(i: number): number[] {
  const v = new Array<number>(512).fill(0);
  v[i] = 1;
  return v;
}

describe("alert partitions: two alert instances, one person on two of their cameras, one instance killed (real nats-server)", () => {
  let dir: string;
  let nats: NatsTestServer;
  let config: FaceTrackerConfig;
  let observer: Bus;
  const instances = new Map<string, RunningPipeline>();
  const watchers: MessageConsumer[] = [];
  const alerts: Alert[] = [];
  const updates: AlertUpdate[] = [];
  const deliveries: AlertDelivery[] = [];

  const holder = (camera: string) => cameraLeaseHolder(observer.jsm, "alert", camera);
  const heldBy = async (members: string[]) => {
    for (const camera of CAMERAS) if ((await holder(camera)) !== desiredOwner(camera, members)) return false;
    return true;
  };
  /** Every camera's consumer has handled every event. */
  const settled = async () => {
    for (const camera of CAMERAS) {
      try {
        const info = await observer.jsm.consumers.info("FT_TRACKS", alertDurable(camera));
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      } catch {
        return false;
      }
    }
    return true;
  };
  const t0 = Date.now() - 60_000;
  const send = (
    camera: string,
    trackId: number,
    atS: number,
    embedding: number[],
    more: Partial<TrackEvent>,
  ) =>
    publishMessage(
      observer.js,
      subject("tracks", camera),
      TrackEvent,
      TrackEvent.fromPartial({
        camera,
        trackId,
        type: TrackEventType.IDENTIFIED,
        seq: trackId * 100,
        timeMs: t0 + atS * 1000,
        embedding,
        ...more,
      }),
    );
  const amy = { identity: { id: "amy-id", name: "amy", similarity: 0.7, attributes: {} } };
  const bob = { identity: { id: "bob-id", name: "bob", similarity: 0.6, attributes: {} } };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-alert-partitions-"));
    nats = await startNatsServer();
    config = parseConfig({
      alerts: {
        alert_mode: "ON_ALL",
        cooldown_s: 300,
        unknown_cooldown_s: 300,
        notification_state_path: path.join(dir, "notify", "{instance}"),
      },
      partitions: { lease_ttl_s: TTL_S },
      cameras: CAMERAS.map((id) => ({ id, url: "rtsp://127.0.0.1:1/none" })),
    });
    observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    await ensureStreams(observer.jsm);
    const watch = async <T>(
      filterSubject: string,
      type: typeof Alert | typeof AlertUpdate | typeof AlertDelivery,
      into: T[],
    ) => {
      watchers.push(
        await consumeMessages({
          js: observer.js,
          stream: "FT_ALERTS",
          filterSubject,
          type: type as never,
          handler: (value: T) => {
            into.push(value);
          },
        }),
      );
    };
    await watch("ft.alerts.>", Alert, alerts);
    await watch("ft.alert_updates.>", AlertUpdate, updates);
    await watch("ft.deliveries.>", AlertDelivery, deliveries);
    for (const id of INSTANCES) {
      instances.set(
        id,
        await startPipeline(nats.url, config, [[id, (deps) => startAlertService({ ...deps, instance: id })]]),
      );
    }
  });
  after(async () => {
    for (const w of watchers) await w.stop();
    for (const running of instances.values()) await running.stop().catch(() => {});
    await observer?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("splits the cameras, alerts one person once across instances, and survives the loss of one", async () => {
    await waitFor(() => heldBy(INSTANCES), "the cameras split between the two instances", 30_000);
    const cameraOf = (instance: string) => CAMERAS.find((c) => desiredOwner(c, INSTANCES) === instance);
    const [cameraA, cameraB] = INSTANCES.map(cameraOf);
    assert.ok(
      cameraA && cameraB,
      `each instance owns a camera (${CAMERAS.map((c) => desiredOwner(c, INSTANCES))})`,
    );
    for (const id of INSTANCES)
      assert.ok(existsSync(path.join(dir, "notify", id)), `${id}'s own state directory`);

    // Amy on both instances' cameras at once: one alert, one "seen again".
    await Promise.all([send(cameraA, 1, 10, face(1), amy), send(cameraB, 1, 10, face(2), amy)]);
    await waitFor(() => alerts.length + updates.length >= 2, "amy's alert and seen-again update");
    await waitFor(settled, "every event handled");
    assert.equal(alerts.length, 1, `one alert for amy, not ${alerts.map((a) => a.id).join(", ")}`);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.alertId, alerts[0]?.id, "the update names amy's alert");
    assert.equal(updates[0]?.reason, "cooldown");

    // Instance A dies without releasing anything: B takes its cameras once the leases expire.
    const killed = instances.get(INSTANCES[0] as string) as RunningPipeline;
    instances.delete(INSTANCES[0] as string);
    await (killed.buses[0] as Bus).close();
    await killed.stop().catch(() => {});
    await send(cameraA, 2, 20, face(3), bob);
    await send(cameraA, 3, 21, face(1), amy);
    await waitFor(() => heldBy([INSTANCES[1] as string]), "every camera taken over by the survivor", 30_000);
    await waitFor(() => alerts.length >= 2 && updates.length >= 2, "bob's alert and amy seen again", 30_000);
    await waitFor(settled, "every event handled");
    assert.deepEqual(
      alerts.map((a) => a.identity?.name),
      ["amy", "bob"],
      "bob alerts once; amy, alerted by the dead instance, does not alert again",
    );
    assert.equal(updates.at(-1)?.alertId, alerts[0]?.id);
    await waitFor(() => deliveries.length >= 2, "a delivery record per alert");
    assert.deepEqual(deliveries.map((d) => d.alertId).sort(), alerts.map((a) => a.id).sort());
  });
});
