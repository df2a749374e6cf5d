import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type NatsCluster,
  type NatsTestServer,
  startNatsCluster,
  startNatsServer,
} from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import { replicasForServer } from "./replicas.ts";
import { openStateBucket } from "./state-bucket.ts";
import { ensureStreams, REPLICATED_STREAMS, STREAM_SPECS, type StreamKey } from "./streams.ts";

const KEYS = Object.keys(STREAM_SPECS) as StreamKey[];

async function replicasOf(bus: Bus): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const key of KEYS) {
    const name = STREAM_SPECS[key].name;
    out[name] = (await bus.jsm.streams.info(name)).config.num_replicas;
  }
  out.KV_ft_test_state = (await bus.jsm.streams.info("KV_ft_test_state")).config.num_replicas;
  return out;
}

/** The replicas the pipeline's streams and buckets should have with `copies` for those that hold state. */
function expected(copies: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of KEYS) out[STREAM_SPECS[key].name] = REPLICATED_STREAMS.includes(key) ? copies : 1;
  out.KV_ft_test_state = copies;
  return out;
}

describe("replicas from the cluster size", () => {
  it("are one per server of the cluster, at most three; one without a cluster", () => {
    assert.equal(replicasForServer(undefined), 1);
    assert.equal(replicasForServer({ connect_urls: ["a:1", "b:1"] }), 1, "no cluster name: a single server");
    assert.equal(replicasForServer({ cluster: "c", connect_urls: ["a:1", "b:1"] }), 2);
    assert.equal(replicasForServer({ cluster: "c", connect_urls: ["a:1", "b:1", "c:1", "d:1", "a:1"] }), 3);
    assert.equal(replicasForServer({ cluster: "c" }), 1);
  });
});

describe("streams and buckets on a single server and on a three-node cluster", () => {
  let single: NatsTestServer;
  let cluster: NatsCluster;
  before(async () => {
    [single, cluster] = await Promise.all([startNatsServer(), startNatsCluster()]);
  });
  after(async () => {
    await Promise.all([single?.stop(), cluster?.stop()]);
  });

  it("keeps one copy on a single server", async () => {
    const bus = await connectBus({ servers: single.url, name: "replicas-single" });
    try {
      await ensureStreams(bus.jsm);
      await openStateBucket(bus.js, "ft_test_state");
      assert.deepEqual(await replicasOf(bus), expected(1));
    } finally {
      await bus.close();
    }
  });

  it("keeps three copies of state on the cluster, raises streams created with one, never lowers", async () => {
    const bus = await connectBus({ servers: cluster.urls, name: "replicas-cluster" });
    try {
      // Created with one copy (as on a single server, or by an older version), then brought to three.
      await ensureStreams(bus.jsm, {}, { replicas: 1 });
      await openStateBucket(bus.js, "ft_test_state", { replicas: 1 });
      assert.deepEqual(await replicasOf(bus), expected(1));
      const raised = await ensureStreams(bus.jsm);
      assert.deepEqual(
        raised.filter((r) => r.action === "updated").map((r) => [r.name, r.changed]),
        REPLICATED_STREAMS.map((key) => [STREAM_SPECS[key].name, ["num_replicas"]]),
      );
      await openStateBucket(bus.js, "ft_test_state");
      assert.deepEqual(await replicasOf(bus), expected(3));
      // A service that saw fewer servers (a cluster partly up) leaves the copies as they are.
      const again = await ensureStreams(bus.jsm, {}, { replicas: 2 });
      assert.deepEqual(new Set(again.map((r) => r.action)), new Set(["unchanged"]));
      assert.deepEqual(await replicasOf(bus), expected(3));
    } finally {
      await bus.close();
    }
  });
});
