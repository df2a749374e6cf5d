/**
 * One ffmpeg run decoding a source to frames on stdout (raw RGB24 split by frame-reader, or JPEG images
 * split by jpeg-stream-reader), their stream timestamps from showinfo lines on stderr
 * (showinfo-timestamps), the decoding trouble it reports (decode-trouble), and the last warnings and errors
 * for messages.
 */

import { type ExitStatus, GuardedProcess } from "./child-process-guard.ts";
import { type DecodeTrouble, DecodeTroubleLog } from "./decode-trouble.ts";
import type { FrameReadResult } from "./frame-reader.ts";
import { ShowinfoTimestamps } from "./showinfo-timestamps.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";

export interface DecodedFrame {
  data: Uint8Array;
  /** Timestamp in the stream's own timeline (seconds), undefined when unknown. */
  streamS: number | undefined;
}

/**
 * Splits ffmpeg's stdout into frames, pull-based (readFrames for fixed-size raw frames, readJpegImages for
 * JPEG images); returns what an incomplete last frame left over.
 */
export type FrameSplitter = (
  chunks: AsyncIterable<Uint8Array>,
) => AsyncGenerator<Uint8Array, FrameReadResult>;

export class DecoderProcess {
  readonly #process: GuardedProcess;
  readonly #split: FrameSplitter;
  readonly #timestamps = new ShowinfoTimestamps();
  readonly #tail = new StderrTail();
  readonly #troubles = new DecodeTroubleLog();

  private constructor(guarded: GuardedProcess, split: FrameSplitter) {
    this.#process = guarded;
    this.#split = split;
    const stderr = guarded.child.stderr;
    if (stderr === null) throw new Error("ffmpeg stderr is not piped");
    const splitter = new LineSplitter();
    const addLine = (line: string) => {
      this.#timestamps.addLine(line);
      this.#troubles.addLine(line, this.#timestamps.received);
      this.#tail.add(line);
    };
    stderr.setEncoding("utf8");
    stderr.on("data", (chunk: string) => {
      for (const line of splitter.push(chunk)) addLine(line);
    });
    stderr.on("close", () => {
      for (const line of splitter.end()) addLine(line);
      this.#timestamps.end();
    });
  }

  /** Starts ffmpeg with `args` (see decodeArgs), its stdout cut into frames by `split`. */
  static async start(ffmpegPath: string, args: string[], split: FrameSplitter): Promise<DecoderProcess> {
    const guarded = await GuardedProcess.spawn(ffmpegPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    return new DecoderProcess(guarded, split);
  }

  get pid(): number {
    return this.#process.pid;
  }

  /** The decoded frames, in order, until ffmpeg's stdout ends. */
  async *frames(): AsyncGenerator<DecodedFrame> {
    const stdout = this.#process.child.stdout;
    if (stdout === null) throw new Error("ffmpeg stdout is not piped");
    const reader = this.#split(stdout);
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array, FrameReadResult>;
        try {
          next = await reader.next();
        } catch (error) {
          // stop() destroys stdout under a pending read: "premature close", the end of this run.
          if (this.stopped) return;
          throw error;
        }
        if (next.done) return; // an incomplete last frame (ffmpeg killed mid-write) is dropped
        const streamS = await this.#timestamps.next();
        yield { data: next.value, streamS };
      }
    } finally {
      await reader.return({ trailingBytes: 0 });
    }
  }

  /** ffmpeg's exit status, once it has exited and its pipes are closed. */
  get exited(): Promise<ExitStatus> {
    return this.#process.exited;
  }

  /** True when stop() ended the run (the exit status then says nothing about the source). */
  get stopped(): boolean {
    return this.#process.stopRequested;
  }

  /** The decoding trouble ffmpeg reported so far (all of it once `exited` has resolved). */
  get troubles(): readonly DecodeTrouble[] {
    return this.#troubles.troubles;
  }

  /** ffmpeg's last warnings and errors ("" when none). */
  get errorOutput(): string {
    return this.#tail.toString();
  }

  /** Kills ffmpeg (SIGTERM, SIGKILL after the grace period) and waits for it to exit. Idempotent. */
  stop(): Promise<void> {
    return this.#process.stop();
  }
}
