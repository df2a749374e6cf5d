import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TrackEvent, TrackEventType } from "@facetracker/proto";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { type Bus, connectBus } from "./connection.ts";
import type { MessageConsumer } from "./consumer.ts";
import { readDeadLetter } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import { ensureStreams } from "./streams.ts";
import { typedBus } from "./typed-bus.ts";

const quiet: BusLogger = { info: () => {}, warn: () => {}, error: () => {} };
const event = (trackId: number, timeMs = Date.now()) =>
  TrackEvent.fromPartial({ camera: "gate", trackId, type: TrackEventType.IDENTIFIED, timeMs });

describe("typed bus consume: a message failing its kind's sanity check (real nats-server)", () => {
  let server: NatsTestServer;
  let bus: Bus;
  const consumers: MessageConsumer[] = [];
  before(async () => {
    server = await startNatsServer();
    bus = await connectBus({ servers: server.url, name: "check-test" });
    await ensureStreams(bus.jsm);
  });
  after(async () => {
    for (const c of consumers) await c.stop();
    await bus?.close();
    await server?.stop();
  });

  it("is dead-lettered with the reason by a durable consumer and never reaches its handler; a live view skips it", async () => {
    const typed = typedBus(bus, { logger: quiet });
    const durableSeen: number[] = [];
    const liveSeen: number[] = [];
    consumers.push(
      await typed.consume("tracks", {
        durable: "check-test",
        handler: (e) => void durableSeen.push(e.trackId),
      }),
      await typed.consume("tracks", { handler: (e) => void liveSeen.push(e.trackId) }),
    );
    await typed.publish("tracks", event(4_000_000_000));
    await typed.publish("tracks", event(2, Date.now() + 3_600_000));
    await typed.publish("tracks", event(3));
    await waitFor(() => durableSeen.includes(3) && liveSeen.includes(3), "the sane event handled by both");
    assert.deepEqual(durableSeen, [3]);
    assert.deepEqual(liveSeen, [3]);
    const { state } = await bus.jsm.streams.info("FT_DLQ");
    const letters = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const stored = await bus.jsm.streams.getMessage("FT_DLQ", { seq });
      if (stored) letters.push(readDeadLetter({ headers: stored.header, data: stored.data }));
    }
    assert.deepEqual(
      letters.map((l) => [l.consumer, l.stage, l.subject]),
      [
        ["check-test", "check", "ft.tracks.gate"],
        ["check-test", "check", "ft.tracks.gate"],
      ],
      "only the durable consumer dead-letters",
    );
    assert.match(letters[0]?.error ?? "", /^InsaneMessageError: track ID 4000000000 is beyond 2147483647$/);
    assert.match(letters[1]?.error ?? "", /^InsaneMessageError: capture time .* ahead of this host's clock/);
  });
});
