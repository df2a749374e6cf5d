/**
 * Notifications of the alert service through the real `apprise` command, to a local HTTP receiver
 * (json://), on a real nats-server: message content with the clip URL and thumbnail, delivery status on
 * the alert stream, and a failing endpoint that is retried and recorded without holding up the pipeline;
 * the links the messages carry: signed links to the page's alert view and clip with web.public_url, and
 * never a file:// link (a local clip is named by its key).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { connectBus, consumeMessages, publishMessage, subject } from "@facetracker/bus";
import { LinkSigner, parseConfig } from "@facetracker/config";
import { Alert, AlertDelivery, ClipEvent, TrackEvent, TrackEventType } from "@facetracker/proto";
import { startAlertService } from "@facetracker/service-alert";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { startPipeline } from "./helpers/pipeline-harness.ts";
import { metricSum } from "./helpers/prometheus-text.ts";

const hasApprise = (() => {
  try {
    execFileSync("apprise", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

interface Received {
  path: string;
  body: { title: string; message: string; attachments?: { filename: string; base64: string }[] };
}

/** A local HTTP receiver for apprise's json:// notifications; paths under /fail answer 500. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    received.push({ path: req.url ?? "", body: JSON.parse(text) });
    res.statusCode = req.url?.startsWith("/fail") ? 500 : 200;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `127.0.0.1:${port}`, received };
}

const thumbnail = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

describe("alert notifications through apprise (real nats-server, apprise, local receiver)", {
  skip: hasApprise ? false : "the apprise command is not installed (apt-get install apprise)",
}, () => {
  let nats: NatsTestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    nats = await startNatsServer();
    receiver = await startReceiver();
  });
  after(async () => {
    receiver?.server.close();
    await nats?.stop();
  });

  const identified = (camera: string, trackId: number, seq: number, name?: string) =>
    TrackEvent.fromPartial({
      camera,
      trackId,
      type: TrackEventType.IDENTIFIED,
      ...(name ? { identity: { id: `${name}-id`, name, similarity: 0.71, attributes: {} } } : {}),
      seq,
      timeMs: Date.now(),
      thumbnailJpeg: thumbnail,
    });

  it("sends each alert with identity, clip URL and thumbnail; records sent or failed (retried) on the stream; the pipeline goes on", async () => {
    const config = parseConfig({
      alerts: {
        alert_mode: "ON_ALL",
        notification_config: [`json://${receiver.url}/hook`],
        notification_group_s: 0,
        notification_clip_wait_s: 5,
        notification_retries: 1,
        notification_timeout_s: 10,
      },
    });
    const failing = parseConfig({
      ...config,
      alerts: { ...config.alerts, notification_config: [`json://${receiver.url}/fail`] },
    });
    const ok = await startPipeline(nats.url, config, [["alert", startAlertService]]);
    const bus = await connectBus({ servers: [nats.url], name: "notify-test" });
    const deliveries: AlertDelivery[] = [];
    const alerts: Alert[] = [];
    const watchers = [
      await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.deliveries.>",
        type: AlertDelivery,
        handler: (d) => {
          deliveries.push(d);
        },
      }),
      await consumeMessages({
        js: bus.js,
        stream: "FT_ALERTS",
        filterSubject: "ft.alerts.>",
        type: Alert,
        handler: (a) => {
          alerts.push(a);
        },
      }),
    ];
    try {
      await publishMessage(bus.js, subject("tracks", "door"), TrackEvent, identified("door", 1, 10, "amy"));
      await waitFor(() => alerts.length === 1, "the alert");
      const alertId = alerts[0]?.id as string;
      // The clip recorder announces the alert's clip: the notification carries its URL.
      await publishMessage(
        bus.js,
        subject("clips", "door"),
        ClipEvent,
        ClipEvent.fromPartial({
          camera: "door",
          alertId,
          alertIds: [alertId],
          key: "door/clip.mp4",
          url: "http://clips.example/door/clip.mp4?sig=1",
        }),
      );
      await waitFor(() => receiver.received.length === 1, "the notification", 30_000);
      const [sent] = receiver.received;
      assert.equal(sent?.path, "/hook");
      assert.match(sent?.body.title ?? "", /amy/);
      assert.match(sent?.body.message ?? "", /door/);
      assert.match(sent?.body.message ?? "", /http:\/\/clips\.example\/door\/clip\.mp4\?sig=1/);
      assert.equal(
        Buffer.from(sent?.body.attachments?.[0]?.base64 ?? "", "base64").equals(thumbnail),
        true,
        "the face thumbnail is attached",
      );
      await waitFor(() => deliveries.find((d) => d.alertId === alertId), "the delivery status");
      const delivered = deliveries.find((d) => d.alertId === alertId) as AlertDelivery;
      assert.equal(delivered.notificationStatus, "sent");
      assert.equal(delivered.clipUrl, "http://clips.example/door/clip.mp4?sig=1");
      // Counted before the delivery record goes out: the alert by camera and mode, the notification sent.
      const counted = (await ok.metrics.get("alert")?.registry.metrics()) ?? "";
      assert.equal(
        metricSum(counted, "facetracker_notifications_total", { camera: "door", status: "sent" }),
        1,
      );
      assert.equal(
        metricSum(counted, "facetracker_alerts_total", { camera: "door", mode: "ON_ALL", kind: "alert" }),
        1,
        counted,
      );
      assert.equal(metricSum(counted, "facetracker_capture_to_alert_seconds_count", { camera: "door" }), 1);
    } finally {
      await ok.stop();
    }

    // Same stream, now a notification endpoint that fails.
    const bad = await startPipeline(nats.url, failing, [["alert", startAlertService]]);
    try {
      const before = receiver.received.length;
      await publishMessage(bus.js, subject("tracks", "yard"), TrackEvent, identified("yard", 1, 5));
      await waitFor(() => alerts.some((a) => a.camera === "yard"), "the yard alert");
      // Alerts keep flowing while the notification is retried.
      await publishMessage(bus.js, subject("tracks", "yard"), TrackEvent, identified("yard", 2, 6, "bob"));
      await waitFor(() => alerts.filter((a) => a.camera === "yard").length === 2, "the next alert");
      await waitFor(
        () => deliveries.filter((d) => d.camera === "yard" && d.notificationStatus === "failed").length === 2,
        "both failures recorded",
        60_000,
      );
      const failures = deliveries.filter((d) => d.camera === "yard");
      const counted = (await bad.metrics.get("alert")?.registry.metrics()) ?? "";
      assert.equal(
        metricSum(counted, "facetracker_notifications_total", { camera: "yard", status: "failed" }),
        2,
      );
      for (const f of failures) {
        assert.equal(f.notificationAttempts, 2, "one retry after the first attempt");
        assert.match(f.notificationError, /.+/);
      }
      assert.equal(
        receiver.received.slice(before).filter((r) => r.path === "/fail").length,
        4,
        "two attempts per alert reached the endpoint",
      );
    } finally {
      for (const w of watchers) await w.stop();
      await bus.close();
      await bad.stop();
    }
  });

  it("links to the page's signed alert view and clip with web.public_url; without it, a local clip's key, never file://", async () => {
    const secret = "notification-links-secret-0123456789";
    const base = {
      alert_mode: "ON_ALL",
      notification_config: [`json://${receiver.url}/links`],
      notification_group_s: 0,
      notification_clip_wait_s: 5,
      notification_retries: 0,
    } as const;
    const bus = await connectBus({ servers: [nats.url], name: "notify-links-test" });
    const alerts: Alert[] = [];
    const watcher = await consumeMessages({
      js: bus.js,
      stream: "FT_ALERTS",
      filterSubject: "ft.alerts.>",
      type: Alert,
      handler: (a) => {
        alerts.push(a);
      },
    });
    /** One alert on `camera` with a local clip: the message sent for it. */
    const notifyOnce = async (camera: string): Promise<{ alertId: string; message: string }> => {
      const before = receiver.received.length;
      await publishMessage(bus.js, subject("tracks", camera), TrackEvent, identified(camera, 1, 3, "ann"));
      await waitFor(() => alerts.find((a) => a.camera === camera), `the ${camera} alert`);
      const alertId = alerts.find((a) => a.camera === camera)?.id as string;
      await publishMessage(
        bus.js,
        subject("clips", camera),
        ClipEvent,
        ClipEvent.fromPartial({
          camera,
          alertId,
          alertIds: [alertId],
          key: `${camera}/2026-12-07/101500-${alertId}.mp4`,
          url: `file:///var/lib/facetracker/clips/${camera}/2026-12-07/101500-${alertId}.mp4`,
        }),
      );
      await waitFor(() => receiver.received.length > before, `the ${camera} notification`, 30_000);
      return { alertId, message: receiver.received[before]?.body.message ?? "" };
    };
    try {
      const linked = await startPipeline(
        nats.url,
        parseConfig({
          alerts: base,
          web: { public_url: "https://faces.example.org/", link_secret: secret, link_ttl_s: 3600 },
        }),
        [["alert", startAlertService]],
      );
      let sent: { alertId: string; message: string };
      try {
        sent = await notifyOnce("gate");
      } finally {
        await linked.stop();
      }
      assert.doesNotMatch(sent.message, /file:/);
      const signer = new LinkSigner(secret, 3600);
      const view = new URL(
        /https:\/\/faces\.example\.org\/alerts\/[^\s)\]]+/.exec(sent.message)?.[0] ?? "https://missing/",
      );
      assert.equal(view.pathname, `/alerts/${sent.alertId}`, sent.message);
      assert.equal(
        signer.check(
          { kind: "alert", id: sent.alertId },
          view.searchParams.get("exp"),
          view.searchParams.get("sig"),
        ),
        "valid",
        "the link's signature opens the alert view",
      );
      const exp = Number(view.searchParams.get("exp"));
      assert.ok(
        exp > Date.now() / 1000 && exp <= Date.now() / 1000 + 3600,
        "it expires after web.link_ttl_s",
      );

      const local = await startPipeline(nats.url, parseConfig({ alerts: base }), [
        ["alert", startAlertService],
      ]);
      try {
        sent = await notifyOnce("porch");
      } finally {
        await local.stop();
      }
      assert.doesNotMatch(sent.message, /file:|https?:/);
      assert.match(
        sent.message,
        new RegExp(
          `^- Clip: porch/2026-12-07/101500-${sent.alertId}\\.mp4 \\(open it on the FaceTracker page\\)$`,
          "m",
        ),
      );
    } finally {
      await watcher.stop();
      await bus.close();
    }
  });
});
