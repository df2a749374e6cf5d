/**
 * One live publisher process: an ffmpeg (to RTSP) or ffplay (a window) fed RGB24 frames on its stdin. It
 * never outlives its use: stopped on request, killed when the Node process exits (child-process guard),
 * and it ends by itself when its stdin closes (its writer was killed).
 */

import { type ExitStatus, GuardedProcess } from "./child-process-guard.ts";
import { MediaError } from "./errors.ts";
import type { RawVideoFormat } from "./ffmpeg-args.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";

/** Lines of stderr kept to explain an exit. */
const TAIL_LINES = 8;

/** A running ffmpeg or ffplay fed RGB24 frames on its stdin. */
export class LiveSink {
  readonly format: RawVideoFormat;
  readonly startedAt = Date.now();
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  readonly #process: GuardedProcess;
  readonly #tail = new StderrTail(TAIL_LINES);
  #framesWritten = 0;
  #stopping: Promise<void> | undefined;

  private constructor(guarded: GuardedProcess, format: RawVideoFormat) {
    this.#process = guarded;
    this.format = format;
    this.exited = guarded.exited;
    const { stdin, stderr } = guarded.child;
    stdin?.on("error", () => {}); // EPIPE once it died: seen by write() and exited
    const splitter = new LineSplitter();
    stderr?.setEncoding("utf8");
    stderr?.on("data", (chunk: string) => {
      for (const line of splitter.push(chunk)) this.#tail.add(line);
    });
    stderr?.on("close", () => {
      for (const line of splitter.end()) this.#tail.add(line);
    });
  }

  /** Starts `command` with `args`; rejects with MediaError when it cannot be run (not installed). */
  static async start(command: string, args: string[], format: RawVideoFormat): Promise<LiveSink> {
    const guarded = await GuardedProcess.spawn(command, args, { stdio: ["pipe", "ignore", "pipe"] });
    return new LiveSink(guarded, format);
  }

  get pid(): number {
    return this.#process.pid;
  }

  get framesWritten(): number {
    return this.#framesWritten;
  }

  /** Its exit status, once it has exited. */
  get status(): ExitStatus | undefined {
    return this.#process.status;
  }

  /** True once stop() was called: the end is not a failure. */
  get stopRequested(): boolean {
    return this.#stopping !== undefined;
  }

  /** The last lines it wrote on stderr. */
  get output(): string {
    return this.#tail.toString();
  }

  /**
   * Hands one frame (width × height × 3 bytes) to the process; resolves once its pipe took it. Rejects when
   * the process is gone, or has not taken the frame within `timeoutMs` (it is stalled: it is then killed).
   */
  async write(data: Uint8Array, timeoutMs: number): Promise<void> {
    const { width, height } = this.format;
    if (data.byteLength !== width * height * 3) {
      throw new MediaError(
        "INVALID_ARGUMENT",
        `a ${width}x${height} RGB24 frame has ${width * height * 3} bytes, not ${data.byteLength}`,
      );
    }
    const child = this.#process.child;
    const stdin = child.stdin;
    if (!stdin || stdin.destroyed || this.status !== undefined || this.#stopping) {
      throw new MediaError("WRITE", "the publisher is not running");
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          reject(new MediaError("WRITE", `the publisher took no frame for ${timeoutMs} ms: stalled`));
          child.kill("SIGKILL");
        }, timeoutMs);
        stdin.write(data, (error) => (error ? reject(error) : resolve()));
      });
    } finally {
      clearTimeout(timer);
    }
    this.#framesWritten++;
  }

  /**
   * Closes its input (it finishes), then SIGTERM after `graceMs` and SIGKILL after as long again; resolves
   * once it has exited. Idempotent.
   */
  stop(graceMs = 1000): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    if (this.status !== undefined) return;
    this.#process.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) await this.#process.stop(graceMs, "SIGTERM");
    await this.exited;
  }
}
