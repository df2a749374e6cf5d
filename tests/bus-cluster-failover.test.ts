/**
 * A replicated bus (issue 18, test 3a): three nats-servers clustered, the alert service running on it
 * with the state streams at three copies; the server the service is connected to is SIGKILLed while track
 * events come in. The service reconnects to another server, and every alert, with its delivery record,
 * is in FT_ALERTS exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Bus,
  camerasInStream,
  connectBus,
  ensureStreams,
  publishMessage,
  replayStream,
  subject,
} from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Alert, AlertDelivery, TrackEvent, TrackEventType } from "@facetracker/proto";
import { startAlertService } from "@facetracker/service-alert";
import { waitFor } from "@facetracker/testing";
import { type NatsCluster, startNatsCluster } from "@facetracker/testing/bus";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

/** A 512-float unit vector along axis `i`: every face is someone else. */
function face(i: number): number[] {
  const v = new Array<number>(512).fill(0);
  v[i] = 1;
  return v;
}

const CAMERAS = ["door", "hall", "yard"];
const PER_CAMERA = 4;

describe("a three-node bus losing a server (SIGKILL) under the alert service", () => {
  let cluster: NatsCluster;
  before(async () => {
    cluster = await startNatsCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  it("reconnects to another server; every alert and its delivery record exactly once", async () => {
    const config = parseConfig({
      alerts: { alert_mode: "ON_ALL", clip_duration: 0, notification_clip_wait_s: 0 },
    });
    let pipeline: RunningPipeline | undefined;
    let bus: Bus | undefined;
    try {
      pipeline = await startPipeline(cluster.urls, config, [["alert", startAlertService]]);
      const serviceBus = pipeline.buses[0] as Bus;
      const reconnects: string[] = [];
      void (async () => {
        for await (const s of serviceBus.nc.status()) if (s.type === "reconnect") reconnects.push(s.server);
      })();
      const victim = cluster.nodes.findIndex((node) => node.port === serviceBus.nc.info?.port);
      assert.ok(victim >= 0, "the alert service is connected to a node of the cluster");
      // The test's own connection goes to the other two, so that its publishes go on through the kill.
      const client = await connectBus({
        servers: cluster.urls.filter((_, i) => i !== victim),
        name: "failover-test",
      });
      bus = client;
      await ensureStreams(client.jsm);
      for (const stream of ["FT_TRACKS", "FT_ALERTS", "KV_ft_alert_memory"]) {
        const info = await client.jsm.streams.info(stream);
        assert.equal(info.config.num_replicas, 3, `${stream} keeps three copies`);
      }

      const expected: string[] = [];
      const send = async (round: number) => {
        for (const [c, camera] of CAMERAS.entries()) {
          const trackId = round + 1;
          const event = TrackEvent.fromPartial({
            camera,
            trackId,
            type: TrackEventType.IDENTIFIED,
            seq: trackId * 100,
            timeMs: Date.now(),
            embedding: face(c * PER_CAMERA + round),
          });
          // Retried until the cluster takes it (a stream leader on the lost server is re-elected), once.
          const msgId = `${camera}-${trackId}`;
          await waitFor(
            () =>
              publishMessage(client.js, subject("tracks", camera), TrackEvent, event, { msgId }).then(
                () => true,
                () => false,
              ),
            `track event ${msgId} published`,
          );
          expected.push(`${camera}-${trackId}-${trackId * 100}`);
        }
      };
      await send(0);
      await send(1);
      // Mid-run: the service has work in hand or coming when its server dies.
      await cluster.kill(victim);
      await send(2);
      await send(3);

      await waitFor(() => reconnects.length > 0, "the alert service reconnected", 30_000);
      assert.ok(
        !reconnects.includes(String(cluster.urls[victim]).replace("nats://", "")),
        `reconnected to another server, not the dead one (${reconnects.join(", ")})`,
      );
      const settled = async (stream: string, durable: string) => {
        try {
          const info = await client.jsm.consumers.info(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0;
        } catch {
          return false; // the consumer's leader was on the lost server: asked again
        }
      };
      /** The alert service's consumer of every camera with track events (`<prefix><camera>`) settled. */
      const settledAll = async (stream: string, prefix: string) => {
        for (const camera of await camerasInStream(client.jsm, "tracks")) {
          if (!(await settled(stream, `${prefix}${camera}`).catch(() => false))) return false;
        }
        return true;
      };
      await waitFor(
        async () => (await settledAll("FT_TRACKS", "alert_")) && (await settled("FT_ALERTS", "notify")),
        // An alert in hand when the server died is delivered again after the consumer's ack wait (30 s).
        "every track event and alert handled",
        90_000,
      );

      const alerts: string[] = [];
      const deliveries: string[] = [];
      const last = (await client.jsm.streams.info("FT_ALERTS")).state.last_seq;
      await replayStream({
        jsm: client.jsm,
        stream: "FT_ALERTS",
        subject: "ft.alerts.>",
        afterSeq: 0,
        upToSeq: last,
        type: Alert,
        handler: (a) => {
          alerts.push(a.id);
        },
      });
      await replayStream({
        jsm: client.jsm,
        stream: "FT_ALERTS",
        subject: "ft.deliveries.>",
        afterSeq: 0,
        upToSeq: last,
        type: AlertDelivery,
        handler: (d) => {
          deliveries.push(d.alertId);
        },
      });
      assert.deepEqual(alerts.sort(), [...expected].sort(), "every alert once");
      assert.deepEqual(deliveries.sort(), [...expected].sort(), "one delivery record per alert");
    } finally {
      await pipeline?.stop();
      await bus?.close();
    }
  });
});
