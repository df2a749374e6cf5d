import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import { ensureStreams, STREAM_SPECS, streamSpecs } from "./streams.ts";

const MiB = 1024 * 1024;
const SECOND_NS = 1_000_000_000;
const DAY_NS = 24 * 3600 * SECOND_NS;

describe("streams", () => {
  let server: NatsTestServer;
  let bus: Bus;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "streams-test" });
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("creates every stream once; a second call changes nothing", async () => {
    const first = await ensureStreams(bus.jsm);
    assert.deepEqual(
      first.map((r) => [r.name, r.action]),
      [
        ["FT_FRAMES", "created"],
        ["FT_DETECTIONS", "created"],
        ["FT_SNAPSHOTS", "created"],
        ["FT_TRACKS", "created"],
        ["FT_ALERTS", "created"],
        ["FT_CLIPS", "created"],
        ["FT_DLQ", "created"],
      ],
    );
    const second = await ensureStreams(bus.jsm);
    assert.deepEqual(
      second.map((r) => r.action),
      Array(7).fill("unchanged"),
    );
  });

  it("gives each stream the specified subjects, storage and limits", async () => {
    await ensureStreams(bus.jsm);
    const expected: Record<string, [string | string[], string, number, number]> = {
      FT_FRAMES: ["ft.frames.>", "file", 60 * SECOND_NS, 512 * MiB],
      FT_DETECTIONS: ["ft.detections.>", "memory", 30 * SECOND_NS, 256 * MiB],
      FT_SNAPSHOTS: ["ft.snapshots.>", "memory", 30 * SECOND_NS, 64 * MiB],
      FT_TRACKS: ["ft.tracks.>", "file", 7 * DAY_NS, 4096 * MiB],
      FT_ALERTS: [["ft.alerts.>", "ft.alert_updates.>", "ft.deliveries.>"], "file", 30 * DAY_NS, 4096 * MiB],
      FT_CLIPS: ["ft.clips.>", "file", 30 * DAY_NS, 256 * MiB],
      FT_DLQ: ["ft.dlq.>", "file", 7 * DAY_NS, 1024 * MiB],
    };
    for (const [name, [subjects, storage, maxAge, maxBytes]] of Object.entries(expected)) {
      const { config } = await bus.jsm.streams.info(name);
      assert.deepEqual(config.subjects, Array.isArray(subjects) ? subjects : [subjects], name);
      assert.equal(config.storage, storage, name);
      assert.equal(config.max_age, maxAge, name);
      assert.equal(config.max_bytes, maxBytes, name);
      assert.equal(config.discard, "old", name);
      assert.ok(config.duplicate_window <= config.max_age, `${name}: duplicate window within max age`);
    }
  });

  it("updates the limits of an existing stream from overrides", async () => {
    await ensureStreams(bus.jsm);
    const results = await ensureStreams(bus.jsm, { frames: { maxAgeMs: 40_000, maxBytes: 64 * MiB } });
    const frames = results.find((r) => r.name === "FT_FRAMES");
    assert.equal(frames?.action, "updated");
    assert.deepEqual(frames?.changed, ["max_age", "max_bytes", "duplicate_window"]);
    assert.ok(results.filter((r) => r.name !== "FT_FRAMES").every((r) => r.action === "unchanged"));
    const { config } = await bus.jsm.streams.info("FT_FRAMES");
    assert.equal(config.max_age, 40 * SECOND_NS);
    assert.equal(config.max_bytes, 64 * MiB);
    await ensureStreams(bus.jsm); // back to the defaults for the other tests
  });

  it("creates a short-lived stream again when its storage changed (FT_FRAMES of an earlier version, in memory)", async () => {
    await ensureStreams(bus.jsm, { frames: { storage: "memory" } });
    assert.equal((await bus.jsm.streams.info("FT_FRAMES")).config.storage, "memory");
    const results = await ensureStreams(bus.jsm);
    const frames = results.find((r) => r.name === "FT_FRAMES");
    assert.deepEqual([frames?.action, frames?.changed], ["recreated", ["storage"]]);
    assert.equal((await bus.jsm.streams.info("FT_FRAMES")).config.storage, "file");
  });

  it("refuses to change a durable stream's storage in place and says what to do", async () => {
    await ensureStreams(bus.jsm);
    await assert.rejects(ensureStreams(bus.jsm, { alerts: { storage: "memory" } }), (error: Error) => {
      assert.match(error.message, /FT_ALERTS exists with file storage but memory is configured/);
      assert.match(error.message, /nats stream rm FT_ALERTS/);
      return true;
    });
  });

  it("validates overrides", () => {
    assert.throws(
      () => streamSpecs({ frames: { maxAgeMs: 0 } }),
      /FT_FRAMES \(frames\): maxAgeMs must be a positive integer/,
    );
    assert.throws(() => streamSpecs({ faces: {} } as never), /unknown stream "faces"/);
    assert.equal(STREAM_SPECS.frames.maxAgeMs, 60_000);
  });
});
