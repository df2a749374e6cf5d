/**
 * A live camera for tests: ffmpeg plays a video file in real time, over and over, as an MPEG-TS stream,
 * and a local HTTP server sends that stream to every client from the moment it connects (whole TS
 * packets, as a network camera does). Started on a chosen port, it can appear after its clients first
 * tried it; close() makes it vanish (clients see their stream end).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** MPEG-TS packet size: clients join on a packet boundary. */
const TS_PACKET = 188;

export interface LiveHttpCamera {
  /** http://127.0.0.1:<port>/live.ts */
  readonly url: string;
  readonly port: number;
  /** Clients that connected so far. */
  readonly connections: number;
  /** Stops ffmpeg and the server, ending every client's stream. */
  close(): Promise<void>;
}

/** Serves `videoPath` (looped, real time, stream copy) as a live MPEG-TS camera on 127.0.0.1:`port` (0: free). */
export async function liveHttpCamera(videoPath: string, port = 0): Promise<LiveHttpCamera> {
  const clients = new Set<ServerResponse>();
  let connections = 0;
  const server = createServer((req, res) => {
    connections++;
    res.writeHead(200, { "content-type": "video/mp2t", connection: "close" });
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const ffmpeg: ChildProcess = spawn(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", videoPath],
      ...["-c", "copy", "-f", "mpegts", "pipe:1"],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let pending: Buffer = Buffer.alloc(0);
  ffmpeg.stdout?.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const whole = pending.length - (pending.length % TS_PACKET);
    if (whole === 0) return;
    const packets = pending.subarray(0, whole);
    pending = Buffer.from(pending.subarray(whole));
    for (const client of clients) client.write(packets);
  });
  const actual = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${actual}/live.ts`,
    port: actual,
    get connections() {
      return connections;
    },
    close() {
      closing ??= (async () => {
        const exited = new Promise<void>((resolve) => {
          if (ffmpeg.exitCode !== null || ffmpeg.signalCode !== null) resolve();
          else ffmpeg.once("exit", () => resolve());
        });
        ffmpeg.kill("SIGKILL");
        await exited;
        for (const client of clients) client.end();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
