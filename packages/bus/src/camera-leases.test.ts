import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { Kvm } from "@nats-io/kv";
import {
  CAMERA_LEASES_BUCKET,
  CameraLeases,
  desiredOwner,
  INSTANCES_BUCKET,
  instanceId,
} from "./camera-leases.ts";
import { type Bus, connectBus } from "./connection.ts";

const TTL_MS = 3000;
const CAMERAS = ["door", "yard", "lobby", "hall", "gate", "roof", "dock", "shop"];

describe("camera leases (ft_camera_leases, real nats-server)", () => {
  let server: NatsTestServer;
  const buses: Bus[] = [];
  /** Which instance runs each camera now (between its onAcquire and its onRelease). */
  const running = new Map<string, string>();
  const problems: string[] = [];
  /** The track instances alive. */
  const instances = new Map<string, { leases: CameraLeases; bus: Bus }>();
  /** Instances of another service. */
  const others: CameraLeases[] = [];

  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    for (const leases of [...instances.values()].map((i) => i.leases).concat(others)) await leases.abandon();
    for (const bus of buses) await bus.close();
    await server?.stop();
  });

  const start = async (instance: string, service = "track", cameras = CAMERAS) => {
    const bus = await connectBus({ servers: server.url, name: `leases-${instance}` });
    buses.push(bus);
    const leases = await CameraLeases.start(bus.js, {
      service,
      instance,
      ttlMs: TTL_MS,
      logger: { info: () => {}, warn: () => {}, error: (msg) => problems.push(msg) },
      cameras: () => cameras,
      onAcquire: async (camera) => {
        const other = running.get(`${service}/${camera}`);
        if (other !== undefined) problems.push(`${instance} acquired ${camera} while ${other} runs it`);
        running.set(`${service}/${camera}`, instance);
      },
      onRelease: async (camera) => {
        if (running.get(`${service}/${camera}`) === instance) running.delete(`${service}/${camera}`);
      },
    });
    if (service === "track") instances.set(instance, { leases, bus });
    else others.push(leases);
    return leases;
  };
  /** Kills an instance: nothing released, its connection gone (its leases expire). */
  const kill = async (instance: string) => {
    const killed = instances.get(instance);
    assert.ok(killed);
    await killed.leases.abandon();
    await killed.bus.close();
    instances.delete(instance);
    for (const [key, owner] of running) if (owner === instance) running.delete(key);
  };
  /** Every camera owned by exactly one live instance, the one rendezvous hashing names. */
  const balanced = () => {
    const members = [...instances.keys()];
    return CAMERAS.every((camera) => {
      const owners = members.filter((m) => instances.get(m)?.leases.holds(camera));
      return owners.length === 1 && owners[0] === desiredOwner(camera, members);
    });
  };

  it("a lone instance owns every camera as soon as it has started", async () => {
    const a = await start("a");
    assert.deepEqual(a.owned(), [...CAMERAS].sort());
  });

  it("splits the cameras between instances, each camera owned by exactly one", async () => {
    await start("b");
    await start("c");
    await waitFor(balanced, "every camera owned by exactly one of a, b, c", 20_000, 100);
    const counts = ["a", "b", "c"].map((m) => instances.get(m)?.leases.owned().length ?? 0);
    assert.equal(
      counts.reduce((x, y) => x + y, 0),
      CAMERAS.length,
    );
    assert.deepEqual(problems, []);
  });

  it("moves a killed instance's cameras to the survivors once its leases expire", async () => {
    const lost = instances.get("b")?.leases.owned() ?? [];
    assert.ok(lost.length > 0, "b owned no camera (the hash split is fixed: pick other names)");
    await kill("b");
    await waitFor(balanced, "b's cameras taken over by a and c", 20_000, 100);
    for (const camera of lost) assert.ok(running.has(`track/${camera}`), `${camera} runs somewhere`);
    assert.deepEqual(problems, []);
  });

  it("rebalances when an instance joins, and lets another service's cameras be", async () => {
    const ingest = await start("i1", "ingest");
    await start("d");
    await waitFor(balanced, "the cameras split between a, c and d", 20_000, 100);
    assert.ok((instances.get("d")?.leases.owned().length ?? 0) > 0, "d took cameras");
    assert.deepEqual(ingest.owned(), [...CAMERAS].sort(), "the lone ingest instance keeps every camera");
    assert.deepEqual(problems, []);
  });

  it("an instance restarted under the same ID takes its cameras back at once", async () => {
    const before = instances.get("c")?.leases.owned() ?? [];
    assert.ok(before.length > 0);
    await kill("c");
    const again = await start("c");
    // First round at start: its own leases (not expired yet) are renewed under the same ID.
    for (const camera of before) assert.ok(again.holds(camera), `c holds ${camera} again at once`);
    await waitFor(balanced, "a, c and d balanced again", 20_000, 100);
    assert.deepEqual(problems, []);
  });

  it("releases every camera on a graceful stop, for the others to take at once", async () => {
    const d = instances.get("d");
    assert.ok(d);
    instances.delete("d");
    await d.leases.stop();
    await waitFor(balanced, "a and c own every camera", 20_000, 100);
    assert.deepEqual(problems, []);
  });

  it("lets a camera go when its lease is taken from under it, and takes it again once that one expires", async () => {
    const [name, owner] = [...instances].find(([, i]) => i.leases.holds("door")) ?? [];
    assert.ok(name && owner, "someone owns door");
    const kv = await new Kvm(owner.bus.js).open(CAMERA_LEASES_BUCKET);
    await kv.put("track.door", JSON.stringify({ instance: "intruder", sinceMs: Date.now() }));
    await waitFor(() => !owner.leases.holds("door"), `${name} letting door go`, 20_000, 50);
    assert.equal(running.get("track/door"), undefined, "door stopped");
    await waitFor(balanced, "door owned again once the other lease expired", 20_000, 100);
    assert.deepEqual(problems, []);
  });

  it("brings the buckets to a changed lease TTL", async () => {
    const bus = await connectBus({ servers: server.url, name: "leases-ttl" });
    buses.push(bus);
    others.push(
      await CameraLeases.start(bus.js, {
        service: "restream",
        instance: "r1",
        ttlMs: 4000,
        logger: { info: () => {}, warn: () => {}, error: () => {} },
        cameras: () => [],
        onAcquire: async () => {},
        onRelease: async () => {},
      }),
    );
    for (const bucket of [CAMERA_LEASES_BUCKET, INSTANCES_BUCKET]) {
      const { config } = await bus.jsm.streams.info(`KV_${bucket}`);
      assert.equal(config.max_age, 4000 * 1_000_000, bucket);
    }
  });

  it("keeps its membership and leases while a camera is slow to start (longer than the TTL)", async () => {
    const cameras = ["s-a", "s-b", "s-c", "s-d"];
    const runs = new Map<string, string>();
    const overlaps: string[] = [];
    const slow = async (instance: string, startMs: number) => {
      const bus = await connectBus({ servers: server.url, name: `slow-${instance}` });
      buses.push(bus);
      const leases = await CameraLeases.start(bus.js, {
        service: "slow",
        instance,
        ttlMs: TTL_MS,
        logger: { info: () => {}, warn: () => {}, error: () => {} },
        cameras: () => cameras,
        onAcquire: async (camera) => {
          const other = runs.get(camera);
          if (other !== undefined) overlaps.push(`${instance} acquired ${camera} while ${other} runs it`);
          runs.set(camera, instance);
          await new Promise((resolve) => setTimeout(resolve, startMs));
        },
        onRelease: async (camera) => {
          if (runs.get(camera) === instance) runs.delete(camera);
        },
      });
      others.push(leases);
      return leases;
    };
    const quick = await slow("quick", 0);
    // Joins and takes its share, each camera taking 1.5 TTLs to start: the first round alone lasts longer
    // than a lease, yet its membership and held leases are renewed meanwhile.
    const late = await slow("late", 1.5 * TTL_MS);
    await waitFor(
      () => cameras.every((c) => (desiredOwner(c, ["quick", "late"]) === "late" ? late : quick).holds(c)),
      "the cameras split between quick and late",
      60_000,
    );
    assert.ok(late.owned().length > 0, "late owns cameras");
    assert.deepEqual(overlaps, [], "no camera started at one while the other ran it");
  });

  it("creates its buckets again when they are gone (a nats-server restarted without them), keeping its cameras", async () => {
    const cameras = ["v-a", "v-b", "v-c"];
    const bus = await connectBus({ servers: server.url, name: "vanish" });
    buses.push(bus);
    const leases = await CameraLeases.start(bus.js, {
      service: "vanish",
      instance: "v1",
      ttlMs: TTL_MS,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      cameras: () => cameras,
      onAcquire: async () => {},
      onRelease: async () => {},
    });
    others.push(leases);
    assert.deepEqual(leases.owned(), [...cameras].sort());
    for (const bucket of [CAMERA_LEASES_BUCKET, INSTANCES_BUCKET])
      await bus.jsm.streams.delete(`KV_${bucket}`);
    const kv = async () => new Kvm(bus.js).open(CAMERA_LEASES_BUCKET);
    await waitFor(
      async () => {
        try {
          const bucket = await kv();
          const entries = await Promise.all(cameras.map((c) => bucket.get(`vanish.${c}`)));
          return entries.every(
            (e) => e?.operation === "PUT" && (e.json() as { instance: string }).instance === "v1",
          );
        } catch {
          return false; // not created again yet
        }
      },
      "the leases written back into a new bucket",
      20_000,
    );
    assert.deepEqual(leases.owned(), [...cameras].sort(), "still owns every camera");
  });

  it("derives a stable instance ID", () => {
    assert.equal(instanceId("track", undefined, { FACETRACKER_INSTANCE: "cam-box.7" }), "cam-box_7");
    assert.match(instanceId("ingest", 2, {}), /-ingest-2$/);
    assert.equal(instanceId("ingest", undefined, {}), instanceId("ingest", undefined, {}));
  });
});
