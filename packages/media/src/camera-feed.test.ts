import assert from "node:assert/strict";
import { copyFile, readFile, rename } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@facetracker/testing";
import { childPids, closedPort, tempDir, testVideo } from "@facetracker/testing/media";
import { CameraFeed } from "./camera-feed.ts";
import type { CameraHealthSnapshot } from "./camera-health.ts";
import type { VideoFrame } from "./video-source.ts";

let dir = "";
let cleanup = async () => {};
/** A 1 s, 25 fps, 320x240 MP4 clip and the same as MPEG-TS bytes (for HTTP). */
let clipPath = "";
let clipTs: Buffer = Buffer.alloc(0);
/** An 8 s MPEG-TS clip: more than ffmpeg analyses (5 s) before its first frame. */
let longTs: Buffer = Buffer.alloc(0);

before(async () => {
  const temp = await tempDir("ft-camera-feed-");
  dir = temp.dir;
  cleanup = temp.cleanup;
  clipPath = await testVideo(join(dir, "clip.mp4"), { seconds: 1 });
  clipTs = await readFile(await testVideo(join(dir, "clip.ts"), { seconds: 1, extra: ["-f", "mpegts"] }));
  longTs = await readFile(await testVideo(join(dir, "long.ts"), { seconds: 8, extra: ["-f", "mpegts"] }));
});

after(async () => {
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

/** Reads the feed in the background: frames and every status reported. */
function follow(feed: CameraFeed, statuses: CameraHealthSnapshot[]) {
  const frames: VideoFrame<"jpeg">[] = [];
  const done = (async () => {
    for await (const frame of feed.frames()) frames.push(frame);
  })();
  return { frames, done, statuses };
}

function assertContinuous(frames: VideoFrame<"jpeg">[]): void {
  for (const [i, frame] of frames.entries()) {
    assert.equal(frame.index, i, `index of frame ${i}`);
    if (i > 0) assert.ok(frame.pts > (frames[i - 1]?.pts ?? 0), `pts of frame ${i} does not increase`);
  }
}

/** A plain HTTP server on `port` serving the MPEG-TS clip to every request (each one ends with the clip). */
async function serveClipOn(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "video/mp2t", "content-length": String(clipTs.length) });
    res.end(clipTs);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

describe("CameraFeed (a camera that heals; real ffmpeg)", () => {
  it("a looped file deleted then restored: reconnecting with the error, then up again, frames continuous", {
    timeout: 120_000,
  }, async () => {
    const camera = join(dir, "lobby.mp4");
    await copyFile(clipPath, camera);
    const statuses: CameraHealthSnapshot[] = [];
    const feed = new CameraFeed(camera, {
      loop: true,
      backoff: { initialMs: 100, maxMs: 400 },
      onStatus: (s) => statuses.push(s),
    });
    const run = follow(feed, statuses);
    try {
      await waitFor(() => run.frames.length > 5, "the first frames");
      await rename(camera, `${camera}.away`);
      const down = await waitFor(
        () => statuses.find((s) => s.state === "reconnecting" && s.reconnects >= 2),
        "the camera reconnecting, twice",
        60_000,
      );
      assert.match(down.lastError, /video file .*lobby\.mp4 not found/);
      const framesWhileDown = run.frames.length;
      await rename(`${camera}.away`, camera);
      await waitFor(
        () => statuses.at(-1)?.state === "up" && run.frames.length > framesWhileDown + 5,
        "frames again after the file came back",
        60_000,
      );
    } finally {
      await feed.close();
      await run.done;
    }
    assertContinuous(run.frames);
    const states = statuses.map((s) => s.state);
    assert.equal(states[0], "up");
    assert.equal(states.at(-1), "up");
    assert.ok(states.includes("reconnecting"));
    const up = statuses.at(-1) as CameraHealthSnapshot;
    assert.equal(up.failures, 0, "the backoff starts again once up");
    assert.ok(up.reconnects >= 2);
  });

  it("an HTTP camera that nobody serves at start is retried until it appears; a stalled one is dropped and retried", {
    timeout: 120_000,
  }, async () => {
    const port = await closedPort();
    const statuses: CameraHealthSnapshot[] = [];
    const feed = new CameraFeed(`http://user:s3cret@127.0.0.1:${port}/cam.ts`, {
      backoff: { initialMs: 100, maxMs: 300 },
      timeoutS: 2,
      onStatus: (s) => statuses.push(s),
    });
    const run = follow(feed, statuses);
    let server: Server | undefined;
    try {
      const refused = await waitFor(
        () => statuses.find((s) => s.state === "reconnecting" && s.reconnects >= 3),
        "three attempts on a closed port",
      );
      assert.match(refused.lastError, /connection refused/);
      assert.match(refused.lastError, /user:\*\*\*@/);
      assert.doesNotMatch(refused.lastError, /s3cret/);
      assert.equal(run.frames.length, 0);
      server = await serveClipOn(port);
      await waitFor(() => run.frames.length >= 30, "frames once the camera is served", 60_000);
      assert.ok(statuses.some((s) => s.state === "up"));
    } finally {
      await feed.close();
      await run.done;
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    assertContinuous(run.frames);
  });

  it("a source that stops sending is stalled: reconnecting with 'no frame for …', then up again", {
    timeout: 120_000,
  }, async () => {
    // Each opening is a probe (ffprobe: the whole clip) then a connection (ffmpeg) that gets 6 s of the
    // 8 s clip, then silence with the connection open.
    let requests = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp2t" });
      if (++requests % 2 === 1) res.end(longTs);
      else res.write(longTs.subarray(0, Math.floor(longTs.length * 0.75)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const statuses: CameraHealthSnapshot[] = [];
    const feed = new CameraFeed(`http://127.0.0.1:${port}/cam.ts`, {
      backoff: { initialMs: 100, maxMs: 100 },
      stallTimeoutMs: 1500,
      timeoutS: 60,
      onStatus: (s) => statuses.push(s),
    });
    const run = follow(feed, statuses);
    try {
      const stalled = await waitFor(
        () => statuses.find((s) => s.state === "reconnecting"),
        "the stall noticed",
        60_000,
      );
      assert.equal(stalled.lastError, "no frame for 1.5 s");
      await waitFor(
        () => statuses.filter((s) => s.state === "up").length >= 2,
        "up again after the stall",
        60_000,
      );
    } finally {
      await feed.close();
      await run.done;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    assertContinuous(run.frames);
  });

  it("a file read once ends; a missing one fails at once (a finite job, not a camera)", async () => {
    const statuses: CameraHealthSnapshot[] = [];
    const once = follow(new CameraFeed(clipPath, { onStatus: (s) => statuses.push(s) }), statuses);
    await once.done;
    assert.equal(once.frames.length, 25);
    assert.deepEqual(
      statuses.map((s) => s.state),
      ["up", "ended"],
    );
    const missing: CameraHealthSnapshot[] = [];
    const gone = follow(
      new CameraFeed(join(dir, "missing.mp4"), { onStatus: (s) => missing.push(s) }),
      missing,
    );
    await gone.done;
    assert.deepEqual(
      missing.map((s) => s.state),
      ["failed"],
    );
    assert.match(missing[0]?.lastError ?? "", /missing\.mp4/);
  });
});
