import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CameraConfig } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { CAMERA_BUCKET, type CameraChange, openCameraRegistry } from "./camera-registry.ts";
import { type Bus, connectBus } from "./connection.ts";

describe("camera registry (ft_cameras)", () => {
  let server: NatsTestServer;
  let bus: Bus;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url });
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("is a file-backed bucket, opened twice without error", async () => {
    await openCameraRegistry(bus.nc);
    await openCameraRegistry(bus.js);
    const status = await (await openCameraRegistry(bus.nc)).kv.status();
    assert.equal(status.bucket, CAMERA_BUCKET);
    assert.equal(status.storage, "file");
  });

  it("stores, lists, replaces and removes cameras", async () => {
    const registry = await openCameraRegistry(bus.nc);
    const door = CameraConfig.fromPartial({ id: "door", url: "rtsp://cam/door", enabled: true, fps: 10 });
    const yard = CameraConfig.fromPartial({
      id: "yard",
      url: "/dev/video0",
      enabled: false,
      alertMode: "ON_ALL",
    });
    await registry.put(yard);
    await registry.put(door);
    assert.deepEqual(await registry.list(), [door, yard]);
    assert.deepEqual(await registry.get("door"), door);
    assert.equal((await registry.get("door"))?.width, undefined);

    const moved = { ...door, url: "rtsp://cam/door2" };
    await registry.put(moved);
    assert.deepEqual(await registry.get("door"), moved);

    assert.equal(await registry.remove("yard"), true);
    assert.equal(await registry.remove("yard"), false);
    assert.equal(await registry.get("yard"), undefined);
    assert.deepEqual(await registry.list(), [moved]);
    await assert.rejects(
      registry.put(CameraConfig.fromPartial({ id: "bad.id" })),
      /invalid camera id "bad\.id"/,
    );
  });

  it("watches current cameras, then changes", async () => {
    const registry = await openCameraRegistry(bus.nc);
    await registry.put(CameraConfig.fromPartial({ id: "w1", url: "a" }));
    const changes: CameraChange[] = [];
    const watch = await registry.watch();
    const reading = (async () => {
      for await (const change of watch) changes.push(change);
    })();
    await waitFor(() => changes.some((c) => c.id === "w1"), "the existing camera");
    await registry.put(CameraConfig.fromPartial({ id: "w2", url: "b" }));
    await registry.remove("w1");
    await waitFor(() => changes.some((c) => c.id === "w1" && c.config === undefined), "the removal");
    watch.stop();
    await reading;
    assert.equal(changes.find((c) => c.id === "w2")?.config?.url, "b");
  });
});
