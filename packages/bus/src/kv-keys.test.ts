import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { Kvm } from "@nats-io/kv";
import { type Bus, connectBus } from "./connection.ts";
import { liveKeys } from "./kv-keys.ts";

describe("liveKeys: a bucket's keys that hold a value (real nats-server)", () => {
  let server: NatsTestServer;
  let bus: Bus;
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "kv-keys" });
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("lists values under a prefix, not deleted or purged keys, nor keys expired by the TTL", async () => {
    const kv = await new Kvm(bus.js).create("test_keys", { history: 1, ttl: 1500 });
    await kv.put("track.a", "1");
    await kv.put("track.b", "1");
    await kv.put("track.c", "1");
    await kv.put("ingest.a", "1");
    await kv.delete("track.b");
    await kv.purge("track.c");
    assert.deepEqual(await liveKeys(bus.jsm, kv, "test_keys", "track."), ["track.a"]);
    assert.deepEqual(await liveKeys(bus.jsm, kv, "test_keys"), ["ingest.a", "track.a"]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await kv.put("track.d", "1");
    assert.deepEqual(await liveKeys(bus.jsm, kv, "test_keys"), ["track.d"], "the others expired");
  });
});
