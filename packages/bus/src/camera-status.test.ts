import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CameraConfig, CameraStatus } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { openCameraRegistry } from "./camera-registry.ts";
import { CAMERA_STATUS_BUCKET, type CameraStatusChange, openCameraStatusBoard } from "./camera-status.ts";
import { type Bus, connectBus } from "./connection.ts";

describe("camera status board (ft_camera_status, real nats-server)", () => {
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

  const down = CameraStatus.fromPartial({
    id: "door",
    state: "reconnecting",
    sinceMs: 1000,
    lastError: "connection refused",
    reconnects: 3,
  });

  it("stores, lists and removes statuses in a file bucket; offline markers are not cameras", async () => {
    const board = await openCameraStatusBoard(bus.nc);
    assert.equal((await board.kv.status()).storage, "file");
    assert.equal((await board.kv.status()).bucket, CAMERA_STATUS_BUCKET);
    await board.put(down);
    await board.put(CameraStatus.fromPartial({ id: "yard", state: "up", sinceMs: 5 }));
    await board.recordOfflineNotice("door", { sinceMs: 1000, backSent: false });
    assert.deepEqual(await board.get("door"), down);
    assert.deepEqual([...(await board.list()).keys()], ["door", "yard"]);
    assert.deepEqual(await board.offlineNotice("door"), { sinceMs: 1000, backSent: false });
    assert.equal(await board.offlineNotice("yard"), undefined);
    await board.remove("yard");
    assert.deepEqual([...(await board.list()).keys()], ["door"]);
    await assert.rejects(board.put(CameraStatus.fromPartial({ id: "a.b" })), /invalid camera id "a\.b"/);
  });

  it("watches current statuses, then changes, without the markers", async () => {
    const board = await openCameraStatusBoard(bus.nc);
    const seen: CameraStatusChange[] = [];
    const watch = await board.watch();
    const reading = (async () => {
      for await (const change of watch) seen.push(change);
    })();
    await waitFor(() => seen.some((c) => c.id === "door"), "the current status");
    await board.recordOfflineNotice("door", { sinceMs: 1000, backSent: true });
    await board.put({ ...down, state: "up", sinceMs: 2000 });
    await waitFor(() => seen.some((c) => c.status?.state === "up"), "the change");
    watch.stop();
    await reading;
    assert.ok(
      seen.every((c) => !c.id.includes(".")),
      JSON.stringify(seen),
    );
    assert.deepEqual(
      seen.map((c) => [c.id, c.status?.state]),
      [
        ["door", "reconnecting"],
        ["yard", undefined],
        ["door", "up"],
      ],
    );
  });

  it("the camera registry never stores a reported status", async () => {
    const registry = await openCameraRegistry(bus.nc);
    await registry.put(CameraConfig.fromPartial({ id: "cam", url: "a", status: down }));
    assert.equal((await registry.get("cam"))?.status, undefined);
  });
});
