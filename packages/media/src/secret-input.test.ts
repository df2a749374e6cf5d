import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { childPids, httpServer, type TestServer, tempDir, testVideo } from "@facetracker/testing/media";
import { MediaError } from "./errors.ts";
import { probeVideo } from "./probe.ts";
import { hasSecretUrl, SecretInputFile, secretInputScript } from "./secret-input.ts";
import { parseVideoSource } from "./source-spec.ts";
import { VideoSource } from "./video-source.ts";

const PASSWORD = "pa55-Secret-7q";
let cleanup = async () => {};
let clip: Buffer = Buffer.alloc(0);
let web: TestServer | undefined;
/** Command lines (/proc/PID/cmdline) seen holding the password while ffmpeg or ffprobe was connected. */
const leaks: string[] = [];
let authenticated = 0;

/** Every process's command line, read the way `ps -eo args` does. */
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

before(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  clip = await readFile(await testVideo(join(temp.dir, "clip.ts"), { seconds: 1, extra: ["-f", "mpegts"] }));
  web = await httpServer((req, res) => {
    const expected = `Basic ${Buffer.from(`viewer:${PASSWORD}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="cam"' }).end();
      return;
    }
    authenticated++;
    // ffmpeg or ffprobe is connected right now: sample every command line.
    leaks.push(...commandLines().filter((line) => line.includes(PASSWORD)));
    res.writeHead(200, { "content-type": "video/mp2t" }).end(clip);
  });
});

after(async () => {
  await web?.close();
  await cleanup();
  assert.deepEqual(await childPids(), [], "child processes left behind");
});

describe("sources with credentials (real ffmpeg and ffprobe, local HTTP camera with Basic auth)", () => {
  it("probe and decode with the password off every command line, the script removed afterwards", async () => {
    const port = new URL(web?.url ?? "").port;
    const url = `http://viewer:${PASSWORD}@127.0.0.1:${port}/live.ts`;
    const probe = await probeVideo(url, { timeoutS: 5 });
    assert.equal(probe.width, 320);
    const source = await VideoSource.open(url, { timeoutS: 5, reconnect: { maxAttempts: 0 } });
    let frames = 0;
    for await (const _frame of source.frames()) if (++frames === 5) break;
    await source.close();
    assert.equal(frames, 5);
    assert.ok(authenticated >= 2, `the camera saw ${authenticated} authenticated requests`);
    assert.deepEqual(leaks, [], "a command line showed the camera password");
  });

  it("a wrong password is still UNAUTHORIZED, named without the password", async () => {
    const port = new URL(web?.url ?? "").port;
    const url = `http://viewer:wrong-Pass-99@127.0.0.1:${port}/live.ts`;
    await assert.rejects(probeVideo(url, { timeoutS: 5 }), (error: unknown) => {
      assert.ok(error instanceof MediaError);
      assert.equal(error.code, "UNAUTHORIZED", error.message);
      assert.ok(!error.message.includes("wrong-Pass-99"), error.message);
      return true;
    });
  });
});

describe("SecretInputFile", () => {
  it("only URLs with user info or a query string go through a script", () => {
    assert.equal(hasSecretUrl(parseVideoSource("rtsp://u:p@cam/x")), true);
    assert.equal(hasSecretUrl(parseVideoSource("http://cam/snap?token=abc")), true);
    assert.equal(hasSecretUrl(parseVideoSource("rtsp://cam/x")), false);
    assert.equal(hasSecretUrl(parseVideoSource("/videos/a@b.mp4")), false);
  });

  it("writes a 0600 ffconcat script in a 0700 directory, quotes the URL, and removes both", async () => {
    const source = parseVideoSource("rtsp://u:it's@cam/x");
    const options = { rtspTransport: "tcp", timeoutS: 2 } as const;
    assert.equal(
      secretInputScript(source, options),
      "ffconcat version 1.0\nfile 'rtsp://u:it'\\''s@cam/x'\noption rtsp_transport 'tcp'\noption timeout '2000000'\n",
    );
    const file = await SecretInputFile.create(source, options);
    assert.equal((await stat(file.path)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(file.path))).mode & 0o777, 0o700);
    await file.remove();
    await assert.rejects(stat(dirname(file.path)), { code: "ENOENT" });
    assert.throws(() => secretInputScript(parseVideoSource("rtsp://u:p@cam/x\nfile '/etc/passwd'"), options));
  });
});
