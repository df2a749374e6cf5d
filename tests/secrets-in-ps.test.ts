/**
 * Issue 13, no secrets on command lines: while a camera with user:password streams (real rtsp-server-perl,
 * ffprobe and ffmpeg through VideoSource, as ingest opens it) and an alert goes out through the apprise
 * command to a json:// receiver whose URL holds a password, every process's command line (/proc/PID/cmdline,
 * what `ps -eo args` shows) is sampled: none holds either password.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { VideoSource } from "@facetracker/media";
import { AppriseCliTransport } from "@facetracker/notify";
import { waitFor } from "@facetracker/testing";
import { appriseMissing, type HttpReceiver, startHttpReceiver } from "@facetracker/testing/notify";
import { type RtspCamera, startRtspCamera } from "./helpers/rtsp-camera.ts";

const RTSP_PASSWORD = "rtsp-Secret-41x";
const APPRISE_PASSWORD = "apprise-Secret-42y";

/** Every process's command line, as `ps -eo args` shows it. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim());
    } catch {
      // the process has ended
    }
  }
  return lines;
}

describe("no secrets in the process list (rtsp-server-perl, ffprobe, ffmpeg, apprise)", {
  skip: appriseMissing(),
}, () => {
  let camera: RtspCamera | undefined;
  let receiver: HttpReceiver | undefined;
  let source: VideoSource | undefined;
  after(async () => {
    await source?.close();
    await receiver?.close();
    await camera?.close();
  });

  it("an RTSP camera's password and an Apprise URL's password never show on a command line", async () => {
    const seen = new Set<string>();
    const sample = () => {
      for (const line of commandLines()) seen.add(line);
    };
    // Samples all along (ffprobe's run is short), and at the moments ffmpeg and apprise are known to run.
    const sampler = setInterval(sample, 5);
    try {
      camera = await startRtspCamera("door");
      const url = camera.viewerUrl(`viewer:${RTSP_PASSWORD}@`);
      source = await waitFor(
        () =>
          VideoSource.open(url, { rtspTransport: "udp", timeoutS: 5, reconnect: { maxAttempts: 0 } }).catch(
            () => undefined,
          ),
        "the RTSP camera to stream",
        30_000,
        200,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${camera?.output}`);
      });
      receiver = await startHttpReceiver(() => {
        sample(); // apprise is connected to the receiver: it runs now
        return { status: 200, body: "ok" };
      });
      const appriseUrl = `json://alerts:${APPRISE_PASSWORD}@127.0.0.1:${receiver.port}/hooks/a`;
      let frames = 0;
      for await (const _frame of source.frames()) {
        sample(); // a frame came: ffmpeg runs now
        if (++frames === 3) {
          await new AppriseCliTransport().send(
            [appriseUrl],
            { title: "FaceTracker: alice on door", body: "alice", format: "text", attachments: [] },
            AbortSignal.timeout(60_000),
          );
        }
        if (frames === 6) break;
      }
      const request = await receiver.request(0);
      assert.equal(
        request.headers.authorization,
        `Basic ${Buffer.from(`alerts:${APPRISE_PASSWORD}`).toString("base64")}`,
        "apprise used the URL's password",
      );
    } finally {
      clearInterval(sampler);
    }
    const lines = [...seen];
    assert.ok(
      lines.some((line) => /\bffmpeg\b.*source\.ffconcat/.test(line)),
      "the sampling saw ffmpeg reading the camera",
    );
    assert.ok(
      lines.some((line) => /\bapprise\b/.test(line)),
      "the sampling saw apprise",
    );
    const leaks = lines.filter((line) => line.includes(RTSP_PASSWORD) || line.includes(APPRISE_PASSWORD));
    assert.deepEqual(leaks, [], "command lines holding a password");
  });
});
