/** Helpers for media tests: generated media files, temp dirs, local servers, process checks. */

import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A temp directory, removed by the returned cleanup. */
export async function tempDir(
  prefix = "ft-media-test-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs ffmpeg quietly with `args` (output file included), rejecting on failure. */
export async function ffmpeg(args: string[]): Promise<void> {
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args]);
}

export interface TestVideoOptions {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Output options added before the file name (container flags, offsets). */
  extra?: string[];
}

/** A testsrc2 video (moving pattern, changes every frame) encoded with libx264 ultrafast. */
export async function testVideo(path: string, options: TestVideoOptions = {}): Promise<string> {
  const { seconds = 2, width = 320, height = 240, fps = 25, extra = [] } = options;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${width}x${height}:rate=${fps}`,
    "-t",
    String(seconds),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    ...extra,
    path,
  ]);
  return path;
}

/** ffprobe's view of the first video stream of `path`, frames counted by decoding. */
export async function probeFrames(
  path: string,
): Promise<{ codec: string; width: number; height: number; frames: number; pixFmt: string }> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height,nb_read_frames,pix_fmt",
    "-of",
    "json",
    path,
  ]);
  const stream = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams[0] ?? {};
  return {
    codec: String(stream.codec_name),
    width: Number(stream.width),
    height: Number(stream.height),
    frames: Number(stream.nb_read_frames),
    pixFmt: String(stream.pix_fmt),
  };
}

/** Pids of the live (not zombie) child processes of this process, from /proc. */
export async function childPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && fields[0] !== "Z") pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** True when `pid` no longer runs (gone, or a zombie waiting for its parent). */
export async function isGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestServer {
  url: string;
  server: Server;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering every request with `handler`. */
export async function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse, requestNumber: number) => void,
): Promise<TestServer> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    handler(req, res, state.requests);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
