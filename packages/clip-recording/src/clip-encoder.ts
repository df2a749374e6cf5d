import { join } from "node:path";
import { VideoWriter } from "@facetracker/media";
import {
  decodeJpeg,
  type FrameRef,
  FrameSnapshotPairer,
  type FrameTracks,
  type PairedFrame,
} from "@facetracker/pipeline";
import type { Logger } from "@facetracker/service-kit";
import { drawLabelsRaw } from "@facetracker/vision";
import { decodeClipFrame } from "./clip-frames.ts";
import { type ClipFrameInfo, chooseClipFps, type FpsSource, snapshotLabels } from "./clip-results.ts";

/** Frames buffered to estimate the frame rate when the camera's is not configured. */
const FPS_SAMPLE_FRAMES = 8;

/** A frame handed to the encoder: its JPEG and where it stands in the source. */
export interface EncoderFrame extends ClipFrameInfo {
  jpeg: Uint8Array;
}

/** What the encoder wrote. */
export interface EncodedClip {
  videoPath: string;
  /** The annotated copy, when asked for. */
  annotatedPath: string | undefined;
  /** The frames written, in order. */
  frames: ClipFrameInfo[];
  fps: number;
  fpsSource: FpsSource;
  width: number;
  height: number;
  /** Frames whose JPEG did not decode (left out). */
  unreadable: number;
}

export interface ClipEncoderOptions {
  /** Directory the files are written in. */
  dir: string;
  /** The camera's configured frame rate (cameras[].fps); undefined: estimated from the frames. */
  configuredFps: number | undefined;
  /** Also write a copy with boxes, track IDs and names drawn (from the snapshots). */
  annotated: boolean;
  logger: Logger;
}

/**
 * Encodes one clip's frames as they come into `clip.mp4` (H.264 through ffmpeg) and, when asked, an
 * annotated copy `clip.annotated.mp4`. The frame rate is the camera's configured one, else estimated from
 * the first frames' pts (which are held back until then). Annotated frames wait for their snapshot (the
 * tracking results lag the frames; the camera's snapshots come through addSnapshot): the pairer, with its
 * default policy, decides each once its snapshot came or was passed, the rest at finish. Call add() one
 * frame at a time, in order.
 */
export class ClipEncoder {
  readonly #options: ClipEncoderOptions;
  readonly #held: EncoderFrame[] = [];
  readonly #frames: ClipFrameInfo[] = [];
  /** Pairs the annotated frames with their snapshots: no time limit, none when a snapshot was passed. */
  readonly #pairer = new FrameSnapshotPairer<EncoderFrame, FrameTracks>();
  #writer: VideoWriter | undefined;
  #annotatedWriter: VideoWriter | undefined;
  #fps: { fps: number; source: FpsSource } | undefined;
  #size: { width: number; height: number } | undefined;
  #annotating: Promise<void> = Promise.resolve();
  #annotateError: unknown;
  #unreadable = 0;

  constructor(options: ClipEncoderOptions) {
    this.#options = options;
  }

  get videoPath(): string {
    return join(this.#options.dir, "clip.mp4");
  }

  get annotatedPath(): string {
    return join(this.#options.dir, "clip.annotated.mp4");
  }

  /** Frames taken so far (written or held back). */
  get frameCount(): number {
    return this.#frames.length + this.#held.length;
  }

  /** Adds the next frame; rejects when ffmpeg fails (a frame that does not decode is left out, logged). */
  async add(frame: EncoderFrame): Promise<void> {
    if (this.#writer === undefined) {
      this.#held.push(frame);
      if (this.#options.configuredFps === undefined && this.#held.length < FPS_SAMPLE_FRAMES) return;
      await this.#open();
      return;
    }
    await this.#write(frame);
  }

  /** A snapshot of the camera came (in order): draws the annotated frames that were waiting for it. */
  addSnapshot(snapshot: FrameTracks): void {
    this.#drawAnnotated(this.#pairer.addSnapshot(snapshot));
  }

  /** Whether `frame`'s snapshot came or was passed (a later frame's came: it will not come any more). */
  settled(frame: FrameRef): boolean {
    return this.#pairer.settled(frame);
  }

  /**
   * Writes what is held back, draws the annotated frames still waiting (without boxes where no snapshot
   * came) and closes the files. Undefined when no frame could be written (nothing is left on disk then).
   */
  async finish(): Promise<EncodedClip | undefined> {
    if (this.#writer === undefined) await this.#open();
    const writer = this.#writer;
    if (writer === undefined || this.#frames.length === 0) {
      await this.abort();
      return undefined;
    }
    this.#drawAnnotated(this.#pairer.flush());
    await this.#annotating;
    await writer.close();
    await this.#closeAnnotated();
    const { fps, source } = this.#fps as { fps: number; source: FpsSource };
    const { width, height } = this.#size as { width: number; height: number };
    return {
      videoPath: writer.path,
      annotatedPath: this.#annotatedWriter?.path,
      frames: [...this.#frames],
      fps,
      fpsSource: source,
      width,
      height,
      unreadable: this.#unreadable,
    };
  }

  /**
   * Finishes the annotated copy. A copy that failed is dropped (logged): the clip itself is what matters,
   * so it is kept without one.
   */
  async #closeAnnotated(): Promise<void> {
    const annotated = this.#annotatedWriter;
    if (!annotated) return;
    try {
      if (this.#annotateError !== undefined) throw this.#annotateError;
      await annotated.close();
    } catch (error) {
      this.#annotatedWriter = undefined;
      await annotated.abort().catch(() => {});
      this.#options.logger.warn("annotated copy failed: the clip is kept without it", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Stops ffmpeg and removes the partial files. */
  async abort(): Promise<void> {
    await this.#annotating.catch(() => {});
    await Promise.all([this.#writer?.abort(), this.#annotatedWriter?.abort()]);
  }

  /** Picks the frame rate and size, opens the writers and writes the frames held back. */
  async #open(): Promise<void> {
    const held = this.#held.splice(0);
    let first: { width: number; height: number } | undefined;
    while (held.length > 0 && first === undefined) {
      const candidate = held[0] as EncoderFrame;
      try {
        first = await decodeJpeg(candidate.jpeg);
      } catch (error) {
        held.shift();
        this.#unreadableFrame(candidate, error);
      }
    }
    if (first === undefined) return;
    this.#size = { width: first.width, height: first.height };
    this.#fps = chooseClipFps(this.#options.configuredFps, held);
    const settings = { width: first.width, height: first.height, fps: this.#fps.fps };
    this.#writer = await VideoWriter.open(this.videoPath, settings);
    if (this.#options.annotated) this.#annotatedWriter = await VideoWriter.open(this.annotatedPath, settings);
    for (const frame of held) await this.#write(frame);
  }

  async #write(frame: EncoderFrame): Promise<void> {
    const writer = this.#writer as VideoWriter;
    let image: Awaited<ReturnType<typeof decodeClipFrame>>;
    try {
      image = await decodeClipFrame(frame.jpeg, writer.width, writer.height);
    } catch (error) {
      this.#unreadableFrame(frame, error);
      return;
    }
    await writer.write(image);
    this.#frames.push({ seq: frame.seq, pts: frame.pts, timeMs: frame.timeMs });
    if (this.#annotatedWriter) this.#drawAnnotated(this.#pairer.addFrame(frame, Date.now()));
  }

  #unreadableFrame(frame: EncoderFrame, error: unknown): void {
    this.#unreadable++;
    this.#options.logger.warn("clip frame does not decode: left out", {
      seq: frame.seq,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** Draws and writes annotated frames whose pairing is decided (without boxes where no snapshot came). */
  #drawAnnotated(pairs: PairedFrame<EncoderFrame, FrameTracks>[]): void {
    if (pairs.length === 0) return;
    this.#annotating = this.#annotating.then(async () => {
      const writer = this.#annotatedWriter;
      if (!writer || this.#annotateError !== undefined) return;
      try {
        for (const { frame, snapshot } of pairs) {
          const image = await decodeClipFrame(frame.jpeg, writer.width, writer.height);
          await writer.write(await drawLabelsRaw(image, snapshotLabels(snapshot)));
        }
      } catch (error) {
        this.#annotateError = error;
      }
    });
  }
}
