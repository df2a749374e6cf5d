/**
 * The annotated copy of a video analysed in this process (findVideoFaces' `annotate`). For a file, each
 * analysed frame's labels go into an ASS overlay script (vision's OverlayScript), and ffmpeg reads the file
 * again, draws the script on its frames and encodes the copy with the file's audio (media's
 * writeOverlayCopy): no frame is drawn or copied in JavaScript, and the copy keeps the file's frames,
 * timing and sound. The copy is made in parts of PART_S seconds of video: each part is encoded as soon as
 * the analysis has gone past it (on the cores the analysis leaves idle), and the parts are joined at the
 * end; a file shorter than a part is encoded in one go once analysed. A source
 * that cannot be read twice (a stream, a camera) is drawn frame by frame as it is analysed instead
 * (drawLabelsRaw, then VideoWriter), without audio.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  joinOverlayParts,
  OVERLAY_COPY_PRESET,
  type OverlayCopyOptions,
  type SourceKind,
  VideoWriter,
  writeOverlayCopy,
} from "@facetracker/media";
import { drawLabelsRaw, type Label, OverlayScript } from "@facetracker/vision";
import type { FrameResult } from "./tracking-types.ts";

/**
 * Seconds of video in each part of a file's annotated copy (at least: a part ends after a key frame).
 * Long: a part encoded while the analysis goes on competes with it for the cores (measured on 2 loaded
 * cores: more CPU than one encoding after the analysis); it pays off on long files, whose last part alone
 * is left to encode at the end.
 */
export const PART_S = 60;

/** A part starts this much before its first frame's time (decimal seconds on ffmpeg's command line). */
const SEEK_MARGIN_S = 0.0005;

/** A part waiting for a key frame to end after ends anyway at this many times PART_S. */
const MAX_PART_OVER = 3;

export interface AnnotateOptions {
  /** The annotated copy, an MP4 file (replaced if it exists). */
  output: string;
  /** The labels drawn on a frame (vision's faceLabel for each track shown). */
  labels: (result: FrameResult) => Label[];
  /** x264 preset (default "ultrafast": a copy to look at, encoded fast). */
  preset?: string;
  /** x264 constant rate factor (default 23). */
  crf?: number;
  /** Seconds of video in each part of a file's copy (default PART_S). */
  partS?: number;
  /**
   * Once the analysis is done, the frames of the copy encoded so far (0 as the wait starts, then about
   * twice a second), of the file's frames when known (a file's copy; parts encoded during the analysis
   * count at once).
   */
  onProgress?: (progress: { frame: number; total?: number }) => void;
}

/** The source being analysed, as VideoSource.info describes it. */
export interface AnnotatedSource {
  kind: SourceKind;
  input: string;
  width: number;
  height: number;
  fps: number;
  frameCount?: number;
}

/** A part of a file's copy: the stretch of video from `startS`, its script's lines so far. */
interface Part {
  index: number;
  startS: number;
  /** Analysed frames in it so far (a part is closed with one at least: ffmpeg writes no empty part). */
  frames: number;
  overlay: OverlayScript;
  lines: string[];
}

/** A file's copy: its parts (the open one, and those encoding or encoded) in a temporary folder. */
interface Overlay {
  kind: "overlay";
  dir: string;
  open: Part | undefined;
  /** Times of the first and the last frame added, on ffmpeg's timeline of the file. */
  firstS: number;
  lastS: number;
  /** Whether the last frame added is a key frame, when known. */
  lastKey: boolean | undefined;
  /** The encoded parts' files, in order. */
  files: string[];
  /** Frames encoded by each part so far. */
  encoded: number[];
  /** The part encodings, one after the other (the last one's promise; never rejects: see `failure`). */
  queue: Promise<void>;
  failure: unknown;
  stop: AbortController;
  /** The analysis is over: progress is reported. */
  finishing: boolean;
}

type Method = Overlay | { kind: "frames"; writer: VideoWriter | undefined };

export class AnnotatedCopy {
  readonly #source: AnnotatedSource;
  readonly #options: AnnotateOptions;
  readonly #method: Method;

  private constructor(source: AnnotatedSource, options: AnnotateOptions, method: Method) {
    this.#source = source;
    this.#options = options;
    this.#method = method;
  }

  /** Starts the copy of `source` (for a file, its parts go to a temporary folder). */
  static async start(source: AnnotatedSource, options: AnnotateOptions): Promise<AnnotatedCopy> {
    if (source.kind !== "file")
      return new AnnotatedCopy(source, options, { kind: "frames", writer: undefined });
    const dir = await mkdtemp(path.join(os.tmpdir(), "facetracker-annotate-"));
    return new AnnotatedCopy(source, options, {
      kind: "overlay",
      dir,
      open: undefined,
      firstS: 0,
      lastS: Number.NEGATIVE_INFINITY,
      lastKey: undefined,
      files: [],
      encoded: [],
      queue: Promise.resolve(),
      failure: undefined,
      stop: new AbortController(),
      finishing: false,
    });
  }

  /**
   * Adds an analysed frame: `timeS` is its time on the decoding ffmpeg's timeline (VideoFrame.streamS),
   * in frame order; `keyFrame` whether it is a key frame (VideoFrame.keyFrame), when known. A frame whose
   * time does not increase (a decoder flushing a late frame) is left out.
   */
  async add(result: FrameResult, timeS: number, keyFrame?: boolean): Promise<void> {
    const method = this.#method;
    const labels = this.#options.labels(result);
    if (method.kind === "frames") {
      method.writer ??= await VideoWriter.open(this.#options.output, {
        width: result.width,
        height: result.height,
        fps: this.#source.fps,
        preset: this.#options.preset ?? OVERLAY_COPY_PRESET,
        ...(this.#options.crf === undefined ? {} : { crf: this.#options.crf }),
      });
      await method.writer.write(await drawLabelsRaw(result.image, labels));
      return;
    }
    if (!(timeS > method.lastS)) return;
    if (method.lastS === Number.NEGATIVE_INFINITY) method.firstS = timeS;
    let part = method.open ?? this.#openPart(method, 0);
    const partS = this.#options.partS ?? PART_S;
    const length = timeS - part.startS;
    // A part ends once long enough, right after a key frame: the next part then starts at this frame,
    // and ffmpeg, seeking to just before it, lands on that key frame (one frame decoded for nothing, not
    // a whole group of pictures). Without key frames said, or none for long, it ends by length alone.
    const afterKey = method.lastKey ?? true;
    if (part.frames > 0 && length >= partS && (afterKey || length >= MAX_PART_OVER * partS)) {
      // The analysis is past this part: it is encoded now, and the next starts with this frame (just
      // before it: ffmpeg seeks to a time and keeps the frames from there).
      part = await this.#close(method, part, timeS - SEEK_MARGIN_S);
    }
    method.lastKey = keyFrame;
    part.lines.push(part.overlay.frame(timeS - part.startS, labels));
    part.frames++;
    method.lastS = timeS;
  }

  /** Writes the copy: the last part is encoded, then the parts joined with the file's audio. */
  async finish(): Promise<void> {
    const method = this.#method;
    if (method.kind === "frames") {
      await method.writer?.close();
      return;
    }
    try {
      method.finishing = true;
      this.#progress(method);
      // No frame at all: the file is copied without labels.
      const last = method.open ?? this.#openPart(method, 0);
      if (last.index === 0) {
        // One part: the whole file in one go, with its audio.
        last.lines.push(last.overlay.end());
        await this.#writeScript(method, last);
        await writeOverlayCopy(this.#source.input, this.#scriptPath(method, last), this.#options.output, {
          ...this.#encoderOptions(method, last),
        });
        return;
      }
      await this.#close(method, last, undefined);
      await method.queue;
      if (method.failure !== undefined) throw method.failure;
      await joinOverlayParts(this.#source.input, method.files, method.firstS, this.#options.output, {
        signal: method.stop.signal,
      });
    } finally {
      await rm(method.dir, { recursive: true, force: true });
    }
  }

  /** Gives the copy up (the analysis failed): encoders stopped, nothing left behind. */
  async abort(): Promise<void> {
    const method = this.#method;
    if (method.kind === "frames") {
      await method.writer?.abort();
      return;
    }
    method.stop.abort(new Error("the annotated copy was given up"));
    await method.queue;
    await rm(method.dir, { recursive: true, force: true });
  }

  #openPart(method: Overlay, startS: number): Part {
    const index = method.files.length;
    const { width, height, fps } = this.#source;
    const overlay = new OverlayScript({ width, height, fps });
    const part: Part = { index, startS, frames: 0, overlay, lines: [overlay.header()] };
    method.open = part;
    method.files.push(path.join(method.dir, `part-${String(index).padStart(5, "0")}.ts`));
    method.encoded.push(0);
    return part;
  }

  /**
   * Closes `part` at `endS` (undefined: the end of the file) and queues its encoding; returns the next part,
   * opened at `endS`.
   */
  async #close(method: Overlay, part: Part, endS: number): Promise<Part>;
  async #close(method: Overlay, part: Part, endS: undefined): Promise<undefined>;
  async #close(method: Overlay, part: Part, endS: number | undefined): Promise<Part | undefined> {
    part.lines.push(part.overlay.end());
    method.open = undefined;
    const next = endS === undefined ? undefined : this.#openPart(method, endS);
    await this.#writeScript(method, part);
    const durationS = endS === undefined ? undefined : endS - part.startS;
    const file = method.files[part.index] as string;
    method.queue = method.queue.then(async () => {
      if (method.failure !== undefined || method.stop.signal.aborted) return;
      try {
        await writeOverlayCopy(this.#source.input, this.#scriptPath(method, part), file, {
          ...this.#encoderOptions(method, part),
          part: { startS: part.startS, ...(durationS === undefined ? {} : { durationS }) },
        });
      } catch (error) {
        method.failure ??= error;
      }
    });
    return next;
  }

  #scriptPath(method: Overlay, part: Part): string {
    return path.join(method.dir, `part-${String(part.index).padStart(5, "0")}.ass`);
  }

  async #writeScript(method: Overlay, part: Part): Promise<void> {
    await writeFile(this.#scriptPath(method, part), part.lines.join(""));
    part.lines = [];
  }

  #encoderOptions(method: Overlay, part: Part): OverlayCopyOptions {
    const { preset, crf } = this.#options;
    return {
      ...(preset === undefined ? {} : { preset }),
      ...(crf === undefined ? {} : { crf }),
      signal: method.stop.signal,
      onProgress: (frames) => {
        method.encoded[part.index] = frames;
        this.#progress(method);
      },
    };
  }

  #progress(method: Overlay): void {
    const { onProgress } = this.#options;
    if (!onProgress || !method.finishing) return;
    const total = this.#source.frameCount;
    onProgress({ frame: method.encoded.reduce((a, b) => a + b, 0), ...(total ? { total } : {}) });
  }
}
