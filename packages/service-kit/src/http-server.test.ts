import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Readiness, ServiceHttp } from "./http-server.ts";
import { startServiceHttp } from "./http-server.ts";
import { createServiceMetrics } from "./metrics.ts";

describe("startServiceHttp", () => {
  const metrics = createServiceMetrics("detect", { defaultMetrics: false });
  let readiness: Readiness = { ready: false, checks: { nats: false, model: "loading" } };
  let readinessError: Error | undefined;
  let http: ServiceHttp;

  before(async () => {
    http = await startServiceHttp({
      port: 0,
      host: "127.0.0.1",
      service: "detect",
      registry: metrics.registry,
      readiness: () => {
        if (readinessError) throw readinessError;
        return readiness;
      },
    });
  });

  after(() => http.close());

  it("listens on a free port and reports its URL", () => {
    assert.ok(http.port > 0);
    assert.equal(http.url, `http://127.0.0.1:${http.port}`);
  });

  it("answers /healthz 503 until ready, then 200, then 503 again", async () => {
    const notReady = await fetch(`${http.url}/healthz`);
    assert.equal(notReady.status, 503);
    assert.match(notReady.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await notReady.json(), {
      status: "unavailable",
      service: "detect",
      checks: { nats: false, model: "loading" },
    });

    readiness = { ready: true, checks: { nats: true, model: true } };
    const ready = await fetch(`${http.url}/healthz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: "ok",
      service: "detect",
      checks: { nats: true, model: true },
    });

    readiness = { ready: false, checks: { nats: "reconnecting", model: true } };
    const lost = await fetch(`${http.url}/healthz?verbose=1`);
    assert.equal(lost.status, 503);
    assert.deepEqual(await lost.json(), {
      status: "unavailable",
      service: "detect",
      checks: { nats: "reconnecting", model: true },
    });
  });

  it("answers /healthz 503 with the error when readiness throws", async () => {
    readinessError = new Error("nats client closed");
    try {
      const response = await fetch(`${http.url}/healthz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), {
        status: "unavailable",
        service: "detect",
        checks: { readiness: "error: nats client closed" },
      });
    } finally {
      readinessError = undefined;
    }
  });

  it("answers /livez 200 whether ready or not", async () => {
    readiness = { ready: false, checks: {} };
    const response = await fetch(`${http.url}/livez`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok", service: "detect" });
  });

  it("serves /metrics in Prometheus text format", async () => {
    metrics.messagesIn.inc({ subject_kind: "frames" }, 7);
    const response = await fetch(`${http.url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const body = await response.text();
    assert.match(body, /^# HELP facetracker_messages_in_total /m);
    assert.match(body, /^# TYPE facetracker_messages_in_total counter$/m);
    assert.match(body, /^facetracker_messages_in_total\{subject_kind="frames",service="detect"\} 7$/m);
  });

  it("answers HEAD with headers and no body", async () => {
    const response = await fetch(`${http.url}/metrics`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.ok(Number(response.headers.get("content-length")) > 0);
    assert.equal(await response.text(), "");
  });

  it("answers a JSON 404 for unknown paths", async () => {
    const response = await fetch(`${http.url}/nope`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await response.json(), { error: "not found", path: "/nope" });
  });

  it("answers 405 for another method on a known path", async () => {
    const response = await fetch(`${http.url}/healthz`, { method: "POST" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    assert.deepEqual(await response.json(), { error: "method not allowed", method: "POST" });
  });
});

describe("startServiceHttp, listening and closing", () => {
  const registry = createServiceMetrics("api", { defaultMetrics: false }).registry;
  const readiness = () => ({ ready: true, checks: {} });

  it("stops accepting connections after close(), which is idempotent", async () => {
    const http = await startServiceHttp({ port: 0, host: "127.0.0.1", service: "api", registry, readiness });
    assert.equal((await fetch(`${http.url}/livez`)).status, 200);
    await Promise.all([http.close(), http.close()]);
    await http.close();
    await assert.rejects(fetch(`${http.url}/livez`), TypeError);
  });

  it("rejects, naming host and port, when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(
        startServiceHttp({ port, host: "127.0.0.1", service: "api", registry, readiness }),
        (error: unknown) =>
          error instanceof Error &&
          error.message.startsWith(`cannot listen on 127.0.0.1:${port}: `) &&
          (error.cause as NodeJS.ErrnoException).code === "EADDRINUSE",
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("binds 127.0.0.1 by default and reports the address actually bound", async () => {
    const http = await startServiceHttp({ port: 0, service: "api", registry, readiness });
    try {
      assert.equal(http.address, `127.0.0.1:${http.port}`);
      assert.equal(http.url, `http://127.0.0.1:${http.port}`);
    } finally {
      await http.close();
    }
  });

  it("shows its listeners in /healthz, and no credentials of a URL in a check's text", async () => {
    const http = await startServiceHttp({
      port: 0,
      service: "restream",
      registry,
      readiness: () => ({
        ready: false,
        checks: { "camera door": "failed: cannot publish to rtsp://pub:S3cret@mediamtx:8554/door" },
      }),
      listening: () => ({ grpc: "127.0.0.1:50051" }),
    });
    try {
      const body = await (await fetch(`${http.url}/healthz`)).text();
      assert.doesNotMatch(body, /S3cret|pub:/);
      assert.deepEqual(JSON.parse(body), {
        status: "unavailable",
        service: "restream",
        checks: { "camera door": "failed: cannot publish to rtsp://***@mediamtx:8554/door" },
        listening: { grpc: "127.0.0.1:50051" },
      });
    } finally {
      await http.close();
    }
  });

  it("gives a loopback URL when bound to all addresses", async () => {
    const http = await startServiceHttp({ port: 0, host: "0.0.0.0", service: "api", registry, readiness });
    try {
      assert.equal(http.url, `http://127.0.0.1:${http.port}`);
      assert.equal(http.address, `0.0.0.0:${http.port}`);
      assert.equal((await fetch(`${http.url}/healthz`)).status, 200);
    } finally {
      await http.close();
    }
  });
});
