import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import { openKeyClaims } from "./key-claims.ts";

describe("key claims (KV create / update by revision, real nats-server)", () => {
  let server: NatsTestServer;
  const buses: Bus[] = [];
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    for (const bus of buses) await bus.close();
    await server?.stop();
  });
  const open = async (name: string) => {
    const bus = await connectBus({ servers: server.url, name });
    buses.push(bus);
    return openKeyClaims(bus.js, "test_claims", { ttlMs: 60_000, description: "test" });
  };

  it("gives a key to exactly one of many processes claiming it at once", async () => {
    const claimants = await Promise.all(["a", "b", "c", "d", "e", "f"].map(open));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        claimants.map((c, i) => c.claim(`person.${round}`, { id: `alert-${i}`, timeMs: 1000 }, 300_000)),
      );
      const won = results.filter((r) => r.won);
      assert.equal(won.length, 1, `round ${round}: one winner, not ${won.length}`);
      const winner = results.findIndex((r) => r.won);
      for (const r of results) {
        if (!r.won) assert.equal(r.holder.id, `alert-${winner}`, "the losers are told who holds it");
      }
    }
  });

  it("wins again for the same id (a retry), and takes over a claim older than the window", async () => {
    const [one, two] = await Promise.all([open("one"), open("two")]);
    assert.deepEqual(await one.claim("amy", { id: "x", timeMs: 10_000 }, 60_000), { won: true });
    assert.deepEqual(await one.claim("amy", { id: "x", timeMs: 10_000 }, 60_000), { won: true }, "a retry");
    const lost = await two.claim("amy", { id: "y", timeMs: 69_999 }, 60_000);
    assert.equal(lost.won, false, "within the window");
    assert.deepEqual(await two.claim("amy", { id: "y", timeMs: 70_000 }, 60_000), { won: true }, "after it");
    const back = await one.claim("amy", { id: "x2", timeMs: 70_001 }, 60_000);
    assert.equal(back.won ? "" : back.holder.id, "y");
  });
});
