import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Bus, connectBus, streamOf, type TypedBus, typedBus } from "@facetracker/bus";
import { Alert, AlertDelivery, ClipEvent, TrackEvent, TrackEventType } from "@facetracker/proto";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { openEventFeeds } from "./event-feeds.ts";

const track = (camera: string, trackId: number) =>
  TrackEvent.fromPartial({ camera, trackId, type: TrackEventType.CONFIRMED });
const alert = (camera: string, trackId: number) =>
  Alert.fromPartial({ id: `${camera}-${trackId}`, camera, trackId, mode: "ON_ALL" });
const delivery = (camera: string, trackId: number) =>
  AlertDelivery.fromPartial({ alertId: `${camera}-${trackId}`, camera, clipStatus: "stored" });

/** Takes `n` values from an iterator (the iterator stays open). */
async function take<T>(iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const values: T[] = [];
  while (values.length < n) {
    const next = await iterator.next();
    if (next.done) break;
    values.push(next.value);
  }
  return values;
}

describe("event feeds (real nats-server)", () => {
  let server: NatsTestServer;
  let connection: Bus;
  let bus: TypedBus;

  before(async () => {
    server = await startNatsServer();
    connection = await connectBus({ servers: [server.url], name: "event-feeds-test" });
    bus = typedBus(connection);
    await bus.ensureStreams();
  });
  after(async () => {
    await connection?.close();
    await server?.stop();
  });

  it("an iterator opened late gives every event since the feeds were opened, in order, and none before", async () => {
    await bus.publish("tracks", track("early", 1));
    await bus.publish("alerts", alert("early", 1));
    const feeds = await openEventFeeds(bus);
    await bus.publish("tracks", track("a", 1));
    await bus.publish("alerts", alert("a", 1));
    await bus.publish("deliveries", delivery("a", 1));
    await bus.publish("tracks", track("b", 2));
    await bus.publish("alerts", alert("b", 2));
    await bus.publish("tracks", track("a", 3));
    const tracks = feeds.follow("tracks");
    const alerts = feeds.follow("alerts");
    const deliveries = feeds.follow("deliveries");
    try {
      assert.deepEqual(
        (await take(tracks, 3)).map((e) => `${e.camera}#${e.trackId}`),
        ["a#1", "b#2", "a#3"],
      );
      assert.deepEqual(
        (await take(alerts, 2)).map((a) => a.id),
        ["a-1", "b-2"],
      );
      assert.deepEqual(
        (await take(deliveries, 1)).map((d) => d.alertId),
        ["a-1"],
      );
      // And what comes next.
      await bus.publish("tracks", track("c", 4));
      assert.deepEqual(
        (await take(tracks, 1)).map((e) => `${e.camera}#${e.trackId}`),
        ["c#4"],
      );
    } finally {
      await feeds.close();
    }
    assert.equal((await tracks.next()).done, true, "close() ended the iterator");
    assert.equal((await alerts.next()).done, true);
    assert.equal((await deliveries.next()).done, true);
  });

  it("close() ends the iterators once they have what the stream held; one opened after close() ends at once", async () => {
    const feeds = await openEventFeeds(bus);
    const seen: string[] = [];
    const alerts = feeds.follow("alerts");
    const reading = (async () => {
      for await (const a of alerts) seen.push(a.id);
    })();
    // Deliveries interleave with the alerts in their stream.
    for (let i = 1; i <= 20; i++) {
      await bus.publish("alerts", alert("close", i));
      await bus.publish("deliveries", delivery("close", i));
    }
    await feeds.close();
    await reading;
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => `close-${i + 1}`),
    );
    assert.equal((await feeds.follow("tracks").next()).done, true);
  });

  it("close() returns at once when nothing came since the start (older messages are not waited for)", async () => {
    await bus.publish("clips", ClipEvent.fromPartial({ camera: "old", alertId: "old-1", key: "k.mp4" }));
    const feeds = await openEventFeeds(bus);
    const clips = feeds.follow("clips");
    const reading = clips.next();
    const started = Date.now();
    await feeds.close();
    assert.equal((await reading).done, true);
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
  });

  it("breaking out of a for-await stops the iterator's consumer", async () => {
    const stream = streamOf("tracks");
    const names = async () => (await connection.jsm.consumers.list(stream).next()).map((c) => c.name);
    const feeds = await openEventFeeds(bus);
    const earlier = new Set(await names());
    await bus.publish("tracks", track("brk", 1));
    await bus.publish("tracks", track("brk", 2));
    let name: string | undefined;
    for await (const e of feeds.follow("tracks")) {
      assert.equal(e.trackId, 1);
      [name] = (await names()).filter((n) => !earlier.has(n));
      break;
    }
    assert.ok(name, "the iterator had an ordered consumer");
    // Stopped: it pulls no more (the server forgets an idle ordered consumer after a while).
    const ack = await bus.publish("tracks", track("brk", 3));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const info = await connection.jsm.consumers.info(stream, name);
    assert.ok(info.delivered.stream_seq < ack.seq, "nothing delivered after the break");
    assert.equal(info.num_waiting, 0, "no pull request waiting");
    await feeds.close();
  });
});
