import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type Bus, connectBus, openCameraRegistry, publishMessage, subject } from "@facetracker/bus";
import { loadConfig, parseConfig } from "@facetracker/config";
import { ffplayArgs, rtspPublishArgs } from "@facetracker/media";
import { liveTargetOf } from "@facetracker/pipeline";
import { Frame, FrameEncoding, TrackSnapshot, TrackStateKind } from "@facetracker/proto";
import { freeLocalPort } from "@facetracker/service-host";
import { type RestreamOptions, startRestreamService } from "@facetracker/service-restream";
import { waitFor } from "@facetracker/testing";
import { type NatsTestServer, startNatsServer } from "@facetracker/testing/bus";
import { startRtspGate } from "@facetracker/testing/media";
import { FACE_COLORS } from "@facetracker/vision";
import sharp from "sharp";
import { type RunningPipeline, startPipeline } from "./helpers/pipeline-harness.ts";

// The restream service against a real nats-server, a real RTSP server and ffmpeg. Generated cameras
// (320×240 at 10 fps: a square moving in the lower left, and a tracked "face" box that stays put, named
// Alice) are published on ft.frames.<cam> / ft.snapshots.<cam> in real time, each snapshot a little after
// its frame. The annotated stream must be readable back over RTSP (H.264, 320×240, frames flowing, the box
// drawn in the "known" colour), come back after the RTSP server was killed and started again, and a camera
// added / removed in the registry at run time must get / lose its restream.
//
// The RTSP server is Debian's rtsp-server-perl: it takes publishers (ANNOUNCE/RECORD) on one port and
// viewers on another, and carries RTP over UDP only, so the service publishes with rtsp_transport udp here
// (MediaMTX, its production peer, takes TCP, the default).

const run = promisify(execFile);
const WIDTH = 320;
const HEIGHT = 240;
const FPS = 10;
/** The tracked face's box (x1, y1, x2, y2), the same on every frame. */
const FACE: [number, number, number, number] = [200, 60, 280, 150];
/** How long after its frame a snapshot is published (detection and tracking latency). */
const SNAPSHOT_LAG_MS = 60;
const OPTIONS: RestreamOptions = { rtspTransport: "udp", retry: { initialMs: 200, maxMs: 1000 } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function renderFrame(seq: number): Promise<Buffer> {
  const x = 10 + ((seq * 7) % 120);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">` +
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#808080"/>` +
    `<rect x="${x}" y="160" width="50" height="50" fill="#1d3557"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

/** Publishes frames and their snapshots for the cameras in `cameras`, 10 a second, until stopped. */
function startCameras(bus: Bus, cameras: Set<string>): { stop(): Promise<void> } {
  let stopped = false;
  let seq = 0;
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.catch(() => {}).finally(() => pending.delete(p));
  };
  const loop = (async () => {
    while (!stopped) {
      seq++;
      const data = await renderFrame(seq);
      const capturedAtMs = Date.now();
      for (const camera of cameras) {
        const frame = { camera, seq, pts: seq / FPS, capturedAtMs, width: WIDTH, height: HEIGHT };
        track(
          publishMessage(bus.js, subject("frames", camera), Frame, {
            ...frame,
            encoding: FrameEncoding.JPEG,
            data,
          }),
        );
        const snapshot = {
          camera,
          seq,
          pts: frame.pts,
          timeMs: capturedAtMs,
          width: WIDTH,
          height: HEIGHT,
          tracks: [
            {
              trackId: 7,
              state: TrackStateKind.CONFIRMED,
              box: { x1: FACE[0], y1: FACE[1], x2: FACE[2], y2: FACE[3] },
              identity: { id: "alice", name: "Alice", attributes: {}, similarity: 0.8 },
              embedded: false,
              identifying: false,
              undetermined: false,
            },
          ],
        };
        track(
          sleep(SNAPSHOT_LAG_MS).then(() =>
            publishMessage(bus.js, subject("snapshots", camera), TrackSnapshot, snapshot),
          ),
        );
      }
      await sleep(Math.max(0, capturedAtMs + 1000 / FPS - Date.now()));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.allSettled([...pending]);
    },
  };
}

/** A UDP port range that is free now (the RTSP server takes RTP ports from it, two per stream). */
async function freeUdpRange(count: number): Promise<number> {
  for (;;) {
    const base = 30_000 + 2 * Math.floor(Math.random() * 10_000);
    const sockets = [];
    try {
      for (let port = base; port < base + count; port++) {
        const socket = createSocket("udp4");
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once("error", reject);
          socket.bind(port, "127.0.0.1", resolve);
        });
      }
      return base;
    } catch {
      // taken: try another range
    } finally {
      for (const socket of sockets) socket.close();
    }
  }
}

/** Whether a socket listens on TCP `port` (from /proc/net/tcp, without connecting to it). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .some((line) => {
      const [, local, , state] = line.trim().split(/\s+/);
      return local?.endsWith(`:${hex}`) && state === "0A";
    });
}

async function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Debian's RTSP::Server (rtsp-server-perl): publishers on `sourcePort`, viewers on `clientPort`, RTP from `rtpPort` on. */
class RtspServer {
  readonly sourcePort: number;
  readonly clientPort: number;
  readonly rtpPort: number;
  /** What the server wrote on stderr (its errors), for failure messages. */
  output = "";
  #child: ChildProcess | undefined;

  constructor(sourcePort: number, clientPort: number, rtpPort: number) {
    this.sourcePort = sourcePort;
    this.clientPort = clientPort;
    this.rtpPort = rtpPort;
  }

  async start(): Promise<void> {
    // The packaged rtsp-server-perl script, except that the RTP port base is set where the server falls back
    // to it too: it resets its --rtp_start_port to $RTSP::Server::RTP_START_PORT (20000) whenever a
    // connection ends with nothing mounted, which would make parallel test runs share ports.
    const script = [
      "$RTSP::Server::RTP_START_PORT = $ENV{RTP_START_PORT};",
      "RTSP::Server->new_with_options->listen;",
      "AnyEvent->condvar->recv;",
    ].join(" ");
    const child = spawn(
      "perl",
      [
        "-MAnyEvent",
        "-MRTSP::Server",
        "-e",
        script,
        "--",
        "--serverport",
        String(this.sourcePort),
        "--clientport",
        String(this.clientPort),
        "--source_listen_address",
        "127.0.0.1",
        "--client_listen_address",
        "127.0.0.1",
        "--rtp_start_port",
        String(this.rtpPort),
      ],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, RTP_START_PORT: String(this.rtpPort) } },
    );
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      this.output += text;
    });
    this.#child = child;
    process.once("exit", () => child.kill("SIGKILL")); // never left behind, even by a failed run
    await waitFor(
      async () =>
        child.exitCode === null && (await tcpAccepts(this.sourcePort)) && tcpAccepts(this.clientPort),
      "the RTSP server to listen",
      10_000,
      50,
    );
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  viewerUrl(path: string): string {
    return `rtsp://127.0.0.1:${this.clientPort}/${path}`;
  }
}

interface StreamInfo {
  codec: string;
  width: number;
  height: number;
}

async function probeRtsp(url: string): Promise<StreamInfo | undefined> {
  try {
    const { stdout } = await run(
      "ffprobe",
      [
        "-v",
        "error",
        "-rtsp_transport",
        "udp",
        "-analyzeduration",
        "500000",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=codec_name,width,height",
        "-of",
        "json",
        url,
      ],
      { timeout: 8000 },
    );
    const stream = (
      JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }
    ).streams[0];
    return stream && { codec: stream.codec_name, width: stream.width, height: stream.height };
  } catch {
    return undefined; // not (yet) published
  }
}

/** `count` decoded frames of the stream, RGB24. */
async function grabFrames(url: string, count: number): Promise<Buffer[]> {
  const { stdout } = await run(
    "ffmpeg",
    [
      "-v",
      "error",
      "-rtsp_transport",
      "udp",
      "-analyzeduration",
      "500000",
      "-i",
      url,
      "-frames:v",
      String(count),
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "pipe:1",
    ],
    { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: 15_000 },
  );
  const size = WIDTH * HEIGHT * 3;
  assert.equal(stdout.length, size * count, `${count} frames of ${WIDTH}x${HEIGHT} read back`);
  return Array.from({ length: count }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

/** Share of the pixels along the box's edges (±1 px) that have the colour `hex` (within `tolerance`). */
function edgeShare(
  image: Buffer,
  box: [number, number, number, number],
  hex: string,
  tolerance = 45,
): number {
  const want = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  const [x1, y1, x2, y2] = box;
  const points: [number, number][] = [];
  for (let x = x1 + 4; x < x2 - 4; x++) points.push([x, y1], [x, y2 - 1]);
  for (let y = y1 + 4; y < y2 - 4; y++) points.push([x1, y], [x2 - 1, y]);
  let hits = 0;
  for (const [x, y] of points) {
    const near = [-1, 0, 1].some((d) => {
      const [px, py] = y === y1 || y === y2 - 1 ? [x, y + d] : [x + d, y];
      const i = (py * WIDTH + px) * 3;
      return want.every((c, k) => Math.abs((image[i + k] as number) - c) <= tolerance);
    });
    if (near) hits++;
  }
  return hits / points.length;
}

async function counter(
  pipeline: RunningPipeline,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const registry = pipeline.metrics.get("restream")?.registry;
  const metric = (await registry?.getMetricsAsJSON())?.find((m) => m.name === `facetracker_restream_${name}`);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A child process of this one started as `command`. */
function childPid(command: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] === command) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("restream service (real nats-server, rtsp-server-perl, ffmpeg)", () => {
  let nats: NatsTestServer;
  let rtsp: RtspServer;
  let bus: Bus;
  let pipeline: RunningPipeline;
  let cameras: { stop(): Promise<void> };
  const live = new Set(["cam1"]);

  /** Probes `url` until it reads; the failure says what the RTSP server and the service logged. */
  const readable = (url: string, what: string) =>
    waitFor(() => probeRtsp(url), what, 20_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}\nRTSP server: ${rtsp.output}\nrestream: ${pipeline.logs.join("")}`);
    });

  before(async () => {
    // LOCAL mode shows an ffplay window: no display here, so SDL's dummy video driver (inherited by ffplay).
    process.env.SDL_VIDEODRIVER = "dummy";
    process.env.SDL_AUDIODRIVER = "dummy";
    nats = await startNatsServer();
    rtsp = new RtspServer(await freeLocalPort(), await freeLocalPort(), await freeUdpRange(64));
    await rtsp.start();
    const config = parseConfig({
      cameras: [
        { id: "cam1", url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: "live/cam1" } },
        { id: "quiet", url: "/dev/null" },
      ],
      live_stream: { rtsp_server: `rtsp://127.0.0.1:${rtsp.sourcePort}`, max_fps: 15 },
    });
    pipeline = await startPipeline(nats.url, config, [
      ["restream", (deps) => startRestreamService(deps, OPTIONS)],
    ]);
    bus = await connectBus({ servers: [nats.url], name: "test-cameras" });
    cameras = startCameras(bus, live);
  });

  after(async () => {
    await cameras?.stop();
    await pipeline?.stop();
    await bus?.close();
    await rtsp?.kill();
    await nats?.stop();
  });

  it("publishes cam1 annotated, as H.264 320×240, at <rtsp_server>/<rtsp_url>; mode NONE cameras are not restreamed", async () => {
    const url = rtsp.viewerUrl("live/cam1");
    const info = await readable(url, "the stream to be readable over RTSP");
    assert.deepEqual(info, { codec: "h264", width: WIDTH, height: HEIGHT });

    const frames = await grabFrames(url, 8);
    const first = frames[0] as Buffer;
    const last = frames.at(-1) as Buffer;
    assert.notDeepEqual(first, last, "frames keep flowing: the square moved");
    const green = edgeShare(last, FACE, FACE_COLORS.known);
    assert.ok(
      green > 0.8,
      `the face box is drawn in the known colour (${(green * 100).toFixed(0)}% of its edge)`,
    );
    const away = edgeShare(last, [20, 20, 100, 100], FACE_COLORS.known);
    assert.ok(away < 0.05, `no box where there is no face (${(away * 100).toFixed(0)}%)`);

    assert.ok((await counter(pipeline, "frames_out_total", { camera: "cam1" })) > 8);
    assert.ok((await counter(pipeline, "pairings_total", { camera: "cam1", pairing: "exact" })) > 0);
    const readiness = pipeline.services.get("restream")?.readiness() ?? {};
    assert.equal(readiness["camera cam1"], true);
    assert.equal("camera quiet" in readiness, false, "mode NONE (the default): no restream");
  });

  it("publishing comes back after the RTSP server was killed and started again", async () => {
    const url = rtsp.viewerUrl("live/cam1");
    const restartsBefore = await counter(pipeline, "restarts_total", { camera: "cam1" });
    await rtsp.kill();
    await waitFor(
      async () => (await counter(pipeline, "restarts_total", { camera: "cam1" })) > restartsBefore,
      "the publisher to notice the server is gone",
      15_000,
      100,
    );
    await waitFor(
      () => typeof pipeline.services.get("restream")?.readiness()["camera cam1"] === "string",
      "/healthz to say the stream is down",
      10_000,
      50,
    );
    await sleep(1500); // a few failed restarts while the server is down
    await rtsp.start();
    const info = await readable(url, "the stream to come back");
    assert.deepEqual(info, { codec: "h264", width: WIDTH, height: HEIGHT });
    const [a, b] = await grabFrames(url, 2);
    assert.ok(a && b);
    assert.ok(
      pipeline.logs.some((line) => line.includes("publisher ended: restarting")),
      "the restarts are logged",
    );
    assert.ok((await counter(pipeline, "restarts_total", { camera: "cam1" })) > restartsBefore);
  });

  it("LOCAL mode, headless (SDL dummy driver; no window can be shown here): a camera added at run time gets an ffplay fed annotated frames, which ends when the camera is removed", async () => {
    const registry = await openCameraRegistry(bus.js);
    await registry.put({
      id: "cam2",
      url: "/dev/null",
      enabled: true,
      alertMode: "",
      liveMode: "LOCAL",
      loop: false,
    });
    live.add("cam2");
    const service = pipeline.services.get("restream");
    await waitFor(
      async () => (await counter(pipeline, "frames_out_total", { camera: "cam2" })) >= 15,
      "frames to reach ffplay",
      15_000,
      100,
    );
    assert.equal(
      await counter(pipeline, "restarts_total", { camera: "cam2" }),
      0,
      "ffplay took its arguments",
    );
    assert.equal(service?.readiness()["camera cam2"], true);
    const ffplay = await waitFor(() => childPid("ffplay"), "the ffplay child", 5_000);
    const cmdline = readFileSync(`/proc/${ffplay}/cmdline`, "utf8").split("\0").filter(Boolean);
    assert.deepEqual(
      cmdline.slice(1),
      ffplayArgs("FaceTracker: cam2", { width: WIDTH, height: HEIGHT, fps: 15 }),
    );

    await registry.remove("cam2");
    await waitFor(() => !("camera cam2" in (service?.readiness() ?? {})), "cam2's restream to stop", 10_000);
    await waitFor(() => !alive(ffplay), "ffplay to end", 5_000);
    live.delete("cam2");
  });
});

describe("restream over RTSP/TCP, the default transport (real nats-server, ffmpeg as the RTSP receiver)", () => {
  // rtsp-server-perl carries video over UDP only; ffmpeg's listen mode accepts a publisher over TCP.
  it("publishes H.264 over TCP interleaving to an RTSP server that accepts a publisher", async () => {
    const nats = await startNatsServer();
    const port = await freeLocalPort();
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-restream-tcp-"));
    const out = path.join(dir, "received.mkv");
    const receiver = spawn(
      "ffmpeg",
      [
        "-v",
        "error",
        "-rtsp_flags",
        "listen",
        "-rtsp_transport",
        "tcp",
        "-i",
        `rtsp://127.0.0.1:${port}/live/tcp`,
      ].concat(["-frames:v", "10", "-c", "copy", "-y", out]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let receiverErr = "";
    receiver.stderr?.on("data", (d) => {
      receiverErr += d;
    });
    const received = new Promise<number | null>((resolve) => receiver.once("exit", resolve));
    // Not by connecting: ffmpeg's listen mode takes the first connection as the publisher.
    await waitFor(() => listening(port), "ffmpeg to listen for the publisher");
    const config = parseConfig({
      cameras: [{ id: "camtcp", url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: "live/tcp" } }],
      live_stream: { rtsp_server: `rtsp://127.0.0.1:${port}` },
    });
    // No rtspTransport option: the default (TCP) is what is tested.
    const pipeline = await startPipeline(nats.url, config, [
      ["restream", (deps) => startRestreamService(deps, { retry: { initialMs: 200, maxMs: 1000 } })],
    ]);
    const bus = await connectBus({ servers: [nats.url], name: "test-tcp" });
    const cameras = startCameras(bus, new Set(["camtcp"]));
    try {
      const code = await Promise.race([received, sleep(30_000).then(() => "timeout" as const)]);
      assert.equal(code, 0, `the receiver got 10 frames: ${receiverErr}\n${pipeline.logs.join("")}`);
      const { stdout } = await promisify(execFile)("ffprobe", [
        "-v",
        "error",
        "-show_entries",
        "stream=codec_name,width,height",
        "-of",
        "csv=p=0",
        out,
      ]);
      assert.equal(stdout.trim(), `h264,${WIDTH},${HEIGHT}`);
    } finally {
      receiver.kill("SIGKILL");
      await cameras.stop();
      await pipeline.stop();
      await bus.close();
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

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

const PUBLISH_PASSWORD = "mediamtx-Publish-5k";

describe("restream as MediaMTX's publish user (live_stream.user / pass from the environment)", () => {
  // MediaMTX (authInternalUsers: only the restream publishes) is not installed here: its check of the
  // credentials is played by an RTSP gate (401 without them) in front of ffmpeg receiving in listen mode.
  it("publishes with the credentials on every request, and the password shows on no command line and in no log", async () => {
    const nats = await startNatsServer();
    const port = await freeLocalPort();
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-restream-auth-"));
    const out = path.join(dir, "received.mkv");
    const receiver = spawn(
      "ffmpeg",
      ["-v", "error", "-rtsp_flags", "listen", "-rtsp_transport", "tcp"].concat([
        "-i",
        `rtsp://127.0.0.1:${port}/live/auth`,
        "-frames:v",
        "10",
        "-c",
        "copy",
        "-y",
        out,
      ]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    receiver.stderr?.resume();
    const received = new Promise<number | null>((resolve) => receiver.once("exit", resolve));
    await waitFor(() => listening(port), "ffmpeg to listen for the publisher");
    const gate = await startRtspGate(port, { user: "restream", pass: PUBLISH_PASSWORD });
    // As in docker-compose.yml: the user and password from the environment, the rest from the file.
    const config = loadConfig({
      env: { FACETRACKER_LIVE_STREAM__USER: "restream", FACETRACKER_LIVE_STREAM__PASS: PUBLISH_PASSWORD },
      overrides: {
        cameras: [{ id: "camauth", url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: "live/auth" } }],
        live_stream: { rtsp_server: `rtsp://127.0.0.1:${gate.port}` },
      },
    });
    assert.deepEqual([config.live_stream.user, config.live_stream.pass], ["restream", PUBLISH_PASSWORD]);
    const pipeline = await startPipeline(nats.url, config, [
      ["restream", (deps) => startRestreamService(deps, { retry: { initialMs: 200, maxMs: 1000 } })],
    ]);
    const bus = await connectBus({ servers: [nats.url], name: "test-auth" });
    const cameras = startCameras(bus, new Set(["camauth"]));
    const seen = new Set<string>();
    const sampler = setInterval(() => {
      for (const line of commandLines()) seen.add(line);
    }, 20);
    try {
      const code = await Promise.race([received, sleep(30_000).then(() => "timeout" as const)]);
      assert.equal(code, 0, `the receiver got 10 frames: ${pipeline.logs.join("")}`);
    } finally {
      clearInterval(sampler);
      receiver.kill("SIGKILL");
      await cameras.stop();
      await pipeline.stop();
      await bus.close();
      await gate.close();
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
    assert.deepEqual(gate.refused, [], "every request carried the credentials");
    const expected = `Basic ${Buffer.from(`restream:${PUBLISH_PASSWORD}`).toString("base64")}`;
    const announce = gate.requests.find((r) => r.startsWith("ANNOUNCE "));
    assert.ok(announce?.includes(`Authorization: ${expected}`), announce);
    assert.ok(announce?.startsWith(`ANNOUNCE rtsp://127.0.0.1:${gate.port}/live/auth `), announce);
    const ffmpegLines = [...seen].filter((l) => l.startsWith("ffmpeg") && l.includes("/live/auth"));
    assert.ok(ffmpegLines.length > 0, "the publishing ffmpeg was seen");
    for (const line of seen) assert.ok(!line.includes(PUBLISH_PASSWORD), `no password in: ${line}`);
    const logs = pipeline.logs.join("");
    assert.ok(!logs.includes(PUBLISH_PASSWORD), "no password in the logs");
    assert.match(logs, /"publishUser":"restream"/);
  });

  // Where MediaMTX is installed (`mediamtx` on the PATH), the same against the real one, configured as in
  // docker-compose.yml: the restream publishes; an anonymous reader and the publisher reading are refused;
  // the read user reads.
  const mediamtx = spawnSync("mediamtx", ["--version"], { encoding: "utf8" });
  const skip = mediamtx.error ? "MediaMTX is not installed here (no mediamtx on the PATH)" : false;
  it("with the real MediaMTX of deploy/mediamtx/mediamtx.yml: only the restream publishes, readers need the read user", {
    skip,
  }, async () => {
    const nats = await startNatsServer();
    const rtspPort = await freeLocalPort();
    const readPassword = "mediamtx-Read-8j";
    const server = spawn("mediamtx", [path.resolve(import.meta.dirname, "../deploy/mediamtx/mediamtx.yml")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        MTX_RTSPADDRESS: `127.0.0.1:${rtspPort}`,
        MTX_RTSPTRANSPORTS: "tcp",
        ...{ MTX_WEBRTC: "no", MTX_HLS: "no", MTX_RTMP: "no", MTX_SRT: "no" },
        MTX_AUTHINTERNALUSERS_0_USER: "restream",
        MTX_AUTHINTERNALUSERS_0_PASS: PUBLISH_PASSWORD,
        MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTION: "publish",
        MTX_AUTHINTERNALUSERS_1_USER: "viewer",
        MTX_AUTHINTERNALUSERS_1_PASS: readPassword,
        MTX_AUTHINTERNALUSERS_1_PERMISSIONS_0_ACTION: "read",
      },
    });
    let output = "";
    server.stdout?.on("data", (d) => {
      output += d;
    });
    server.stderr?.on("data", (d) => {
      output += d;
    });
    process.once("exit", () => server.kill("SIGKILL"));
    const config = parseConfig({
      cameras: [{ id: "cammtx", url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: "live/mtx" } }],
      live_stream: { rtsp_server: `rtsp://127.0.0.1:${rtspPort}`, user: "restream", pass: PUBLISH_PASSWORD },
    });
    const pipeline = await startPipeline(nats.url, config, [
      ["restream", (deps) => startRestreamService(deps, { retry: { initialMs: 200, maxMs: 1000 } })],
    ]);
    const bus = await connectBus({ servers: [nats.url], name: "test-mediamtx" });
    const cameras = startCameras(bus, new Set(["cammtx"]));
    const probe = async (userinfo: string) => {
      try {
        const { stdout } = await run(
          "ffprobe",
          [
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
          ].concat(`rtsp://${userinfo}127.0.0.1:${rtspPort}/live/mtx`),
          { timeout: 8000 },
        );
        return stdout.trim();
      } catch (error) {
        return `refused: ${(error as { stderr?: string }).stderr ?? error}`;
      }
    };
    try {
      const codec = await waitFor(
        async () => ((await probe(`viewer:${readPassword}@`)) === "h264" ? "h264" : undefined),
        "the read user to read the restream",
        30_000,
        500,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nMediaMTX: ${output}\nrestream: ${pipeline.logs.join("")}`);
      });
      assert.equal(codec, "h264");
      assert.match(await probe(""), /^refused: .*401/s, "an anonymous reader is refused");
      assert.match(await probe(`restream:${PUBLISH_PASSWORD}@`), /^refused/, "the publisher may not read");
      assert.match(await probe(`viewer:wrong@`), /^refused/, "a wrong password is refused");
    } finally {
      await cameras.stop();
      await pipeline.stop();
      await bus.close();
      server.kill("SIGKILL");
      await nats.stop();
    }
  });
});

describe("restream targets and command lines", () => {
  const config = parseConfig({
    cameras: [
      { id: "door", url: "/dev/null", live_stream: { mode: "WEB", rtsp_url: "site/door" } },
      { id: "hall", url: "/dev/null", live_stream: { mode: "NONE" } },
      { id: "yard", url: "/dev/null" },
    ],
    live_stream: { mode: "LOCAL", rtsp_server: "rtsp://mediamtx:8554/" },
  });
  const entry = (id: string, liveMode: string, enabled = true) => ({
    id,
    url: "/dev/null",
    enabled,
    alertMode: "",
    liveMode,
    loop: false,
  });

  it("a camera's mode: the configuration file's, else the registry's, else the site default", () => {
    assert.deepEqual(liveTargetOf(config, "door", entry("door", "LOCAL")), {
      camera: "door",
      mode: "WEB",
      url: "rtsp://mediamtx:8554/site/door",
    });
    assert.equal(liveTargetOf(config, "hall", entry("hall", "WEB")), undefined);
    assert.deepEqual(liveTargetOf(config, "yard", undefined), { camera: "yard", mode: "LOCAL", url: "" });
    assert.deepEqual(liveTargetOf(config, "new", entry("new", "web")), {
      camera: "new",
      mode: "WEB",
      url: "rtsp://mediamtx:8554/new",
    });
    assert.deepEqual(liveTargetOf(config, "new", entry("new", "")), {
      camera: "new",
      mode: "LOCAL",
      url: "",
    });
    assert.equal(liveTargetOf(config, "new", entry("new", "NONE")), undefined);
    assert.equal(
      liveTargetOf(config, "off", entry("off", "WEB", false)),
      undefined,
      "disabled: not restreamed",
    );
  });

  it("ffmpeg publishes over RTSP/TCP by default, H.264 without B-frames, a keyframe a second, odd sizes padded", () => {
    const args = rtspPublishArgs("rtsp://mediamtx:8554/door", { width: 641, height: 480, fps: 15 }, "tcp");
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(after("-video_size"), "641x480");
    assert.equal(after("-c:v"), "libx264");
    assert.equal(after("-tune"), "zerolatency");
    assert.equal(after("-g"), "15");
    assert.equal(after("-vf"), "pad=642:480:0:0:black");
    assert.equal(after("-rtsp_transport"), "tcp");
    assert.equal(args.at(-1), "rtsp://mediamtx:8554/door");
  });

  it("takes the publish credentials as live_stream.user and pass, both or neither, never inside rtsp_server", () => {
    const withUser = loadConfig({
      env: { FACETRACKER_LIVE_STREAM__USER: "restream", FACETRACKER_LIVE_STREAM__PASS: "pw-from-env-1" },
    });
    assert.deepEqual([withUser.live_stream.user, withUser.live_stream.pass], ["restream", "pw-from-env-1"]);
    assert.throws(
      () => parseConfig({ live_stream: { rtsp_server: "rtsp://restream:pw-in-url-2@mediamtx:8554" } }),
      (error: Error) =>
        /rtsp_server must not hold credentials: set live_stream.user and live_stream.pass/.test(
          error.message,
        ) && !error.message.includes("pw-in-url-2"),
    );
    assert.throws(
      () => parseConfig({ live_stream: { user: "restream" } }),
      /live_stream.pass: live_stream.user and live_stream.pass go together/,
    );
    // A password of digits only is read from the environment as a number: refused without repeating it.
    assert.throws(
      () =>
        loadConfig({
          env: { FACETRACKER_LIVE_STREAM__USER: "r", FACETRACKER_LIVE_STREAM__PASS: "31415926" },
        }),
      (error: Error) =>
        /live_stream.pass: expected string/.test(error.message) && !error.message.includes("31415926"),
    );
  });
});
