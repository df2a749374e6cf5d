import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Bus,
  cameraLeaseHolder,
  connectBus,
  desiredOwner,
  ensureStreams,
  openCameraRegistry,
} from "@facetracker/bus";
import { type FaceTrackerConfig, parseConfig } from "@facetracker/config";
import { freeLocalPort } from "@facetracker/service-host";
import { startRestreamService } from "@facetracker/service-restream";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// Issue 18: two restream instances split the cameras that have a live stream through leases on a real
// nats-server; each stream has one publisher. Which instance restreams which camera is read from their
// readiness (a `camera <id>` entry per restream running there). The RTSP server is a closed port: no frame
// is sent, so no publisher starts (the split, not the streams, is tested here; tests/restream.test.ts
// publishes for real). One instance is killed (its connection closed at once, nothing released): its
// cameras move to the survivor once their leases expire.

const TTL_S = 3;
const INSTANCES = ["restream-1", "restream-2"];
/** Cameras with a live stream (WEB). */
const LIVE = ["c1", "c2", "c3", "c4"];

describe("restream partitions: two instances split the live cameras, one killed (real nats-server)", () => {
  let nats: NatsTestServer;
  let config: FaceTrackerConfig;
  let observer: Bus;
  const instances = new Map<string, RunningPipeline>();

  /** The cameras `name` restreams now. */
  const restreamed = (name: string): string[] =>
    Object.keys(instances.get(name)?.services.get("restream")?.readiness() ?? {})
      .filter((key) => key.startsWith("camera ") && key !== "camera registry")
      .map((key) => key.slice("camera ".length))
      .sort();
  /** Whether each of `cameras` is restreamed by its rightful owner among `members`, and by no other. */
  const splitAs = (cameras: string[], members: string[]) =>
    members.every(
      (name) =>
        JSON.stringify(restreamed(name)) ===
        JSON.stringify(cameras.filter((c) => desiredOwner(c, members) === name).sort()),
    );
  const leaseOf = (camera: string) => cameraLeaseHolder(observer.jsm, "restream", camera);

  before(async () => {
    nats = await startNatsServer();
    config = parseConfig({
      partitions: { lease_ttl_s: TTL_S },
      live_stream: { rtsp_server: `rtsp://127.0.0.1:${await freeLocalPort()}` },
      cameras: [
        ...LIVE.map((id) => ({ id, url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: `live/${id}` } })),
        { id: "quiet", url: "/dev/null" },
      ],
    });
    observer = await connectBus({ servers: [nats.url], name: "test-observer" });
    await ensureStreams(observer.jsm);
    for (const name of INSTANCES) {
      instances.set(
        name,
        await startPipeline(nats.url, config, [
          [
            "restream",
            (deps) =>
              startRestreamService({ ...deps, instance: name }, { retry: { initialMs: 200, maxMs: 1000 } }),
          ],
        ]),
      );
    }
  });

  after(async () => {
    for (const p of instances.values()) await p.stop();
    await observer?.close();
    await nats?.stop();
  });

  it("restreams each live camera on exactly one instance, its lease holder; cameras without a stream are not split", async () => {
    assert.deepEqual(
      INSTANCES.map((name) => LIVE.some((c) => desiredOwner(c, INSTANCES) === name)),
      [true, true],
      "each instance should own a camera",
    );
    await waitFor(() => splitAs(LIVE, INSTANCES), `the live cameras split between ${INSTANCES}`, 20_000);
    for (const camera of LIVE) assert.equal(await leaseOf(camera), desiredOwner(camera, INSTANCES));
    assert.equal(await leaseOf("quiet"), undefined, "mode NONE: no lease");
    for (const name of INSTANCES) {
      const readiness = instances.get(name)?.services.get("restream")?.readiness() ?? {};
      assert.equal(readiness["camera registry"], true);
    }

    // A camera added to the registry at run time goes to its owner only.
    const registry = await openCameraRegistry(observer.js);
    await registry.put({
      id: "c5",
      url: "/dev/null",
      enabled: true,
      alertMode: "",
      liveMode: "WEB",
      loop: false,
    });
    await waitFor(() => splitAs([...LIVE, "c5"], INSTANCES), "c5 restreamed by its owner", 20_000);
  });

  it("moves a killed instance's cameras to the survivor once their leases expire", async () => {
    const cameras = [...LIVE, "c5"];
    const [dead, survivor] = [...INSTANCES].sort(
      (a, b) =>
        cameras.filter((c) => desiredOwner(c, INSTANCES) === b).length -
        cameras.filter((c) => desiredOwner(c, INSTANCES) === a).length,
    ) as [string, string];
    const killed = instances.get(dead) as RunningPipeline;
    instances.delete(dead);
    await (killed.buses[0] as Bus).close();
    await killed.stop().catch(() => {});

    await waitFor(() => splitAs(cameras, [survivor]), `every live camera restreamed by ${survivor}`, 20_000);
    for (const camera of cameras) assert.equal(await leaseOf(camera), survivor);
  });
});
