import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmbedRequest, EmbedResult } from "@facetracker/proto";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { BusLogger } from "./logger.ts";
import {
  RemoteError,
  RequestFailedError,
  type RequestServer,
  requestMessage,
  serveRequests,
} from "./request-reply.ts";
import { EMBED_QUEUE, EMBED_SUBJECT } from "./subjects.ts";

const quiet: BusLogger = { info() {}, warn() {}, error() {} };

function embedWorker(nc: NatsConnection, worker: string, handled: string[]): RequestServer {
  return serveRequests(
    nc,
    EMBED_SUBJECT,
    EMBED_QUEUE,
    EmbedRequest,
    EmbedResult,
    (request) => {
      handled.push(`${request.camera}:${request.seq}`);
      if (request.camera === "explode") throw new Error(`${worker} cannot embed this`);
      return EmbedResult.fromPartial({
        items: request.items.map((item) => ({
          trackKey: item.trackKey,
          vector: [item.alignedRgb.length, 0.5],
        })),
      });
    },
    { logger: quiet },
  );
}

describe("request/reply in a queue group", () => {
  let server: NatsTestServer;
  const connections: NatsConnection[] = [];
  let client: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    for (let i = 0; i < 3; i++) connections.push(await connect({ servers: server.url }));
    client = connections[2] as NatsConnection;
  });
  after(async () => {
    for (const nc of connections) await nc.close();
    await server?.stop();
  });

  it("spreads 40 requests over two workers of the same queue group, each answered once", async () => {
    const handledA: string[] = [];
    const handledB: string[] = [];
    const workers = [
      embedWorker(connections[0] as NatsConnection, "a", handledA),
      embedWorker(connections[1] as NatsConnection, "b", handledB),
    ];
    await Promise.all(connections.map((nc) => nc.flush())); // subscriptions registered on the server
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        requestMessage(
          client,
          EMBED_SUBJECT,
          EmbedRequest,
          EmbedResult,
          EmbedRequest.fromPartial({
            camera: "cam1",
            seq: i + 1,
            items: [{ trackKey: i, alignedRgb: Buffer.alloc(i + 1) }],
          }),
          10_000,
        ),
      ),
    );
    replies.forEach((reply, i) => {
      assert.deepEqual(reply.items[0]?.trackKey, i);
      assert.equal(reply.items[0]?.vector[0], i + 1);
    });
    assert.equal(handledA.length + handledB.length, 40);
    assert.ok(handledA.length > 0, "worker a got some requests");
    assert.ok(handledB.length > 0, "worker b got some requests");
    assert.equal(new Set([...handledA, ...handledB]).size, 40, "no request handled twice");
    assert.equal(workers[0]?.counters.replied, handledA.length);
    for (const w of workers) await w.stop();
  });

  it("turns a handler error or an undecodable request into a RemoteError for the caller", async () => {
    const handled: string[] = [];
    const worker = embedWorker(connections[0] as NatsConnection, "a", handled);
    await connections[0]?.flush();
    await assert.rejects(
      requestMessage(
        client,
        EMBED_SUBJECT,
        EmbedRequest,
        EmbedResult,
        EmbedRequest.fromPartial({ camera: "explode" }),
        5000,
      ),
      (error: Error) =>
        error instanceof RemoteError && /ft\.embed: Error: a cannot embed this/.test(error.message),
    );
    const reply = await client.request(EMBED_SUBJECT, Uint8Array.from([0x0a, 0xff, 0x7f]), { timeout: 5000 });
    assert.match(reply.headers?.get("Ft-Error") ?? "", /\S/);
    assert.deepEqual({ ...worker.counters }, { received: 2, replied: 0, failed: 2 });
    await worker.stop();
  });

  it("handles up to `concurrency` requests at once when asked to", async () => {
    let running = 0;
    let most = 0;
    const worker = serveRequests(
      connections[0] as NatsConnection,
      "ft.test.concurrent",
      "concurrent",
      EmbedRequest,
      EmbedResult,
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running--;
        return EmbedResult.fromPartial({});
      },
      { logger: quiet, concurrency: 3 },
    );
    // The subscription reaches the server before the first request.
    await (connections[0] as NatsConnection).flush();
    try {
      await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          requestMessage(
            client,
            "ft.test.concurrent",
            EmbedRequest,
            EmbedResult,
            EmbedRequest.fromPartial({ camera: "c", seq: i }),
            5000,
          ),
        ),
      );
      assert.equal(most, 3);
    } finally {
      await worker.stop();
    }
  });

  it("says when nobody serves the subject", async () => {
    await assert.rejects(
      requestMessage(client, "ft.nobody", EmbedRequest, EmbedResult, EmbedRequest.fromPartial({}), 5000),
      (error: Error) =>
        error instanceof RequestFailedError &&
        error.reason === "no-responders" &&
        /no server answers/.test(error.message),
    );
  });

  it("says when the reply does not come in time", async () => {
    const silent = connections[0]?.subscribe("ft.silent"); // receives, never answers
    await connections[0]?.flush();
    await assert.rejects(
      requestMessage(client, "ft.silent", EmbedRequest, EmbedResult, EmbedRequest.fromPartial({}), 200),
      (error: Error) =>
        error instanceof RequestFailedError &&
        error.reason === "timeout" &&
        /no reply within 200 ms/.test(error.message),
    );
    silent?.unsubscribe();
  });
});
