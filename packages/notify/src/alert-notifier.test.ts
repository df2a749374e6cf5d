// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${name}` in plain strings is the template syntax
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appriseMissing, startHttpReceiver } from "@facetracker/testing/notify";
import type { Alert } from "./alert-message.ts";
import { AlertNotifier, type DeliveryResult, destinationId, type SentMarks } from "./alert-notifier.ts";
import { AppriseCliTransport } from "./apprise-cli-transport.ts";

const noApprise = appriseMissing();
const jpeg = (n: number) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, n, 0xff, 0xd9]);
let nextId = 0;
const alert = (camera: string, identity: string | null, over: Partial<Alert> = {}): Alert => ({
  id: `alert-${++nextId}`,
  camera,
  trackId: nextId,
  identity,
  similarity: 0.8,
  timeMs: Date.UTC(2026, 0, 31, 12, 0, 0) + nextId,
  thumbnailJpeg: jpeg(nextId),
  ...over,
});
const payloadOf = (body: Buffer) => JSON.parse(body.toString("utf8"));
const fastBackoff = { initialMs: 10, maxMs: 40, factor: 2 };

describe("AlertNotifier with the apprise command and a json:// receiver", { skip: noApprise }, () => {
  it("a burst of 3 alerts on one camera is one message naming 3 faces; another camera is separate", async () => {
    const receiver = await startHttpReceiver();
    const results: DeliveryResult[] = [];
    const notifier = new AlertNotifier({
      urls: [`json://127.0.0.1:${receiver.port}/alerts`],
      transport: new AppriseCliTransport(),
      groupWindowMs: 1500,
      onResult: (r) => results.push(r),
    });
    try {
      const burst = [
        alert("cam-1", "alice", { clipUrl: "http://clips.test/cam-1/1.mp4" }),
        alert("cam-1", "bob"),
        alert("cam-1", null),
      ];
      const other = alert("cam-2", "carol", { clipUrl: "http://clips.test/cam-2/9.mp4" });
      const pending = [...burst.map((a) => notifier.notify(a)), notifier.notify(other)];
      assert.equal(notifier.pendingAlerts, 4);
      const [r1, r2, r3, r4] = await Promise.all(pending);

      assert.equal(receiver.requests.length, 2);
      const payloads = receiver.requests.map((r) => payloadOf(r.body));
      const group = payloads.find((p) => p.title.includes("cam-1"));
      const single = payloads.find((p) => p.title.includes("cam-2"));
      assert.equal(group.title, "FaceTracker: 3 faces on cam-1");
      assert.match(group.message, /\*\*3 faces\*\* seen on \*\*cam-1\*\*: alice, bob, unknown/);
      assert.ok(group.message.includes("http://clips.test/cam-1/1.mp4"));
      assert.equal(group.attachments.length, 3);
      assert.deepEqual(
        group.attachments.map((a: { base64: string }) => new Uint8Array(Buffer.from(a.base64, "base64"))),
        burst.map((a) => a.thumbnailJpeg),
      );
      assert.equal(single.title, "FaceTracker: carol on cam-2");
      assert.match(single.message, /\*\*carol\*\* seen on \*\*cam-2\*\*/);
      assert.ok(single.message.includes("[http://clips.test/cam-2/9.mp4](http://clips.test/cam-2/9.mp4)"));
      assert.equal(single.attachments.length, 1);

      assert.equal(r1, r2, "the alerts of a group share one result");
      assert.equal(r2, r3);
      assert.deepEqual(
        r1?.alertIds,
        burst.map((a) => a.id),
      );
      assert.equal(r1?.status, "sent");
      assert.equal(r1?.attempts, 1);
      assert.equal(typeof r1?.sentAtMs, "number");
      assert.deepEqual(r4?.alertIds, [other.id]);
      assert.equal(r4?.status, "sent");
      assert.equal(results.length, 2, "onResult once per message");
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it("a failing endpoint is retried with backoff, then failed with a reason; other cameras still go out", async () => {
    const receiver = await startHttpReceiver((request) =>
      payloadOf(request.body).title.includes("cam-bad") ? { status: 500, body: "broken" } : { status: 200 },
    );
    const notifier = new AlertNotifier({
      urls: [`json://127.0.0.1:${receiver.port}/`],
      transport: new AppriseCliTransport(),
      groupWindowMs: 0,
      retries: 2,
      backoff: fastBackoff,
    });
    try {
      const bad = notifier.notify(alert("cam-bad", "alice"));
      const good = notifier.notify(alert("cam-good", "bob"));
      const [badResult, goodResult] = await Promise.all([bad, good]);
      assert.equal(badResult.status, "failed");
      assert.equal(badResult.attempts, 3);
      assert.match(badResult.error ?? "", /apprise exited with code 1/);
      assert.match(badResult.error ?? "", /500/);
      assert.equal(badResult.sentAtMs, undefined);
      const titles = receiver.requests.map((r) => payloadOf(r.body).title as string);
      assert.equal(
        titles.filter((t) => t.includes("cam-bad")).length,
        3,
        "1 attempt + 2 retries at the receiver",
      );
      assert.equal(goodResult.status, "sent");
      assert.equal(goodResult.attempts, 1);
      assert.equal(titles.filter((t) => t.includes("cam-good")).length, 1);
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it("an error that retrying cannot fix (unsupported URL) is not retried", async () => {
    const notifier = new AlertNotifier({
      urls: ["nosuchservice://user:pw@host"],
      transport: new AppriseCliTransport(),
      groupWindowMs: 0,
      retries: 3,
      backoff: fastBackoff,
    });
    const result = await notifier.notify(alert("cam-1", "alice"));
    assert.equal(result.status, "failed");
    assert.equal(result.attempts, 1);
    assert.match(result.error ?? "", /Unsupported URL: nosuchservice:\/\/user:/);
    await notifier.close();
  });

  it("verifyUrls() checks the URLs with apprise without sending, naming one it cannot load", async () => {
    const receiver = await startHttpReceiver();
    try {
      const good = `json://127.0.0.1:${receiver.port}/`;
      const transport = new AppriseCliTransport();
      await new AlertNotifier({ urls: [good], transport }).verifyUrls();
      const mixed = new AlertNotifier({ urls: [good, "nosuchservice://u:s3cr3tpw@host"], transport });
      await assert.rejects(mixed.verifyUrls(), (error: Error) => {
        assert.match(error.message, /1 of 2 loaded.*Unsupported URL: nosuchservice:\/\/u:/);
        assert.ok(!error.message.includes("s3cr3tpw"));
        return true;
      });
      assert.equal(receiver.requests.length, 0, "a dry run sends nothing");
    } finally {
      await receiver.close();
    }
  });

  it("an attempt that outlives timeoutMs is stopped (apprise killed) and recorded as timed out", async () => {
    const receiver = await startHttpReceiver(() => "hold");
    const notifier = new AlertNotifier({
      urls: [`json://127.0.0.1:${receiver.port}/?rto=120`],
      transport: new AppriseCliTransport({ killGraceMs: 500 }),
      groupWindowMs: 0,
      timeoutMs: 3000,
      retries: 0,
    });
    try {
      const result = await notifier.notify(alert("cam-1", "alice"));
      assert.equal(result.status, "failed");
      assert.equal(result.attempts, 1);
      assert.match(result.error ?? "", /timed out after 3000 ms/);
      // If apprise got as far as connecting, its connection is gone: the process was killed.
      for (const request of receiver.requests) await request.closed;
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it("close() sends the groups still waiting, waits for them, and refuses later alerts", async () => {
    const receiver = await startHttpReceiver();
    const notifier = new AlertNotifier({
      urls: [`json://127.0.0.1:${receiver.port}/`],
      transport: new AppriseCliTransport(),
      groupWindowMs: 600_000,
    });
    try {
      const first = notifier.notify(alert("cam-1", "alice"));
      const second = notifier.notify(alert("cam-1", "bob"));
      await notifier.close();
      assert.equal(receiver.requests.length, 1);
      assert.equal(payloadOf((await receiver.request(0)).body).title, "FaceTracker: 2 faces on cam-1");
      assert.equal((await first).status, "sent");
      assert.equal(await first, await second);
      assert.equal(notifier.deliveriesInFlight, 0);
      const late = await notifier.notify(alert("cam-1", "carol"));
      assert.equal(late.status, "failed");
      assert.equal(late.attempts, 0);
      assert.equal(late.error, "notifier is closed");
    } finally {
      await receiver.close();
    }
  });
});

/** Sent-marks in memory (the alert service keeps them in a durable file). */
function memoryMarks(): SentMarks & { marks: Set<string> } {
  const marks = new Set<string>();
  return {
    marks,
    wasSent: (alertId, destination) => marks.has(`${alertId} ${destination}`),
    markSent: async (alertIds, destination) => {
      for (const id of alertIds) marks.add(`${id} ${destination}`);
    },
  };
}

describe("AlertNotifier: each alert once per destination (apprise, json:// receivers)", {
  skip: noApprise,
}, () => {
  it("sends to each destination on its own; an alert notified again goes only where it has not been", async () => {
    let failing = true;
    const receiver = await startHttpReceiver((request) =>
      request.path.startsWith("/flaky") && failing ? { status: 500, body: "down" } : { status: 200 },
    );
    const good = `json://127.0.0.1:${receiver.port}/good`;
    const flaky = `json://127.0.0.1:${receiver.port}/flaky`;
    const sentMarks = memoryMarks();
    const notifier = new AlertNotifier({
      urls: [good, flaky],
      transport: new AppriseCliTransport(),
      groupWindowMs: 0,
      retries: 0,
      sentMarks,
    });
    const at = (path: string) => receiver.requests.filter((r) => r.path === path).length;
    try {
      const amy = alert("cam-1", "amy");
      const first = await notifier.notify(amy);
      assert.equal(first.status, "failed");
      assert.match(first.error ?? "", /^json:\/\/127\.0\.0\.1:\d+\/flaky: apprise exited with code 1/);
      assert.deepEqual(
        first.destinations.map((d) => [d.id, d.status]),
        [
          [destinationId(good), "sent"],
          [destinationId(flaky), "failed"],
        ],
      );
      assert.deepEqual([...sentMarks.marks], [`${amy.id} ${destinationId(good)}`]);
      assert.equal(at("/good"), 1);
      assert.equal(at("/flaky"), 1);

      // The same alert again (a redelivery): only the destination that lacks it gets it.
      failing = false;
      const second = await notifier.notify(amy);
      assert.equal(second.status, "sent");
      assert.deepEqual(
        second.destinations.map((d) => d.status),
        ["already_sent", "sent"],
      );
      assert.equal(at("/good"), 1, "not sent twice to the destination that had it");
      assert.equal(at("/flaky"), 2);

      // Once everywhere: nothing is sent at all.
      const third = await notifier.notify(amy);
      assert.equal(third.status, "sent");
      assert.equal(third.attempts, 0);
      assert.equal(receiver.requests.length, 3);
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it("a group retried after some of its alerts went out carries only the others", async () => {
    const receiver = await startHttpReceiver();
    const sentMarks = memoryMarks();
    const notifier = new AlertNotifier({
      urls: [`json://127.0.0.1:${receiver.port}/`],
      transport: new AppriseCliTransport(),
      groupWindowMs: 600_000,
      sentMarks,
    });
    try {
      const [a, b, c] = [alert("cam-1", "amy"), alert("cam-1", "bob"), alert("cam-1", "carl")];
      await sentMarks.markSent([a.id], destinationId(`json://127.0.0.1:${receiver.port}/`));
      const results = [a, b, c].map((x) => notifier.notify(x));
      await notifier.close();
      assert.equal((await results[0])?.status, "sent");
      assert.equal(receiver.requests.length, 1);
      const payload = payloadOf((await receiver.request(0)).body);
      assert.equal(payload.title, "FaceTracker: 2 faces on cam-1");
      assert.match(payload.message, /bob, carl/);
    } finally {
      await receiver.close();
    }
  });
});

describe("AlertNotifier configuration and input checks", () => {
  const transport = new AppriseCliTransport();
  const urls = ["json://127.0.0.1:9/"];

  it("a template with an unknown placeholder fails at construction, naming it", () => {
    assert.throws(
      () => new AlertNotifier({ urls, transport, bodyTemplate: "**${identity}** at ${camra}" }),
      /bodyTemplate: unknown placeholder \$\{camra\} on line 1/,
    );
  });

  it("empty or malformed URLs and bad numbers fail at construction", () => {
    assert.throws(() => new AlertNotifier({ urls: [], transport }), /no Apprise URLs configured/);
    assert.throws(
      () => new AlertNotifier({ urls: ["mailto:user:secret@host"], transport }),
      /Apprise URL #1 is not of the form scheme:\/\/…: <unparseable URL>/,
    );
    assert.throws(
      () => new AlertNotifier({ urls, transport, retries: -1 }),
      /retries must be a whole number ≥ 0/,
    );
    assert.throws(() => new AlertNotifier({ urls, transport, timeoutMs: 0 }), /timeoutMs must be > 0/);
    assert.throws(
      () => new AlertNotifier({ urls, transport, backoff: { factor: 0.5 } }),
      /backoff.factor must be ≥ 1/,
    );
  });

  it("an invalid alert is a failed result, not an exception", async () => {
    const notifier = new AlertNotifier({ urls, transport });
    const result = await notifier.notify({ ...alert("cam-1", "alice"), camera: "" });
    assert.equal(result.status, "failed");
    assert.equal(result.attempts, 0);
    assert.match(result.error ?? "", /invalid alert: alert.camera must be a non-empty string/);
    await notifier.close();
  });
});
