import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  childPids,
  closedPort,
  httpServer,
  isGone,
  type TestServer,
  tempDir,
  testVideo,
} from "@facetracker/testing/media";
import { MediaError, type MediaErrorCode } from "./errors.ts";
import { type SourceEvent, type VideoFrame, VideoSource } from "./video-source.ts";

let cleanup = async () => {};
/** A 1 s, 25 fps, 320x240 MPEG-TS clip. */
let clip: Buffer = Buffer.alloc(0);
const servers: TestServer[] = [];

before(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  clip = await readFile(await testVideo(join(temp.dir, "clip.ts"), { seconds: 1, extra: ["-f", "mpegts"] }));
});

after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

async function server(handler: Parameters<typeof httpServer>[0]): Promise<TestServer> {
  const created = await httpServer(handler);
  servers.push(created);
  return created;
}

function sendClip(res: ServerResponse, bytes: Uint8Array = clip): void {
  res.writeHead(200, { "content-type": "video/mp2t", "content-length": String(clip.length) });
  res.end(bytes);
}

/** Answers with the clip's headers and first bytes, then sends nothing more. */
function stallAfter(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { "content-type": "video/mp2t", "content-length": String(clip.length) });
  res.write(clip.subarray(0, bytes));
}

function mediaError(code: MediaErrorCode, mention?: string, absent?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MediaError, `not a MediaError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (mention !== undefined)
      assert.ok(error.message.includes(mention), `"${error.message}" lacks ${mention}`);
    if (absent !== undefined)
      assert.ok(!error.message.includes(absent), `"${error.message}" shows ${absent}`);
    return true;
  };
}

describe("VideoSource on network sources", () => {
  it("UNREACHABLE for an RTSP URL on a closed port, password masked, nothing left running", {
    timeout: 30_000,
  }, async () => {
    const url = `rtsp://admin:s3cret@127.0.0.1:${await closedPort()}/stream`;
    await assert.rejects(
      VideoSource.open(url, { timeoutS: 2, reconnect: { maxAttempts: 1 } }),
      mediaError("UNREACHABLE", "rtsp://admin:***@127.0.0.1", "s3cret"),
    );
    assert.deepEqual(await childPids(), []);
  });

  it("UNAUTHORIZED and NOT_FOUND from the HTTP status", async () => {
    const web = await server((req, res) => {
      res.writeHead(req.url === "/private" ? 401 : 404, { "www-authenticate": 'Basic realm="cam"' });
      res.end();
    });
    await assert.rejects(VideoSource.open(`${web.url}/private`, { timeoutS: 2 }), mediaError("UNAUTHORIZED"));
    await assert.rejects(VideoSource.open(`${web.url}/missing`, { timeoutS: 2 }), mediaError("NOT_FOUND"));
  });

  it("reconnects an HTTP stream that ends, keeping indexes and pts increasing", {
    timeout: 60_000,
  }, async () => {
    const web = await server((_req, res) => sendClip(res));
    const events: SourceEvent[] = [];
    const source = await VideoSource.open(`${web.url}/live.ts`, {
      timeoutS: 5,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      onEvent: (event) => events.push(event),
    });
    assert.equal(source.info.kind, "http");
    assert.deepEqual([source.info.width, source.info.height, source.info.fps], [320, 240, 25]);
    const frames: VideoFrame[] = [];
    const pids = new Set<number>();
    for await (const frame of source.frames()) {
      frames.push(frame);
      if (source.pid !== undefined) pids.add(source.pid);
      if (frames.length === 60) break;
    }
    assert.deepEqual(
      frames.map((f) => f.index),
      Array.from({ length: 60 }, (_, i) => i),
    );
    for (let i = 1; i < frames.length; i++) {
      assert.ok((frames[i]?.pts ?? 0) > (frames[i - 1]?.pts ?? 0), `pts of frame ${i} does not increase`);
    }
    // 25 frames per connection: two reconnections for 60 frames, each announced then confirmed.
    assert.deepEqual(
      events.map((e) => e.type),
      ["reconnecting", "reconnected", "reconnecting", "reconnected"],
    );
    assert.deepEqual(events[0], { type: "reconnecting", attempt: 1, delayMs: 20, reason: "stream ended" });
    assert.deepEqual(events[1], { type: "reconnected", attempt: 1 });
    assert.equal(pids.size, 3, "one ffmpeg per connection");
    assert.ok(web.requests >= 4, `${web.requests} requests (probe and 3 connections)`);
    for (const pid of pids) assert.ok(await isGone(pid), `ffmpeg ${pid} still runs`);
  });

  it("reconnects in jpeg output too: whole JPEG images across connections", { timeout: 60_000 }, async () => {
    const web = await server((_req, res) => sendClip(res));
    const events: SourceEvent[] = [];
    const source = await VideoSource.open(`${web.url}/live.ts`, {
      output: "jpeg",
      timeoutS: 5,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      onEvent: (event) => events.push(event),
    });
    const frames: VideoFrame<"jpeg">[] = [];
    const pids = new Set<number>();
    for await (const frame of source.frames()) {
      frames.push(frame);
      if (source.pid !== undefined) pids.add(source.pid);
      if (frames.length === 30) break;
    }
    assert.deepEqual(
      frames.map((f) => f.index),
      Array.from({ length: 30 }, (_, i) => i),
    );
    for (const [i, frame] of frames.entries()) {
      assert.equal(frame.encoding, "jpeg");
      const { data } = frame;
      assert.deepEqual([data[0], data[1], data.at(-2), data.at(-1)], [0xff, 0xd8, 0xff, 0xd9], `frame ${i}`);
      if (i > 0) assert.ok(frame.pts > (frames[i - 1]?.pts ?? 0), `pts of frame ${i} does not increase`);
    }
    assert.deepEqual(
      events.map((e) => e.type),
      ["reconnecting", "reconnected"],
    );
    assert.equal(pids.size, 2, "one ffmpeg per connection");
    for (const pid of pids) assert.ok(await isGone(pid), `ffmpeg ${pid} still runs`);
  });

  it("gives up with UNREACHABLE after maxAttempts failed reconnections", { timeout: 60_000 }, async () => {
    const web = await server((_req, res) => sendClip(res));
    const events: SourceEvent[] = [];
    const source = await VideoSource.open(`${web.url}/live.ts`, {
      timeoutS: 2,
      reconnect: { initialDelayMs: 10, maxDelayMs: 1000, maxAttempts: 2 },
      onEvent: (event) => {
        events.push(event);
        // The camera goes away for good once the stream has ended.
        if (events.length === 1) void web.close();
      },
    });
    let count = 0;
    await assert.rejects(
      async () => {
        for await (const _ of source.frames()) count++;
      },
      mediaError("UNREACHABLE", "2 reconnect attempts failed"),
    );
    assert.equal(count, 25);
    assert.deepEqual(
      events.map((e) => (e.type === "reconnecting" ? [e.attempt, e.delayMs] : e.type)),
      [
        [1, 10],
        [2, 20],
      ],
    );
    assert.match((events[1] as { reason: string }).reason, /connection refused/);
  });

  it("drops a stalled stream after the read timeout and reconnects", { timeout: 60_000 }, async () => {
    // The probe gets the whole clip, each connection then a third of it before the server goes silent.
    const web = await server((_req, res, n) => (n === 1 ? sendClip(res) : stallAfter(res, clip.length / 3)));
    const events: SourceEvent[] = [];
    const source = await VideoSource.open(`${web.url}/live.ts`, {
      timeoutS: 1,
      reconnect: { initialDelayMs: 10 },
      onEvent: (event) => events.push(event),
    });
    let last = -1;
    for await (const frame of source.frames()) {
      assert.equal(frame.index, last + 1);
      last = frame.index;
      if (events.some((e) => e.type === "reconnected")) break;
    }
    assert.equal(events[0]?.type, "reconnecting");
    assert.ok(last > 0);
  });

  it("close() during the reconnect delay ends the iteration at once", { timeout: 60_000 }, async () => {
    const web = await server((_req, res) => sendClip(res));
    const source = await VideoSource.open(`${web.url}/live.ts`, {
      reconnect: { initialDelayMs: 600_000 },
      onEvent: (event) => {
        if (event.type === "reconnecting") void source.close();
      },
    });
    let count = 0;
    for await (const _ of source.frames()) count++;
    assert.equal(count, 25);
    assert.ok(source.closed);
  });

  it("kills ffmpeg when the Node process exits while it waits on the network", {
    timeout: 60_000,
  }, async () => {
    // Probe served, then ffmpeg's connection hangs: only the exit hook can end it (its timeout is 60 s).
    const web = await server((_req, res, n) => (n === 1 ? sendClip(res) : stallAfter(res, 0)));
    const script = `
      const { VideoSource } = await import(process.env.MEDIA_MODULE);
      const source = await VideoSource.open(process.env.SOURCE_URL, { timeoutS: 30 });
      void source.frames().next();
      while (source.pid === undefined) await new Promise((r) => setTimeout(r, 10));
      console.log(source.pid);
      process.exit(0);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        ...process.env,
        MEDIA_MODULE: new URL("./video-source.ts", import.meta.url).href,
        SOURCE_URL: `${web.url}/cam`,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      output += text;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    const pid = Number(output.trim());
    assert.ok(pid > 0, `no pid in ${JSON.stringify(output)}`);
    try {
      // SIGKILL was sent before the Node process ended; give the kernel a moment to deliver it.
      for (let i = 0; i < 100 && !(await isGone(pid)); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(await isGone(pid), "ffmpeg outlived the Node process");
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as expected
      }
    }
  });
});
