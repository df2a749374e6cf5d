/**
 * Detections that arrive out of frame order (several detect instances finish frames in any order) on a
 * real nats-server: the track service takes each camera's frames forward only, drops the late ones
 * (counted), and still takes a restarted ingest's frames (sequence numbers from 1 again, newer times).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectBus, consumeMessages, ensureStreams, publishMessage, subject } from "@facetracker/bus";
import { parseConfig } from "@facetracker/config";
import { Detections, TrackSnapshot } from "@facetracker/proto";
import { startTrackService } from "@facetracker/service-track";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { counterValue, startPipeline } from "./helpers/pipeline-harness.ts";

describe("track service and frames out of order (real nats-server)", () => {
  let nats: NatsTestServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  it("drops a frame older than one already tracked, and takes a restarted ingest's frames", async () => {
    // The camera is known to track (it tracks the cameras of its configuration and registry it owns).
    const config = parseConfig({ cameras: [{ id: "gate", url: "rtsp://127.0.0.1:1/gate" }] });
    const pipeline = await startPipeline(nats.url, config, [["track", startTrackService]]);
    const bus = await connectBus({ servers: [nats.url], name: "order-test" });
    await ensureStreams(bus.jsm);
    const tracked: number[] = [];
    const watcher = await consumeMessages({
      js: bus.js,
      stream: "FT_SNAPSHOTS",
      filterSubject: "ft.snapshots.gate",
      deliverPolicy: "new",
      type: TrackSnapshot,
      handler: (s) => {
        tracked.push(s.seq);
      },
    });
    try {
      const t0 = Date.now();
      // Frame 3 comes after frame 4; then ingest restarts (seq 1 again, later capture times).
      const order: [number, number][] = [
        [1, t0],
        [2, t0 + 100],
        [4, t0 + 300],
        [3, t0 + 200],
        [5, t0 + 400],
        [1, t0 + 5000],
        [2, t0 + 5100],
      ];
      for (const [seq, capturedAtMs] of order) {
        await publishMessage(
          bus.js,
          subject("detections", "gate"),
          Detections,
          Detections.fromPartial({ camera: "gate", seq, capturedAtMs, width: 640, height: 360, faces: [] }),
        );
      }
      await waitFor(() => tracked.length === 6, "six frames tracked");
      assert.deepEqual(tracked, [1, 2, 4, 5, 1, 2]);
      const { values } = await (pipeline.metrics.get("track")?.messagesDropped.get() ??
        Promise.resolve({ values: [] }));
      assert.equal(values.find((v) => v.labels.reason === "late_frame")?.value, 1);
      assert.equal(
        await counterValue(pipeline.metrics.get("track"), "messagesIn", { subject_kind: "detections" }),
        7,
      );
    } finally {
      await watcher.stop();
      await bus.close();
      await pipeline.stop();
    }
  });
});
