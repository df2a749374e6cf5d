/** Writes RGB24 frames to an H.264 MP4 file through an ffmpeg child process (libx264, yuv420p, +faststart). */

import { stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errnoCode } from "@facetracker/infra";
import { GuardedProcess } from "./child-process-guard.ts";
import { MediaError } from "./errors.ts";
import { requireExecutable } from "./executable.ts";
import { encodeArgs } from "./ffmpeg-args.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";

export const X264_PRESETS = [
  "ultrafast",
  "superfast",
  "veryfast",
  "faster",
  "fast",
  "medium",
  "slow",
  "slower",
  "veryslow",
  "placebo",
] as const;

export interface VideoWriterOptions {
  width: number;
  height: number;
  fps: number;
  /** x264 constant rate factor, 0 (lossless) to 51 (default 23). */
  crf?: number;
  /** x264 preset (default "veryfast"). */
  preset?: string;
  /** Default "ffmpeg". */
  ffmpegPath?: string;
}

function invalid(message: string): MediaError {
  return new MediaError("INVALID_ARGUMENT", message);
}

function validate(options: VideoWriterOptions): Required<Omit<VideoWriterOptions, "ffmpegPath">> {
  const { width, height, fps, crf = 23, preset = "veryfast" } = options;
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value > 0 && value <= 16384)) {
      throw invalid(`${name} must be an integer in [1, 16384], got ${value}`);
    }
  }
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 1000))
    throw invalid(`fps must be in (0, 1000], got ${fps}`);
  if (!(Number.isFinite(crf) && crf >= 0 && crf <= 51)) throw invalid(`crf must be in [0, 51], got ${crf}`);
  if (!(X264_PRESETS as readonly string[]).includes(preset)) {
    throw invalid(`preset must be one of ${X264_PRESETS.join(", ")}, got ${JSON.stringify(preset)}`);
  }
  return { width, height, fps, crf, preset };
}

export class VideoWriter {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly #process: GuardedProcess;
  readonly #tail = new StderrTail();
  readonly #frameSize: number;
  #framesWritten = 0;
  #closing: Promise<void> | undefined;
  #aborting: Promise<void> | undefined;

  private constructor(path: string, width: number, height: number, guarded: GuardedProcess) {
    this.path = path;
    this.width = width;
    this.height = height;
    this.#frameSize = width * height * 3;
    this.#process = guarded;
    const splitter = new LineSplitter();
    const { stdin, stderr } = guarded.child;
    // A write to an ffmpeg that died fails with EPIPE: reported by write() and close(), not as a crash.
    stdin?.on("error", () => {});
    stderr?.setEncoding("utf8");
    stderr?.on("data", (chunk: string) => {
      for (const line of splitter.push(chunk)) this.#tail.add(line);
    });
    stderr?.on("close", () => {
      for (const line of splitter.end()) this.#tail.add(line);
    });
  }

  /**
   * Starts writing `path` (replaced if it exists) as H.264 MP4. An odd width or height is padded to even
   * with one black column / row. Rejects with MediaError: INVALID_ARGUMENT, FFMPEG_MISSING, NOT_FOUND (the
   * directory does not exist).
   */
  static async open(path: string, options: VideoWriterOptions): Promise<VideoWriter> {
    const valid = validate(options);
    const output = resolve(path);
    const ffmpegPath = options.ffmpegPath ?? "ffmpeg";
    await requireExecutable(ffmpegPath, "ffmpeg");
    try {
      if (!(await stat(dirname(output))).isDirectory()) throw new Error("not a directory");
    } catch (error) {
      throw new MediaError("NOT_FOUND", `cannot write video ${output}: no directory ${dirname(output)}`, {
        cause: error,
        source: output,
      });
    }
    const guarded = await GuardedProcess.spawn(ffmpegPath, encodeArgs(output, valid), {
      stdio: ["pipe", "ignore", "pipe"],
    });
    return new VideoWriter(output, valid.width, valid.height, guarded);
  }

  get framesWritten(): number {
    return this.#framesWritten;
  }

  /**
   * Queues one RGB24 frame (width × height × 3 bytes) and resolves once ffmpeg has taken it into its pipe:
   * awaiting each write keeps at most one frame in flight. Rejects with MediaError("WRITE") when ffmpeg
   * failed.
   */
  async write(frame: { data: Uint8Array }): Promise<void> {
    if (this.#closing !== undefined || this.#aborting !== undefined) {
      throw new MediaError("WRITE", `cannot write to ${this.path}: the writer is closed`, {
        source: this.path,
      });
    }
    if (!(frame?.data instanceof Uint8Array) || frame.data.byteLength !== this.#frameSize) {
      throw invalid(
        `a ${this.width}x${this.height} RGB24 frame has ${this.#frameSize} bytes, got ${frame?.data?.byteLength}`,
      );
    }
    const stdin = this.#process.child.stdin;
    if (stdin === null || stdin.destroyed || this.#process.status !== undefined) throw await this.#failure();
    try {
      await new Promise<void>((resolve, reject) => {
        stdin.write(frame.data, (error) => (error ? reject(error) : resolve()));
      });
    } catch (error) {
      throw await this.#failure(error);
    }
    this.#framesWritten++;
  }

  /** Finishes the file (ffmpeg writes the index at the front); rejects with MediaError("WRITE") on failure. */
  close(): Promise<void> {
    if (this.#aborting !== undefined) return this.#aborting;
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Stops ffmpeg at once and deletes the incomplete file. Idempotent. */
  abort(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing.catch(() => {});
    this.#aborting ??= this.#abort();
    return this.#aborting;
  }

  async #close(): Promise<void> {
    if (this.#framesWritten === 0) {
      await this.#abort();
      throw new MediaError("WRITE", `cannot write video ${this.path}: no frame was written`, {
        source: this.path,
      });
    }
    this.#process.child.stdin?.end();
    const status = await this.#process.exited;
    if (status.code !== 0) throw await this.#failure();
  }

  async #abort(): Promise<void> {
    await this.#process.stop(0, "SIGKILL");
    try {
      await unlink(this.path);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
  }

  /** The error for a failed ffmpeg, once it has exited (its error output then complete). */
  async #failure(cause?: unknown): Promise<MediaError> {
    // Its stdin failed: ffmpeg is exiting; should it linger, it is stopped.
    const linger = setTimeout(() => void this.#process.stop(), 5000);
    const status = await this.#process.exited;
    clearTimeout(linger);
    const exit =
      status.signal === null
        ? `ffmpeg exited with code ${status.code}`
        : `ffmpeg was killed by ${status.signal}`;
    const output = this.#tail.toString();
    return new MediaError("WRITE", `cannot write video ${this.path}: ${exit}${output ? `: ${output}` : ""}`, {
      ...(cause === undefined ? {} : { cause }),
      source: this.path,
    });
  }
}
