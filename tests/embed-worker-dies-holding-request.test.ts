/**
 * An embed worker that dies while it holds the track service's request (SIGKILL: the server drops its
 * connection and its queue subscription, and no reply ever comes). While another worker answers, the
 * request is sent again at once and the frame's faces are identified: waiting for the outage backoff
 * instead would leave them identifying, and a file camera that ends in that time would never alert for
 * them (seen in CI, tests/service-processes.test.ts). Real nats-server; the dying worker is a bus
 * connection closed on receipt, the answering one a stand-in that replies a fixed vector (the model plays
 * no part in which worker answers).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, EMBED_QUEUE, EMBED_SUBJECT, typedBus } from "@facetracker/bus";
import { IdentificationUnavailableError } from "@facetracker/pipeline";
import { EmbedResult } from "@facetracker/proto";
import { createLogger, createServiceMetrics } from "@facetracker/service-kit";
import { EmbedWorkers } from "@facetracker/service-track/embed-client";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";

const crop = { width: 2, height: 2, channels: 3, data: new Uint8Array(12) };

describe("track service's embed requests when a worker dies holding one (real nats-server)", () => {
  let nats: NatsTestServer;
  const buses: Bus[] = [];
  const connect = async (name: string) => {
    const bus = await connectBus({ servers: [nats.url], name });
    buses.push(bus);
    return bus;
  };

  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const bus of buses) await bus.close().catch(() => {});
    await nats?.stop();
  });

  it("asks the workers again at once and gets the faces identified; a second silence starts the outage backoff", async () => {
    const lines: string[] = [];
    const logger = createLogger("track", {
      level: "info",
      stream: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const metrics = createServiceMetrics("track", { defaultMetrics: false });
    const tracker = await connect("track");
    const workers = new EmbedWorkers(typedBus(tracker), { logger, metrics }, { timeoutMs: 500 });
    const identify = workers.identify("lobby");

    // The worker that has the request dies with it; just before, another one has joined the queue group.
    const dying = await connect("embed-dying");
    const answering = await connect("embed-answering");
    let answered = 0;
    const startAnswering = () => {
      answering.nc.subscribe(EMBED_SUBJECT, {
        queue: EMBED_QUEUE,
        callback: (_error, msg) => {
          answered++;
          msg.respond(
            EmbedResult.encode(
              EmbedResult.fromPartial({ items: [{ trackKey: 0, vector: [1, 0, 0], matches: [] }] }),
            ).finish(),
          );
        },
      });
      return answering.nc.flush();
    };
    dying.nc.subscribe(EMBED_SUBJECT, {
      queue: EMBED_QUEUE,
      callback: () => {
        void startAnswering().then(() => dying.close());
      },
    });
    await dying.nc.flush();

    const faces = await identify([crop]);
    assert.equal(answered, 1, "the answering worker got the request sent again");
    assert.deepEqual([...(faces[0]?.embedding ?? [])], [1, 0, 0], "the faces are identified");
    assert.ok(
      lines.some((l) => l.includes("asking the workers again")),
      "the timeout and the second request are logged",
    );
    assert.ok(!lines.some((l) => l.includes("no embed worker answers")), "no outage began");

    // A worker that hangs (alive, never answering) times out twice: that is an outage, with backoff.
    await answering.close();
    const hanging = await connect("embed-hanging");
    hanging.nc.subscribe(EMBED_SUBJECT, { queue: EMBED_QUEUE, callback: () => {} });
    await hanging.nc.flush();
    await assert.rejects(identify([crop]), IdentificationUnavailableError);
    assert.equal(lines.filter((l) => l.includes("no embed worker answers")).length, 1, "outage logged");
    await assert.rejects(identify([crop]), /asking again in \d+ ms/, "the next frame waits for the backoff");
  });
});
