/**
 * One alert per person in the alert service, on a real nats-server: a new track whose face matches a face
 * of an alert (on any camera) is published as that alert's "seen again" update, not as a new alert, and
 * gets no notification; a known identity within its cooldown likewise; the memory of recent faces is still
 * there after the service restarts (KV ft_alert_memory); an unknown alert carries its closest identity;
 * gRPC WatchAlerts streams the updates to a client that asks for them.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  camerasInStream,
  connectBus,
  consumeMessages,
  ensureStreams,
  publishMessage,
  subject,
} from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import {
  Alert,
  AlertDelivery,
  AlertUpdate,
  FaceTrackerApiClient,
  TrackEvent,
  TrackEventType,
} from "@facetracker/proto";
import { startAlertService } from "@facetracker/service-alert";
import { startApiService } from "@facetracker/service-api";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { credentials } from "@grpc/grpc-js";
import { startPipeline } from "./helpers/pipeline-harness.ts";

/** A 512-float unit vector: axis `i`, turned towards axis 511 by `tilt` radians. */
function face(i: number, tilt = 0): number[] {
  const v = new Array<number>(512).fill(0);
  v[i] = Math.cos(tilt);
  v[511] = Math.sin(tilt);
  return v;
}

describe("one alert per person in the alert service (real nats-server)", () => {
  let nats: NatsTestServer;
  let stateDir: string;
  before(async () => {
    nats = await startNatsServer();
    stateDir = await mkdtemp(path.join(os.tmpdir(), "ft-seen-again-"));
  });
  after(async () => {
    await nats?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("publishes a returning face as 'seen again' on its alert, across cameras and a restart; known people keep their cooldown", async () => {
    const config = parseConfig({
      db_path: path.join(stateDir, "gallery"),
      alerts: {
        alert_mode: "ON_ALL",
        cooldown_s: 300,
        unknown_cooldown_s: 300,
        notification_state_path: path.join(stateDir, "notify"),
      },
      api: { port: 0, http_port: 0 },
    });
    const bus = await connectBus({ servers: [nats.url], name: "seen-again-test" });
    await ensureStreams(bus.jsm);
    const alerts: Alert[] = [];
    const updates: AlertUpdate[] = [];
    const deliveries: AlertDelivery[] = [];
    const watchers = [
      await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.alerts.>",
        type: Alert,
        handler: (a) => {
          alerts.push(a);
        },
      }),
      await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.alert_updates.>",
        type: AlertUpdate,
        handler: (u) => {
          updates.push(u);
        },
      }),
      await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.deliveries.>",
        type: AlertDelivery,
        handler: (d) => {
          deliveries.push(d);
        },
      }),
    ];
    const t0 = Date.now() - 60_000;
    const send = (
      camera: string,
      trackId: number,
      atS: number,
      embedding: number[],
      more: Partial<TrackEvent> = {},
    ) =>
      publishMessage(
        bus.js,
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
    const obama = { id: "o-id", name: "obama", similarity: 0.28, attributes: {} };
    const amy = { id: "amy-id", name: "amy", similarity: 0.7, attributes: {} };

    try {
      const first = await startPipeline(nats.url, config, [["alert", startAlertService]]);
      try {
        await firstRun();
      } finally {
        await first.stop();
      }
      // A restarted service still knows the recent faces.
      const restarted = await startPipeline(nats.url, config, [
        ["api", startApiService],
        ["alert", startAlertService],
      ]);
      try {
        await afterRestart();
        await watchedThroughGrpc((restarted.services.get("api") as unknown as { port: number }).port);
        await visitors();
      } finally {
        await restarted.stop();
      }
    } finally {
      for (const w of watchers) await w.stop();
      await bus.close();
    }

    async function firstRun() {
      // An unknown face on the door camera: an alert, which says who it came closest to.
      await send("door", 1, 0, face(0), { closest: obama });
      await waitFor(() => alerts.length === 1, "the first alert");
      assert.deepEqual(
        [alerts[0]?.id, alerts[0]?.identity, alerts[0]?.closest?.name, alerts[0]?.closest?.similarity],
        ["door-1-100", undefined, "obama", Math.fround(obama.similarity)],
      );
      // The face memory beside the gallery (db_path) knows no one yet: a new visitor, its first visit.
      assert.deepEqual(
        [alerts[0]?.visitorId, alerts[0]?.visitorVisits, alerts[0]?.visitorVisitsToday],
        [1, 1, 1],
      );
      // The same face on the hall camera 20 s later: seen again, not a new alert.
      await send("hall", 1, 20, face(0, 0.3));
      await waitFor(() => updates.length === 1, "the seen-again update");
      assert.deepEqual(
        [
          updates[0]?.alertId,
          updates[0]?.alertCamera,
          updates[0]?.camera,
          updates[0]?.trackId,
          updates[0]?.reason,
        ],
        ["door-1-100", "door", "hall", 1, "same_face"],
      );
      assert.ok(Math.abs((updates[0]?.similarity ?? 0) - Math.cos(0.3)) < 1e-4);
      assert.equal(updates[0]?.visitorId, 1, "the sighting joins the alert's visitor");
      // amy alerts once; her next track, on another camera, is within the cooldown.
      await send("door", 2, 30, face(1), { identity: amy });
      await waitFor(() => alerts.length === 2, "amy's alert");
      await send("hall", 2, 40, face(2), { identity: amy });
      await waitFor(() => updates.length === 2, "amy seen again");
      assert.deepEqual([updates[1]?.alertId, updates[1]?.reason], ["door-2-200", "cooldown"]);
    }

    async function afterRestart() {
      await send("yard", 1, 50, face(0, 0.2));
      await waitFor(() => updates.length === 3, "seen again after the restart");
      assert.equal(updates[2]?.alertId, "door-1-100");
      await send("yard", 2, 55, face(3));
      await waitFor(() => alerts.length === 3, "another face alerts");
      assert.equal(alerts[2]?.id, "yard-2-200");
      // Every track event and every alert handled: no other alert, no notification record for a sighting.
      const settled = async (stream: string, durable: string) => {
        const info = await bus.jsm.consumers.info(stream, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      };
      /** The alert service's consumer of every camera with track events (`<prefix><camera>`) settled. */
      const settledAll = async (stream: string, prefix: string) => {
        for (const camera of await camerasInStream(bus.jsm, "tracks")) {
          if (!(await settled(stream, `${prefix}${camera}`).catch(() => false))) return false;
        }
        return true;
      };
      await waitFor(
        async () => (await settledAll("FT_TRACKS", "alert_")) && (await settled("FT_ALERTS", "notify")),
        "all handled",
      );
      await waitFor(() => deliveries.length >= 3, "a delivery record per alert");
      assert.equal(alerts.length, 3);
      assert.deepEqual(deliveries.map((d) => d.alertId).sort(), ["door-1-100", "door-2-200", "yard-2-200"]);
    }

    /**
     * Unknown visitors (the face memory, recorded by the api): a face the recent-face match misses (0.45 <
     * same_face_threshold 0.5) but the memory knows as the alert's visitor (≥ visitor_threshold 0.4) is
     * seen again, per visitor; a sighting an hour apart (before: capture times ahead of the clock are
     * refused) alerts again, naming the visitor and its visits.
     */
    async function visitors() {
      assert.equal(alerts[2]?.visitorId, 2, "yard #2 is a new visitor");
      const memorySettled = async () => {
        const info = await bus.jsm.consumers.info("FT_TRACKS", "memory");
        return info.num_pending === 0 && info.num_ack_pending === 0;
      };
      await waitFor(memorySettled, "the api's memory recorder has the tracks");
      const before = updates.length;
      await send("gate", 3, 60, face(3, Math.acos(0.45)));
      await waitFor(() => updates.length === before + 1, "seen again as visitor #2");
      assert.deepEqual(
        [updates[before]?.alertId, updates[before]?.reason, updates[before]?.visitorId],
        ["yard-2-200", "visitor", 2],
      );
      await waitFor(memorySettled, "the api's memory recorder has gate #3");
      const laterS = -3600;
      await send("gate", 4, laterS, face(3, Math.acos(0.45)));
      await waitFor(() => alerts.length === 4, "visitor #2 alerts again an hour apart");
      const sameDay = new Date(t0 + 55_000).toDateString() === new Date(t0 + laterS * 1000).toDateString();
      assert.deepEqual(
        [alerts[3]?.id, alerts[3]?.visitorId, alerts[3]?.visitorVisits, alerts[3]?.visitorVisitsToday],
        ["gate-4-400", 2, 2, sameDay ? 2 : 1],
      );
    }

    /** WatchAlerts from the start: alerts only, unless the client asks for the updates too. */
    async function watchedThroughGrpc(port: number) {
      const client = new FaceTrackerApiClient(`127.0.0.1:${port}`, credentials.createInsecure());
      try {
        const watch = async (includeUpdates: boolean, count: number) => {
          const got: Alert[] = [];
          const stream = client.watchAlerts({ camera: "", fromSeq: 1, includeUpdates });
          stream.on("data", (a: Alert) => got.push(a));
          stream.on("error", () => {});
          try {
            await waitFor(() => got.length >= count, `${count} messages through WatchAlerts`);
          } finally {
            stream.cancel();
          }
          return got;
        };
        const plain = await watch(false, 3);
        assert.deepEqual(
          plain.map((a) => [a.id, a.seenAgain === undefined]),
          [
            ["door-1-100", true],
            ["door-2-200", true],
            ["yard-2-200", true],
          ],
        );
        const all = await watch(true, 6);
        const sightings = all.filter((a) => a.seenAgain);
        assert.deepEqual(
          sightings
            .map((a) => [a.id, a.camera, a.seenAgain?.camera, a.seenAgain?.trackId, a.seenAgain?.reason])
            .sort(),
          [
            ["door-1-100", "door", "hall", 1, "same_face"],
            ["door-1-100", "door", "yard", 1, "same_face"],
            ["door-2-200", "door", "hall", 2, "cooldown"],
          ],
        );
        assert.equal(all.length - sightings.length, 3, "and the three alerts");
      } finally {
        client.close();
      }
    }
  });
});
