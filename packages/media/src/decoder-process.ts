/**
 * One ffmpeg run decoding a source to frames on stdout (raw RGB24 split by frame-reader, or JPEG images
 * split by jpeg-stream-reader), their stream timestamps from showinfo lines on stderr
 * (showinfo-timestamps), each frame's detection copy from file descriptor 3 when asked for, the decoding
 * trouble it reports (decode-trouble), and the last warnings and errors for messages.
 */

import { Readable } from "node:stream";
import { type ExitStatus, GuardedProcess } from "./child-process-guard.ts";
import { type DecodeTrouble, DecodeTroubleLog } from "./decode-trouble.ts";
import { type FrameReadResult, readFrames } from "./frame-reader.ts";
import { ShowinfoTimestamps } from "./showinfo-timestamps.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";

/** The detection copies written on file descriptor 3: their size, and whether their buffers are reused. */
export interface CopyPipe {
  bytes: number;
  reuse?: boolean;
}

export interface DecodedFrame {
  data: Uint8Array;
  /** Timestamp in the stream's own timeline (seconds), undefined when unknown. */
  streamS: number | undefined;
  /** A key frame (decodable by itself: where a seek lands), when ffmpeg said. */
  key?: boolean;
  /** The frame's detection copy, read from file descriptor 3, when one was asked for (decodeArgs). */
  copy?: Uint8Array;
}

/** Frames read ahead of the consumer when each comes with a copy (see frames()). */
const FRAMES_AHEAD = 4;

/** Copies read ahead of the consumer at most (then the copies' pipe waits). */
const COPIES_AHEAD = 8;

/**
 * Buffers a reader of this process's frames may reuse in turn (readFrames' `reuse`): more than the frames
 * read ahead, the one the consumer holds and the one being filled, so that a frame's bytes stay as they
 * are until the consumer has asked for the second frame after it.
 */
export const FRAME_BUFFERS_REUSED = FRAMES_AHEAD + 4;

/** The same for the detection copies (read further ahead). */
export const COPY_BUFFERS_REUSED = COPIES_AHEAD + 4;

/**
 * The items of `source` pulled by a loop of its own, up to `ahead` of the consumer (then it waits: the
 * source's own backpressure applies beyond that); its end value and errors passed on in order. Leaving
 * early stops the loop (then returns the source).
 */
export async function* readAhead<T, R>(source: AsyncGenerator<T, R>, ahead: number): AsyncGenerator<T, R> {
  const buffered: IteratorResult<T, R>[] = [];
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: "consumer" | "producer") => {
    const f = which === "consumer" ? wakeConsumer : wakeProducer;
    if (which === "consumer") wakeConsumer = undefined;
    else wakeProducer = undefined;
    f?.();
  };
  const pump = (async () => {
    try {
      for (;;) {
        while (buffered.length >= ahead && !stopped) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
        }
        if (stopped) return;
        const next = await source.next();
        buffered.push(next);
        wake("consumer");
        if (next.done) return;
      }
    } catch (error) {
      failure = { error };
      wake("consumer");
    }
  })();
  try {
    for (;;) {
      while (buffered.length === 0 && failure === undefined) {
        await new Promise<void>((resolve) => {
          wakeConsumer = resolve;
        });
      }
      const next = buffered.shift();
      if (next === undefined) throw (failure as { error: unknown }).error;
      wake("producer");
      if (next.done) return next.value;
      yield next.value;
    }
  } finally {
    // The loop may be waiting for the source (a stalled stream, until the decoder is stopped): the source
    // is returned once it is done, without holding the consumer up.
    stopped = true;
    wake("producer");
    void pump.then(() => source.return(undefined as R)).catch(() => {});
  }
}

/**
 * The detection copies ffmpeg writes on file descriptor 3, read as they come (never held back: ffmpeg
 * must not block on this pipe while the frames' reader waits for stdout), handed out in order.
 */
class CopyQueue {
  readonly #ready: Uint8Array[] = [];
  readonly #waiting: ((copy: Uint8Array | undefined) => void)[] = [];
  #space: (() => void) | undefined;
  #ended = false;

  constructor(copies: AsyncGenerator<Uint8Array, unknown>) {
    void this.#read(copies);
  }

  /** The next copy; undefined once the pipe has ended without one. */
  next(): Promise<Uint8Array | undefined> {
    const ready = this.#ready.shift();
    const space = this.#space;
    this.#space = undefined;
    space?.();
    if (ready !== undefined || this.#ended) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #read(copies: AsyncGenerator<Uint8Array, unknown>): Promise<void> {
    try {
      for await (const copy of copies) {
        const waiter = this.#waiting.shift();
        if (waiter) waiter(copy);
        else this.#ready.push(copy);
        // COPIES_AHEAD waiting: the consumer is not waiting for one (it takes the frames first).
        while (this.#ready.length >= COPIES_AHEAD) {
          await new Promise<void>((resolve) => {
            this.#space = resolve;
          });
        }
      }
    } catch {
      // The pipe closed under a read (ffmpeg stopped): the copies end here.
    } finally {
      this.#ended = true;
      for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    }
  }
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

  readonly #copies: CopyQueue | undefined;

  private constructor(guarded: GuardedProcess, split: FrameSplitter, copies: CopyPipe | undefined) {
    this.#process = guarded;
    this.#split = split;
    const copyPipe = guarded.child.stdio[3];
    if (copies !== undefined && copyPipe instanceof Readable) {
      this.#copies = new CopyQueue(
        readFrames(copyPipe, copies.bytes, copies.reuse ? COPY_BUFFERS_REUSED : undefined),
      );
    }
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

  /**
   * Starts ffmpeg with `args` (see decodeArgs), its stdout cut into frames by `split`; with `copies`, each
   * frame's detection copy (`bytes` long) is read from file descriptor 3, into COPY_BUFFERS_REUSED buffers
   * in turn with `reuse`.
   */
  static async start(
    ffmpegPath: string,
    args: string[],
    split: FrameSplitter,
    copies?: CopyPipe,
  ): Promise<DecoderProcess> {
    const guarded = await GuardedProcess.spawn(ffmpegPath, args, {
      stdio: copies === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", "pipe", "pipe", "pipe"],
    });
    return new DecoderProcess(guarded, split, copies);
  }

  get pid(): number {
    return this.#process.pid;
  }

  /** The decoded frames, in order, until ffmpeg's stdout ends. */
  async *frames(): AsyncGenerator<DecodedFrame> {
    const stdout = this.#process.child.stdout;
    if (stdout === null) throw new Error("ffmpeg stdout is not piped");
    // With copies, the frames are read a few ahead: ffmpeg writes its two outputs in an order of its own
    // (a frame may come before the previous frame's copy, several at the end), and must not be left
    // blocked on stdout while this waits for a copy.
    const reader = this.#copies ? readAhead(this.#split(stdout), FRAMES_AHEAD) : this.#split(stdout);
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
        const { streamS, key } = await this.#timestamps.nextFrame();
        const copy = await this.#copies?.next();
        yield {
          data: next.value,
          streamS,
          ...(key === undefined ? {} : { key }),
          ...(copy === undefined ? {} : { copy }),
        };
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
