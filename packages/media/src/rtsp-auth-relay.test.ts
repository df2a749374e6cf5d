import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { waitFor } from "@facetracker/testing";
import { closedPort, probeFrames, type RtspGate, startRtspGate, tempDir } from "@facetracker/testing/media";
import { LivePublisher } from "./live-publisher.ts";
import { RtspAuthRelay } from "./rtsp-auth-relay.ts";

// A publisher with credentials (real ffmpeg) through the relay and a gate that wants them (401 otherwise,
// as MediaMTX) to ffmpeg receiving in RTSP listen mode, over TCP interleaving. The password must reach
// the server in every request and never ffmpeg's command line nor the publisher's log.

const SECRET = "relay-Secret-7q";
const WIDTH = 64;
const HEIGHT = 48;

/** ffmpeg receiving `frames` frames published to rtsp://127.0.0.1:<port>/live/door into `out`. */
function receiver(
  port: number,
  out: string,
  frames: number,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    "ffmpeg",
    [
      ...["-v", "error", "-rtsp_flags", "listen", "-rtsp_transport", "tcp"],
      ...["-i", `rtsp://127.0.0.1:${port}/live/door`, "-frames:v", String(frames), "-c", "copy", "-y", out],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.resume();
  return { child, exited: new Promise((resolve) => child.once("exit", resolve)) };
}

const tcpListening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    resolve(
      readFileSync("/proc/net/tcp", "utf8")
        .split("\n")
        .some((line) => {
          const [, local, , state] = line.trim().split(/\s+/);
          return local?.endsWith(`:${hex}`) && state === "0A";
        }),
    );
  });

interface Logged {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A publisher to `url` with `pass`; frames written until `until` resolves. */
function publish(url: string, pass: string, transport: "tcp" | "udp" = "tcp") {
  const logs: Logged[] = [];
  const publisher = new LivePublisher({
    destination: { mode: "WEB", url, rtspTransport: transport, credentials: { user: "restream", pass } },
    fps: 10,
    retry: { initialMs: 100, maxMs: 400 },
    writeTimeoutMs: 5000,
    idleStopMs: 60_000,
    logger: {
      info: (msg, fields) => logs.push({ level: "info", msg, ...(fields ? { fields } : {}) }),
      warn: (msg, fields) => logs.push({ level: "warn", msg, ...(fields ? { fields } : {}) }),
    },
  });
  let stopped = false;
  const frame = { width: WIDTH, height: HEIGHT, data: new Uint8Array(WIDTH * HEIGHT * 3).fill(90) };
  const cmdlines = new Set<string>();
  const writing = (async () => {
    while (!stopped) {
      await publisher.write(frame);
      const pid = publisher.pid;
      if (pid) {
        try {
          cmdlines.add(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
        } catch {
          // ended meanwhile
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    publisher,
    logs,
    cmdlines,
    async stop() {
      stopped = true;
      await writing;
      await publisher.stop();
    },
  };
}

describe("RtspAuthRelay: credentials off ffmpeg's command line (real ffmpeg on both ends)", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("publishes through a server that wants Basic credentials: every request carries them, ffmpeg's command line does not", async () => {
    const { dir, cleanup: removeDir } = await tempDir("ft-relay-");
    cleanup.push(removeDir);
    const serverPort = await closedPort();
    const out = path.join(dir, "received.mkv");
    const received = receiver(serverPort, out, 10);
    cleanup.push(async () => received.child.kill("SIGKILL"));
    await waitFor(() => tcpListening(serverPort), "the receiver to listen");
    const gate: RtspGate = await startRtspGate(serverPort, { user: "restream", pass: SECRET });
    cleanup.push(() => gate.close());

    const run = publish(`rtsp://127.0.0.1:${gate.port}/live/door`, SECRET);
    try {
      assert.equal(await received.exited, 0, `the receiver got 10 frames: ${JSON.stringify(run.logs)}`);
    } finally {
      await run.stop();
    }
    const info = await probeFrames(out);
    assert.equal(info.codec, "h264");
    assert.equal(info.width, WIDTH);

    assert.deepEqual(gate.refused, [], "no request went without the credentials");
    const methods = gate.requests.map((r) => r.split(" ")[0]);
    for (const method of ["ANNOUNCE", "SETUP", "RECORD"]) assert.ok(methods.includes(method), methods.join());
    for (const request of gate.requests) {
      const uri = request.split(" ")[1] ?? "";
      assert.ok(
        uri === "*" || uri.startsWith(`rtsp://127.0.0.1:${gate.port}/live/door`),
        `the server's own address in ${request.split("\r\n")[0]}`,
      );
    }
    assert.ok(run.cmdlines.size > 0, "ffmpeg's command line was read");
    for (const line of run.cmdlines) {
      assert.ok(!line.includes(SECRET), `no password on ffmpeg's command line: ${line}`);
      assert.match(line, /rtsp:\/\/127\.0\.0\.1:\d+\/live\/door/);
      assert.ok(!line.includes(`:${gate.port}/`), "ffmpeg talks to the relay, not to the server");
    }
  });

  it("a wrong password: the server's 401 ends ffmpeg, which is restarted, and the log says why without the password", async () => {
    const serverPort = await closedPort();
    const gate = await startRtspGate(serverPort, { user: "restream", pass: SECRET });
    cleanup.push(() => gate.close());
    const run = publish(`rtsp://127.0.0.1:${gate.port}/live/door`, "not-the-password-3x");
    try {
      await waitFor(
        () => run.logs.filter((l) => l.msg === "publisher ended: restarting").length >= 2,
        "two restarts",
        20_000,
      );
    } finally {
      await run.stop();
    }
    assert.ok(gate.refused.length >= 2);
    const problems = run.logs
      .filter((l) => l.msg === "publisher ended: restarting")
      .map((l) => l.fields?.problem);
    assert.match(String(problems[0]), /refused the credentials: 401 Unauthorized/, String(problems[0]));
    const text = JSON.stringify(run.logs);
    assert.ok(!text.includes("not-the-password-3x") && !text.includes(SECRET), "no password in the log");
  });

  it("refuses credentials over UDP (RTP would go to the relay), and takes one connection only", async () => {
    const run = publish("rtsp://127.0.0.1:9/live/door", SECRET, "udp");
    try {
      await waitFor(() => run.logs.some((l) => l.msg === "publisher ended: restarting"), "the refusal");
    } finally {
      await run.stop();
    }
    const problem = String(run.logs.find((l) => l.msg === "publisher ended: restarting")?.fields?.problem);
    assert.match(problem, /needs RTP over TCP/);

    const serverPort = await closedPort();
    const gate = await startRtspGate(serverPort);
    cleanup.push(() => gate.close());
    const relay = await RtspAuthRelay.open(`rtsp://127.0.0.1:${gate.port}/x`, { user: "u", pass: "p" });
    cleanup.push(() => relay.close());
    const port = Number(new URL(relay.url).port);
    const first = connect(port, "127.0.0.1");
    await new Promise((resolve) => first.once("connect", resolve));
    const second = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("error", () => resolve("refused"));
      socket.once("close", () => resolve("closed"));
    });
    assert.ok(["refused", "closed"].includes(second), "a second connection gets nothing");
    first.destroy();
  });
});
