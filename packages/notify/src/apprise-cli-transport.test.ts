import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@facetracker/testing";
import {
  aiosmtpdMissing,
  appriseMissing,
  decodeBody,
  type HttpReceiver,
  leafParts,
  parseMime,
  type SmtpServer,
  startHttpReceiver,
  startSmtpServer,
} from "@facetracker/testing/notify";
import { AppriseCliTransport } from "./apprise-cli-transport.ts";
import { type Notification, NotificationError } from "./notification.ts";

const noApprise = appriseMissing();
const noSmtp = noApprise ?? aiosmtpdMissing();
const thumbnail = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0, 255, 0xff, 0xd9]);
const clipUrl = "http://clips.example.test/clips/cam-1/track-7.mp4";

const notification: Notification = {
  title: "FaceTracker: alice on cam-1",
  body: `**alice** seen on **cam-1**\n\n- Similarity: 0.91\n- Clip: [${clipUrl}](${clipUrl})`,
  format: "markdown",
  attachments: [{ name: "alice-cam-1-track7.jpg", data: thumbnail, mimeType: "image/jpeg" }],
};

const longSignal = () => AbortSignal.timeout(60_000);

/** Every process's command line (/proc/PID/cmdline, what `ps -eo args` shows). */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // the process has ended
    }
  }
  return lines;
}

describe("AppriseCliTransport (real apprise command)", { skip: noApprise }, () => {
  let receiver: HttpReceiver;
  let tempDir: string;

  before(async () => {
    tempDir = await mkdtemp(join(tmpdir(), "notify-cli-test-"));
  });
  after(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  it("posts title, markdown body and the thumbnail to a json:// receiver; removes its temp files", async () => {
    receiver = await startHttpReceiver();
    try {
      const transport = new AppriseCliTransport({ tempDir });
      await transport.send([`json://127.0.0.1:${receiver.port}/hooks/alerts`], notification, longSignal());
      assert.equal(receiver.requests.length, 1);
      const request = await receiver.request(0);
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/hooks/alerts");
      assert.match(String(request.headers["content-type"]), /application\/json/);
      const payload = JSON.parse(request.body.toString("utf8"));
      assert.equal(payload.version, "1.0");
      assert.equal(payload.title, notification.title);
      assert.equal(payload.type, "info");
      assert.match(payload.message, /\*\*alice\*\* seen on \*\*cam-1\*\*/);
      assert.ok(payload.message.includes(clipUrl), "clip URL in the message");
      assert.equal(payload.attachments.length, 1);
      assert.equal(payload.attachments[0].filename, "alice-cam-1-track7.jpg");
      assert.equal(payload.attachments[0].mimetype, "image/jpeg");
      assert.deepEqual(new Uint8Array(Buffer.from(payload.attachments[0].base64, "base64")), thumbnail);
      assert.deepEqual(await readdir(tempDir), [], "the private attachment directory is removed");
    } finally {
      await receiver.close();
    }
  });

  it("keeps the body literal even when it looks like an option or holds quotes and newlines", async () => {
    receiver = await startHttpReceiver();
    try {
      const odd: Notification = {
        title: "--title=-x",
        body: "-b 'quoted' \"double\" $HOME `cmd`\nsecond line",
        format: "text",
        attachments: [],
      };
      await new AppriseCliTransport().send([`json://127.0.0.1:${receiver.port}/`], odd, longSignal());
      const payload = JSON.parse((await receiver.request(0)).body.toString("utf8"));
      assert.equal(payload.title, odd.title);
      assert.equal(payload.message, odd.body);
      assert.deepEqual(payload.attachments, []);
    } finally {
      await receiver.close();
    }
  });

  it("the URLs' passwords never appear on a command line (sampled while apprise is connected)", async () => {
    const password = "hunter2-Secret-x9";
    const leaks: string[] = [];
    receiver = await startHttpReceiver(() => {
      // apprise is running right now: read every process's command line, as `ps -eo args` does.
      leaks.push(...commandLines().filter((line) => line.includes(password)));
      return { status: 200, body: "ok" };
    });
    try {
      const transport = new AppriseCliTransport({ tempDir });
      const urls = [`json://alerts:${password}@127.0.0.1:${receiver.port}/hooks/a`];
      await transport.verifyUrls(urls);
      await transport.send(urls, notification, longSignal());
      const request = await receiver.request(0);
      const expected = `Basic ${Buffer.from(`alerts:${password}`).toString("base64")}`;
      assert.equal(request.headers.authorization, expected, "apprise got the URL with its password");
      assert.deepEqual(leaks, [], "a command line showed the Apprise password");
    } finally {
      await receiver.close();
    }
  });

  it("a non-zero apprise exit rejects with its output, secrets of the URL masked", async () => {
    const transport = new AppriseCliTransport();
    const url = "bogus://admin:hunter22secret@example.com/path";
    await assert.rejects(transport.send([url], notification, longSignal()), (error: unknown) => {
      assert.ok(error instanceof NotificationError);
      assert.match(error.message, /apprise exited with code 1/);
      assert.ok(error.message.includes("sending to bogus://admin:***@example.com/path"), error.message);
      // apprise 1.2.0 prints the URL it cannot parse with its own masking (h...t); ours masks the rest.
      assert.match(error.message, /Unparseable URL bogus:\/\/admin:/);
      assert.ok(!error.message.includes("hunter22secret"), error.message);
      assert.equal(error.retryable, false, "an unparseable URL is not worth retrying");
      return true;
    });
  });

  it("a failing endpoint rejects with apprise's reason and the masked URL", async () => {
    receiver = await startHttpReceiver(() => ({ status: 500, body: "boom" }));
    try {
      const url = `json://bob:pa55word@127.0.0.1:${receiver.port}/x`;
      await assert.rejects(
        new AppriseCliTransport().send([url], notification, longSignal()),
        (error: unknown) => {
          assert.ok(error instanceof NotificationError);
          assert.match(error.message, /exited with code 1/);
          assert.match(error.message, /500/);
          assert.ok(error.message.includes(`json://bob:***@127.0.0.1:${receiver.port}/x`), error.message);
          assert.ok(!error.message.includes("pa55word"), error.message);
          assert.equal(error.retryable, true);
          return true;
        },
      );
      assert.equal(receiver.requests.length, 1);
    } finally {
      await receiver.close();
    }
  });

  it("aborting stops the apprise child (its connection closes) and removes the temp files", async () => {
    receiver = await startHttpReceiver(() => "hold");
    try {
      const controller = new AbortController();
      const transport = new AppriseCliTransport({ tempDir });
      // rto=120: apprise itself would wait 2 minutes for the answer, so only the abort can end it.
      const sending = transport.send(
        [`json://127.0.0.1:${receiver.port}/?rto=120`],
        notification,
        controller.signal,
      );
      const request = await receiver.request(0);
      controller.abort(new Error("test abort"));
      await assert.rejects(sending, /apprise stopped before finishing \(test abort\)/);
      await request.closed;
      assert.deepEqual(await readdir(tempDir), []);
    } finally {
      await receiver.close();
    }
  });

  it("stopped after it delivered (apprise slow to exit, as on a loaded machine): a send, not an error to retry", async () => {
    receiver = await startHttpReceiver();
    // The real apprise, then a pause before the wrapper exits: the delivery is done, the exit is late.
    const slowExit = join(tempDir, "apprise-slow-exit");
    const exited = join(tempDir, "apprise-exited");
    await writeFile(slowExit, `#!/bin/sh\napprise "$@"\ncode=$?\ntouch ${exited}\nsleep 60\nexit $code\n`, {
      mode: 0o700,
    });
    try {
      const transport = new AppriseCliTransport({ command: slowExit, tempDir, killGraceMs: 200 });
      const controller = new AbortController();
      const sending = transport.send([`json://127.0.0.1:${receiver.port}/`], notification, controller.signal);
      await waitFor(() => existsSync(exited), "apprise to deliver and exit (its wrapper sleeps on)");
      controller.abort(new Error("timed out"));
      await sending; // resolves: delivered
      assert.equal(receiver.requests.length, 1);

      // Stopped before delivering to every URL: an error, retried by the notifier.
      const held = await startHttpReceiver(() => "hold");
      try {
        const second = new AbortController();
        const partly = transport.send(
          [`json://127.0.0.1:${receiver.port}/`, `json://127.0.0.1:${held.port}/?rto=120`],
          notification,
          second.signal,
        );
        await held.request(0);
        second.abort(new Error("timed out"));
        await assert.rejects(partly, /apprise stopped before finishing \(timed out\)/);
      } finally {
        await held.close();
      }
    } finally {
      await rm(slowExit, { force: true });
      await rm(exited, { force: true });
      await receiver.close();
    }
  });

  it("tells the delivery as soon as apprise logs it, before apprise exits (the caller marks it at once)", async () => {
    receiver = await startHttpReceiver();
    const slowExit = join(tempDir, "apprise-exits-later");
    const release = join(tempDir, "apprise-may-exit");
    // The real apprise (its log lines pass through), then the wrapper waits until the test lets it exit.
    await writeFile(
      slowExit,
      `#!/bin/sh\napprise "$@"\ncode=$?\nwhile [ ! -e ${release} ]; do sleep 0.05; done\nexit $code\n`,
      { mode: 0o700 },
    );
    try {
      const transport = new AppriseCliTransport({ command: slowExit, tempDir });
      let delivered = false;
      let settled = false;
      const sending = transport
        .send([`json://127.0.0.1:${receiver.port}/`], notification, new AbortController().signal, () => {
          delivered = true;
        })
        .finally(() => {
          settled = true;
        });
      await waitFor(() => delivered, "the delivery told while apprise still runs");
      assert.equal(settled, false, "the send has not settled yet: apprise has not exited");
      assert.equal(receiver.requests.length, 1);
      await writeFile(release, "");
      await sending;
    } finally {
      await rm(slowExit, { force: true });
      await rm(release, { force: true });
      await receiver.close();
    }
  });

  it("a missing apprise command is a clear, non-retryable error", async () => {
    const transport = new AppriseCliTransport({ command: join(tempDir, "no-such-apprise") });
    await assert.rejects(
      transport.send(["json://127.0.0.1:9/"], notification, longSignal()),
      (error: unknown) => {
        assert.ok(error instanceof NotificationError);
        assert.match(error.message, /cannot run .*no-such-apprise: not found/);
        assert.equal(error.retryable, false);
        return true;
      },
    );
  });

  it("refuses an empty URL list (apprise would fall back to its config files)", async () => {
    await assert.rejects(
      new AppriseCliTransport().send([], notification, longSignal()),
      /no Apprise URLs configured/,
    );
  });

  it("verifyUrls accepts loadable URLs and names an unparseable one with its secret masked", async () => {
    const transport = new AppriseCliTransport();
    await transport.verifyUrls(["json://127.0.0.1:9/x", "mailto://127.0.0.1:25?from=a@example.com"]);
    await assert.rejects(
      transport.verifyUrls(["json://127.0.0.1:9/x", "nosuch://user:topsecret1@host"]),
      (error) => {
        assert.ok(error instanceof NotificationError);
        assert.match(error.message, /1 of 2 loaded/);
        assert.match(error.message, /Unparseable URL nosuch:\/\/user:/);
        assert.ok(!error.message.includes("topsecret1"));
        return true;
      },
    );
  });
});

describe("AppriseCliTransport → mailto:// → real SMTP server (aiosmtpd)", { skip: noSmtp }, () => {
  let smtp: SmtpServer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "notify-smtp-test-"));
    smtp = await startSmtpServer(dir);
  });
  after(async () => {
    await smtp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers a mail with the subject, the HTML body with the clip link and the thumbnail attached", async () => {
    const url = `mailto://127.0.0.1:${smtp.port}?from=facetracker@example.com&to=security@example.com`;
    await new AppriseCliTransport().send([url], notification, longSignal());
    const messages = await smtp.messages();
    assert.equal(messages.length, 1);
    const mail = parseMime(messages[0] as string);
    assert.equal(mail.headers.get("subject"), notification.title);
    assert.equal(mail.headers.get("to"), "security@example.com");
    assert.equal(mail.headers.get("from"), "facetracker@example.com");
    assert.match(mail.headers.get("content-type") ?? "", /^multipart\/mixed/);
    const leaves = leafParts(mail);
    const html = leaves.find((p) => p.headers.get("content-type")?.startsWith("text/html"));
    assert.ok(html, "an HTML part (markdown converted by apprise)");
    const htmlText = decodeBody(html).toString("utf8");
    assert.match(htmlText, /<strong>alice<\/strong>/);
    assert.ok(htmlText.includes(`href="${clipUrl}"`), htmlText);
    const image = leaves.find((p) => p.headers.get("content-type")?.startsWith("image/jpeg"));
    assert.ok(image, "the thumbnail part");
    assert.match(
      image.headers.get("content-disposition") ?? "",
      /attachment; filename="alice-cam-1-track7\.jpg"/,
    );
    assert.deepEqual(new Uint8Array(decodeBody(image)), thumbnail);
  });
});
