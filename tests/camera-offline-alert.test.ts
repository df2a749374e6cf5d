/**
 * camera_offline_alert_s (issue 12, item 1): a camera that stays down longer than its threshold is told
 * once through the alerts' notification destinations (the real `apprise` command to a local json://
 * receiver), not again after a restart of the alert service, and its return is told once. A camera
 * without the setting is never told. Real nats-server, ingest and alert services in process.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { startAlertService } from "@facetracker/service-alert";
import { startIngestService } from "@facetracker/service-ingest";
import { waitFor } from "@facetracker/testing";
import { startNatsServer } from "@facetracker/testing/bus";
import { closedPort, liveHttpCamera, testVideo } from "@facetracker/testing/media";
import { appriseMissing, startHttpReceiver } from "@facetracker/testing/notify";
import { startPipeline } from "./helpers/pipeline-harness.ts";

describe("camera offline notifications (real nats-server, apprise, ffmpeg)", {
  skip: appriseMissing(),
}, () => {
  it("tells a camera down longer than camera_offline_alert_s once, even across an alert service restart, then its return", {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-camera-offline-"));
    const nats = await startNatsServer();
    const receiver = await startHttpReceiver();
    const video = await testVideo(path.join(dir, "cam.mp4"), { seconds: 2, fps: 15 });
    const doorPort = await closedPort();
    const config = parseConfig({
      db_path: path.join(dir, "gallery"),
      ingest: { reconnect_initial_s: 0.2, reconnect_max_s: 1 },
      alerts: {
        notification_config: [`json://127.0.0.1:${receiver.port}/hook`],
        notification_state_path: path.join(dir, "notify-state"),
      },
      cameras: [
        { id: "door", url: `http://127.0.0.1:${doorPort}/live.ts`, camera_offline_alert_s: 1 },
        { id: "lobby", url: video, loop: true },
      ],
    });
    const titles = () =>
      receiver.requests.map((r) => (JSON.parse(r.body.toString("utf8")) as { title: string }).title);
    const ingest = await startPipeline(nats.url, config, [["ingest", startIngestService]]);
    let alert = await startPipeline(nats.url, config, [["alert", startAlertService]]);
    let door: Awaited<ReturnType<typeof liveHttpCamera>> | undefined;
    try {
      const offline = await receiver.request(0);
      const message = JSON.parse(offline.body.toString("utf8")) as { title: string; message: string };
      assert.equal(message.title, "Camera door offline");
      assert.match(message.message, /Camera \*\*door\*\* has been down for .*: .*connection refused/);

      // Restarted while the camera is still down: the outage was told already.
      await alert.stop();
      alert = await startPipeline(nats.url, config, [["alert", startAlertService]]);
      await waitFor(
        () => alert.logs.some((l) => l.includes('"msg":"camera down, told already"')),
        "the restarted alert service to see the outage told",
        60_000,
      );

      door = await liveHttpCamera(video, doorPort);
      await waitFor(() => titles().includes("Camera door back"), "the return told", 120_000);
      assert.deepEqual(titles(), ["Camera door offline", "Camera door back"]);
    } finally {
      await alert.stop();
      await ingest.stop();
      await door?.close();
      await receiver.close();
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
