import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { StorageType } from "@nats-io/jetstream";
import { type Bus, connectBus } from "./connection.ts";
import { resumeAfter, streamCreated } from "./consumer-setup.ts";

describe("where a re-created consumer resumes (real nats-server)", () => {
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

  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) await bus.js.publish("resume.x", new Uint8Array([i]));
  };
  const createStream = () =>
    bus.jsm.streams.add({ name: "RESUME", subjects: ["resume.>"], storage: StorageType.Memory });

  it("after the last message handled in the same stream; from the start of a re-created one, whatever its sequences", async () => {
    await createStream();
    await publish(5);
    const created = await streamCreated(bus.js, "RESUME");
    assert.deepEqual(await resumeAfter(bus.js, "RESUME", 3, created), { startSeq: 4 });
    assert.deepEqual(await resumeAfter(bus.js, "RESUME", 0, created), {}, "nothing handled: its own policy");

    // A server restart loses a memory stream; it comes back empty, and what is published meanwhile (the
    // frames ingest kept through the outage) numbers from 1 again, past the consumer's last sequence.
    await bus.jsm.streams.delete("RESUME");
    await createStream();
    await publish(10);
    assert.notEqual(await streamCreated(bus.js, "RESUME"), created);
    assert.deepEqual(await resumeAfter(bus.js, "RESUME", 3, created), { deliverPolicy: "all" });
    assert.deepEqual(
      await resumeAfter(bus.js, "RESUME", 0, created),
      { deliverPolicy: "all" },
      'a consumer that started "new" and had handled nothing yet still gets the new stream whole',
    );
  });
});
