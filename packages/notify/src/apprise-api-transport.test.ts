import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startAppriseApiStandIn, startHttpReceiver } from "@facetracker/testing/notify";
import { AlertNotifier } from "./alert-notifier.ts";
import { AppriseApiTransport } from "./apprise-api-transport.ts";
import { type Notification, NotificationError } from "./notification.ts";

const jpeg = (n: number) => new Uint8Array([0xff, 0xd8, n, n, 0xff, 0xd9]);
const urls = [
  "mailto://alerts:mailpass1@smtp.example.com?to=ops@example.com",
  "json://hooks.example.com/face",
];
const textOnly: Notification = {
  title: "FaceTracker: bob on door",
  body: "**bob** seen on **door**",
  format: "markdown",
  attachments: [],
};
const signal = () => AbortSignal.timeout(30_000);

describe("AppriseApiTransport (apprise-api stand-in)", () => {
  it("without attachments POSTs JSON {urls, title, body, type, format} to <base>/notify", async () => {
    const api = await startAppriseApiStandIn();
    try {
      const transport = new AppriseApiTransport({ baseUrl: `${api.baseUrl}/` });
      assert.equal(transport.endpoint, `${api.baseUrl}/notify`);
      await transport.send(urls, textOnly, signal());
      assert.equal(api.parsed.length, 1);
      const request = api.parsed[0];
      assert.equal(request?.kind, "json");
      assert.equal(request?.path, "/notify");
      assert.deepEqual(request?.urls, urls);
      assert.equal(request?.title, textOnly.title);
      assert.equal(request?.body, textOnly.body);
      assert.equal(request?.type, "info");
      assert.equal(request?.format, "markdown");
    } finally {
      await api.close();
    }
  });

  it("with attachments POSTs multipart/form-data: fields plus one file per unique attach field", async () => {
    const api = await startAppriseApiStandIn();
    try {
      const transport = new AppriseApiTransport({ baseUrl: api.baseUrl, type: "warning" });
      const one: Notification = {
        ...textOnly,
        attachments: [{ name: "bob.jpg", data: jpeg(1), mimeType: "image/jpeg" }],
      };
      await transport.send(urls, one, signal());
      const single = api.parsed[0];
      assert.equal(single?.kind, "form");
      assert.equal(single?.urls, urls.join(", "));
      assert.equal(single?.title, textOnly.title);
      assert.equal(single?.body, textOnly.body);
      assert.equal(single?.type, "warning");
      assert.equal(single?.format, "markdown");
      assert.deepEqual(
        single?.files.map((f) => [f.field, f.name, f.type]),
        [["attach", "bob.jpg", "image/jpeg"]],
      );
      assert.deepEqual(single?.files[0]?.data, jpeg(1));

      const three: Notification = {
        ...textOnly,
        attachments: [1, 2, 3].map((n) => ({ name: "face", data: jpeg(n), mimeType: "image/jpeg" })),
      };
      await transport.send(urls, three, signal());
      const multi = api.parsed[1];
      assert.deepEqual(
        multi?.files.map((f) => [f.field, f.name]),
        [
          ["attach1", "face.jpg"],
          ["attach2", "face-2.jpg"],
          ["attach3", "face-3.jpg"],
        ],
      );
      assert.deepEqual(
        multi?.files.map((f) => f.data),
        [jpeg(1), jpeg(2), jpeg(3)],
      );
    } finally {
      await api.close();
    }
  });

  it("with configKey POSTs to <base>/notify/<key> without URLs", async () => {
    const api = await startAppriseApiStandIn();
    try {
      const transport = new AppriseApiTransport({ baseUrl: api.baseUrl, configKey: "face tracker" });
      assert.equal(transport.needsUrls, false);
      await transport.send([], textOnly, signal());
      assert.equal(api.parsed[0]?.path, "/notify/face%20tracker");
      assert.equal(api.parsed[0]?.urls, undefined);
      assert.ok(!api.parsed[0]?.fieldNames.includes("urls"));
    } finally {
      await api.close();
    }
  });

  it("a non-2xx answer rejects with the status and the body tail, secrets masked", async () => {
    const receiver = await startHttpReceiver(() => ({
      status: 424,
      body: "One or more notifications could not be sent: mailto://alerts:mailpass1@smtp.example.com failed",
    }));
    try {
      const transport = new AppriseApiTransport({ baseUrl: receiver.url("") });
      await assert.rejects(transport.send(urls, textOnly, signal()), (error: unknown) => {
        assert.ok(error instanceof NotificationError);
        assert.match(
          error.message,
          /apprise-api answered HTTP 424 \(one or more notifications could not be sent\)/,
        );
        assert.match(error.message, /could not be sent: mailto:\/\/alerts:\*\*\*@smtp\.example\.com failed/);
        assert.ok(!error.message.includes("mailpass1"), error.message);
        assert.equal(error.retryable, true);
        return true;
      });
    } finally {
      await receiver.close();
    }
  });

  it("a 400 answer is not retryable; a 204 (no loadable URL) is a failure", async () => {
    const answers = [
      { status: 400, body: "Payload lacks minimum requirements" },
      { status: 204, body: "" },
    ];
    const receiver = await startHttpReceiver(() => answers.shift() ?? { status: 500 });
    try {
      const transport = new AppriseApiTransport({ baseUrl: receiver.url("") });
      await assert.rejects(transport.send(urls, textOnly, signal()), (error: unknown) => {
        assert.ok(error instanceof NotificationError);
        assert.match(error.message, /HTTP 400.*Payload lacks minimum requirements/);
        assert.equal(error.retryable, false);
        return true;
      });
      await assert.rejects(
        transport.send(urls, textOnly, signal()),
        /HTTP 204 \(none of the URLs could be loaded\)/,
      );
    } finally {
      await receiver.close();
    }
  });

  it("an unreachable server rejects naming the endpoint and the connection error", async () => {
    const receiver = await startHttpReceiver();
    const baseUrl = receiver.url("");
    await receiver.close(); // nothing listens on this port any more
    const transport = new AppriseApiTransport({ baseUrl });
    await assert.rejects(transport.send(urls, textOnly, signal()), (error: unknown) => {
      assert.ok(error instanceof NotificationError);
      assert.match(error.message, new RegExp(`cannot reach apprise-api at ${baseUrl}/notify: ECONNREFUSED`));
      assert.equal(error.retryable, true);
      return true;
    });
  });

  it("rejects a base URL with credentials or of another scheme at construction", () => {
    assert.throws(
      () => new AppriseApiTransport({ baseUrl: "http://u:secretpw@apprise:8000" }),
      /must not carry credentials/,
    );
    assert.throws(
      () => new AppriseApiTransport({ baseUrl: "ftp://apprise" }),
      /must be http:\/\/ or https:\/\//,
    );
    assert.throws(() => new AppriseApiTransport({ baseUrl: "not a url" }), /not a valid URL/);
  });
});

describe("AlertNotifier → AppriseApiTransport (apprise-api stand-in)", () => {
  it("a grouped message goes out as one multipart request with every thumbnail, to each destination", async () => {
    const api = await startAppriseApiStandIn();
    const notifier = new AlertNotifier({
      urls,
      transport: new AppriseApiTransport({ baseUrl: api.baseUrl }),
      groupWindowMs: 200,
    });
    try {
      const alerts = [1, 2, 3].map((n) => ({
        id: `x${n}`,
        camera: "lobby",
        trackId: n,
        identity: n === 3 ? null : "dana",
        similarity: 0.7,
        timeMs: Date.UTC(2026, 0, 1) + n,
        thumbnailJpeg: jpeg(n),
      }));
      const results = await Promise.all(alerts.map((a) => notifier.notify(a)));
      assert.equal(results[0]?.status, "sent");
      assert.deepEqual(results[0]?.alertIds, ["x1", "x2", "x3"]);
      // One request per destination (each destination gets each alert once, whatever the other does).
      assert.equal(api.parsed.length, urls.length);
      assert.deepEqual(api.parsed.map((r) => r.urls).sort(), [...urls].sort());
      for (const request of api.parsed) {
        assert.equal(request?.kind, "form");
        assert.equal(request?.title, "FaceTracker: 3 faces on lobby");
        assert.match(String(request?.body), /\*\*3 faces\*\* seen on \*\*lobby\*\*: dana \(2\), unknown/);
        assert.deepEqual(
          request?.files.map((f) => [f.field, f.name, f.data]),
          [
            ["attach1", "dana-lobby-track1.jpg", jpeg(1)],
            ["attach2", "dana-lobby-track2.jpg", jpeg(2)],
            ["attach3", "unknown-lobby-track3.jpg", jpeg(3)],
          ],
        );
      }
    } finally {
      await notifier.close();
      await api.close();
    }
  });

  it("with a configKey the notifier needs no URLs", async () => {
    const api = await startAppriseApiStandIn();
    const notifier = new AlertNotifier({
      urls: [],
      transport: new AppriseApiTransport({ baseUrl: api.baseUrl, configKey: "site" }),
      groupWindowMs: 0,
    });
    try {
      const result = await notifier.notify({
        id: "k1",
        camera: "gate",
        trackId: 1,
        identity: "erin",
        similarity: 0.9,
        timeMs: 0,
      });
      assert.equal(result.status, "sent");
      assert.equal(api.parsed[0]?.path, "/notify/site");
      assert.equal(api.parsed[0]?.kind, "json");
    } finally {
      await notifier.close();
      await api.close();
    }
  });
});
