/**
 * A live RTSP camera for tests: Debian's RTSP::Server (rtsp-server-perl) on free ports of 127.0.0.1, with
 * ffmpeg publishing a test pattern (H.264, 320×240, 10 fps, real time) to it. The server carries RTP over
 * UDP only: viewers read with rtsp_transport udp. It asks viewers for no password, so a URL's user:password
 * reaches it unchecked (what a test of where credentials show up needs).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { freeLocalPort } from "@facetracker/service-host";
import { waitFor } from "@facetracker/testing";

/** A running camera. */
export interface RtspCamera {
  /** `rtsp://<userinfo>127.0.0.1:<viewer port>/<path>`. */
  viewerUrl(userinfo?: string): string;
  /** What the server and the publisher wrote on stderr, for failure messages. */
  readonly output: string;
  close(): Promise<void>;
}

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

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Starts the server and the publisher on `path`; resolves once the stream can be read. */
export async function startRtspCamera(path = "cam"): Promise<RtspCamera> {
  const [sourcePort, clientPort, rtpPort] = [
    await freeLocalPort(),
    await freeLocalPort(),
    await freeUdpRange(64),
  ];
  let output = "";
  const collect = (child: ChildProcess) => {
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      output += text;
    });
    process.once("exit", () => child.kill("SIGKILL")); // never left behind, even by a failed run
  };
  // The packaged script, except that the RTP port base is also set where the server falls back to it.
  const script =
    "$RTSP::Server::RTP_START_PORT = $ENV{RTP_START_PORT}; RTSP::Server->new_with_options->listen; AnyEvent->condvar->recv;";
  const server = spawn(
    "perl",
    [
      ...["-MAnyEvent", "-MRTSP::Server", "-e", script, "--"],
      ...["--serverport", String(sourcePort), "--clientport", String(clientPort)],
      ...["--source_listen_address", "127.0.0.1", "--client_listen_address", "127.0.0.1"],
      ...["--rtp_start_port", String(rtpPort)],
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, RTP_START_PORT: String(rtpPort) } },
  );
  collect(server);
  await waitFor(
    async () => server.exitCode === null && (await tcpAccepts(sourcePort)) && tcpAccepts(clientPort),
    "the RTSP server to listen",
    10_000,
    50,
  );
  const publisher = spawn(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re"],
      ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10"],
      ...[
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-g",
        "10",
        "-pix_fmt",
        "yuv420p",
      ],
      ...["-f", "rtsp", "-rtsp_transport", "udp", `rtsp://127.0.0.1:${sourcePort}/${path}`],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  collect(publisher);
  return {
    viewerUrl: (userinfo = "") => `rtsp://${userinfo}127.0.0.1:${clientPort}/${path}`,
    get output() {
      return output;
    },
    close: async () => {
      await stop(publisher);
      await stop(server);
    },
  };
}
