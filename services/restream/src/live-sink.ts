/**
 * Where annotated frames go: an ffmpeg child that encodes RGB24 frames from its stdin as H.264 and
 * publishes them over RTSP (WEB), or an ffplay window (LOCAL). Frames are timestamped as they arrive
 * (wall clock), so a stream with dropped frames keeps real time. Children never outlive the service: they
 * are stopped with it, killed when the Node process exits, and end by themselves when their stdin closes
 * (a killed service).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { evenSizePadArgs, type RtspTransport } from "@facetracker/media";

/** The raw video a sink takes. */
export interface LiveVideoFormat {
  width: number;
  height: number;
  /** Nominal frame rate (the restream's max_fps): GOP length; timestamps are the frames' arrival. */
  fps: number;
}

export type { RtspTransport };

/** Arguments that read RGB24 frames from stdin, timestamped on arrival. */
function rawInputArgs(format: LiveVideoFormat, pixelFormatFlag: "-pix_fmt" | "-pixel_format"): string[] {
  return [
    "-use_wallclock_as_timestamps",
    "1",
    "-f",
    "rawvideo",
    pixelFormatFlag,
    "rgb24",
    "-video_size",
    `${format.width}x${format.height}`,
    "-framerate",
    String(format.fps),
    "-i",
    "pipe:0",
  ];
}

/**
 * ffmpeg arguments publishing stdin's frames to `url`: libx264 ultrafast / zerolatency (no B-frames), a
 * keyframe every second (max_fps frames) so a viewer starts within a second, yuv420p (an odd size is
 * padded to even), variable frame rate (frames keep their arrival times).
 */
export function rtspPublishArgs(url: string, format: LiveVideoFormat, transport: RtspTransport): string[] {
  const gop = String(Math.max(1, Math.round(format.fps)));
  const pad = evenSizePadArgs(format.width, format.height);
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "error",
    ...rawInputArgs(format, "-pix_fmt"),
    ...pad,
    "-an",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-pix_fmt",
    "yuv420p",
    "-g",
    gop,
    "-keyint_min",
    gop,
    "-fps_mode",
    "passthrough",
    "-f",
    "rtsp",
    "-rtsp_transport",
    transport,
    url,
  ];
}

/**
 * ffplay arguments showing stdin's frames in a window titled `title`, with as little buffering as ffplay
 * allows; it exits at the end of its input (-autoexit), so it closes with the service.
 */
export function ffplayArgs(title: string, format: LiveVideoFormat): string[] {
  return [
    "-hide_banner",
    "-nostats",
    "-loglevel",
    "error",
    "-autoexit",
    "-an",
    "-window_title",
    title,
    "-fflags",
    "nobuffer",
    "-flags",
    "low_delay",
    "-framedrop",
    ...rawInputArgs(format, "-pixel_format"),
  ];
}

/** How a sink process ended. */
export interface SinkExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Lines of stderr kept to explain an exit. */
const TAIL_LINES = 8;

/** A running ffmpeg or ffplay fed RGB24 frames on its stdin. */
export class LiveSink {
  readonly format: LiveVideoFormat;
  readonly startedAt = Date.now();
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<SinkExit>;
  readonly #child: ChildProcess;
  readonly #tail: string[] = [];
  #framesWritten = 0;
  #status: SinkExit | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(child: ChildProcess, format: LiveVideoFormat) {
    this.#child = child;
    this.format = format;
    running.add(child);
    child.stdin?.on("error", () => {}); // EPIPE once it died: seen by write() and exited
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      for (const line of chunk.split(/\r?\n/)) {
        if (line.trim() === "") continue;
        this.#tail.push(line.trim());
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      }
    });
    this.exited = new Promise((resolve) => {
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        running.delete(child);
        this.#status = { code, signal };
        resolve(this.#status);
      });
    });
  }

  /** Starts `command` with `args`; rejects when it cannot be run (not installed). */
  static async start(command: string, args: string[], format: LiveVideoFormat): Promise<LiveSink> {
    if (!exitHookInstalled) {
      process.on("exit", killAll);
      exitHookInstalled = true;
    }
    const child = spawn(command, args, { stdio: ["pipe", "ignore", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    });
    child.on("error", () => {});
    return new LiveSink(child, format);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get framesWritten(): number {
    return this.#framesWritten;
  }

  /** Its exit status, once it has exited. */
  get status(): SinkExit | undefined {
    return this.#status;
  }

  /** True once stop() was called: the end is not a failure. */
  get stopRequested(): boolean {
    return this.#stopping !== undefined;
  }

  /** The last lines it wrote on stderr. */
  get output(): string {
    return this.#tail.join(" | ");
  }

  /**
   * Hands one frame (width × height × 3 bytes) to the process; resolves once its pipe took it. Rejects when
   * the process is gone, or has not taken the frame within `timeoutMs` (it is stalled: it is then killed).
   */
  async write(data: Uint8Array, timeoutMs: number): Promise<void> {
    const { width, height } = this.format;
    if (data.byteLength !== width * height * 3) {
      throw new Error(
        `a ${width}x${height} RGB24 frame has ${width * height * 3} bytes, not ${data.byteLength}`,
      );
    }
    const stdin = this.#child.stdin;
    if (!stdin || stdin.destroyed || this.#status !== undefined || this.#stopping) {
      throw new Error("the publisher is not running");
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`the publisher took no frame for ${timeoutMs} ms: stalled`));
          this.#child.kill("SIGKILL");
        }, timeoutMs);
        stdin.write(data, (error) => (error ? reject(error) : resolve()));
      });
    } finally {
      clearTimeout(timer);
    }
    this.#framesWritten++;
  }

  /** Closes its input (it finishes), then SIGTERM after `graceMs` and SIGKILL after as long again. Idempotent. */
  stop(graceMs = 1000): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    if (this.#status !== undefined) return;
    this.#child.stdin?.end();
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (waited) return;
      this.#child.kill(signal);
    }
    await this.exited;
  }
}
