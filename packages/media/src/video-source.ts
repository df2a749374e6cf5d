/**
 * A video source (file, RTSP or HTTP stream, V4L2 camera) decoded by an ffmpeg child process into frames
 * read from a pipe: raw RGB24 pixels, or (output "jpeg") each frame encoded as a JPEG image by ffmpeg, for
 * callers that pass frames on without looking at the pixels. Files end at their end; live sources
 * reconnect with exponential backoff.
 */

import { abortableSleep } from "@facetracker/infra";
import { classifyFailure } from "./classify-failure.ts";
import {
  type DecodedFrame,
  DecoderProcess,
  FRAME_BUFFERS_REUSED,
  type FrameSplitter,
} from "./decoder-process.ts";
import { MediaError } from "./errors.ts";
import { requireExecutable } from "./executable.ts";
import { decodeArgs, type InputPicture, type RtspTransport, type VideoFrameEncoding } from "./ffmpeg-args.ts";
import { type FrameLoss, FrameLossCounter } from "./frame-loss.ts";
import { readFrames } from "./frame-reader.ts";
import { checkJpegQuality, DEFAULT_JPEG_QUALITY } from "./jpeg-quality.ts";
import { JpegStreamError, readJpegImages } from "./jpeg-stream-reader.ts";
import { DEFAULT_TIMEOUT_S, probeVideo } from "./probe.ts";
import { DEFAULT_RECONNECT, type ReconnectOptions, reconnectDelayMs } from "./reconnect.ts";
import { hasSecretUrl, SecretInputFile } from "./secret-input.ts";
import {
  describeSource,
  isLiveSource,
  maskCredentials,
  type ParsedVideoSource,
  parseVideoSource,
  type SourceKind,
} from "./source-spec.ts";
import { Timeline } from "./timeline.ts";

/** Frame rate assumed when the stream does not state one (some live streams). */
export const FALLBACK_FPS = 25;

/**
 * What happens to a source while frames() runs: a live source lost ("reconnecting": attempt n of the
 * current outage, starting in delayMs, and why) and back ("reconnected": the attempt that worked, once
 * its first frame came); "ended": a file reached its end.
 */
export type SourceEvent =
  | { type: "reconnecting"; attempt: number; delayMs: number; reason: string }
  | { type: "reconnected"; attempt: number }
  | { type: "ended" };

export interface VideoSourceOptions {
  /** Constant output frame rate (video_source_fps_override): frames are dropped or duplicated. */
  fps?: number;
  /** Output frame size (video_source_resolution_override), scaled. */
  resolution?: { width: number; height: number };
  /** Default "tcp". */
  rtspTransport?: RtspTransport;
  /** Network open / read timeout in seconds (default 10). */
  timeoutS?: number;
  /** Reconnection of live sources (rtsp, http, device): default 500 ms doubling up to 10 s, no limit. */
  reconnect?: ReconnectOptions;
  /** Reconnections and the end of a file. */
  onEvent?: (event: SourceEvent) => void;
  /** Default "ffmpeg". */
  ffmpegPath?: string;
  /** Default "ffprobe". */
  ffprobePath?: string;
  /** Read a file at its native rate (ffmpeg -re), to simulate a camera (default false). */
  realtime?: boolean;
  /**
   * The frames' buffers (pixels, detection copies) are reused in turn instead of allocated for each frame
   * (a 720p frame is 2.7 MB: no garbage to collect). A frame's bytes then change once the second frame
   * after it has been asked for: for a consumer that is done with each frame by then (default false).
   */
  reuseBuffers?: boolean;
}

/** The choice of what frames carry, given to VideoSource.open with the other options. */
export interface VideoOutputOptions {
  /**
   * "rgb24" (default): decoded pixels. "jpeg": each frame encoded by ffmpeg (mjpeg) as a baseline JPEG image
   * (full-range BT.601 4:2:0, colours as in rgb24), far cheaper to pass on than pixels to encode in Node.
   */
  output?: VideoFrameEncoding;
  /** JPEG quality 1-100 on libjpeg's (sharp's) scale, for output "jpeg" only (default 80). */
  jpegQuality?: number;
  /**
   * Also decode each frame at this size (the whole picture, aspect not kept, scaled by ffmpeg in the same
   * decoding), given as the frame's `detectionCopy`: what a detector with this input size reads instead of
   * resampling the frame (output "rgb24" only).
   */
  detectionCopy?: { width: number; height: number };
}

export interface VideoSourceInfo {
  kind: SourceKind;
  input: string;
  /** Frame size and rate of the frames produced (after the overrides). */
  width: number;
  height: number;
  fps: number;
  durationS?: number;
  /** Frames in the file: from the container, or duration × fps with an fps override; absent if unknown. */
  frameCount?: number;
  codec: string;
}

/** A frame of a VideoSource; `E` (and `encoding`) says what `data` holds, RGB24 pixels unless asked. */
export interface VideoFrame<E extends VideoFrameEncoding = "rgb24"> {
  /** 0 for the first frame, +1 for each frame, across reconnects. */
  index: number;
  /** Presentation time in seconds from the first frame (see timeline.ts), never decreasing. */
  pts: number;
  /**
   * The frame's time on the decoding ffmpeg's own timeline (its filters' timestamps), when ffmpeg gave
   * one: another ffmpeg run over the same file sees the same frame at this time (an annotated copy's
   * overlay script is timed with it). Restarts with each reconnection of a live source.
   */
  streamS?: number;
  /**
   * A key frame of the stream (decodable by itself: where a seek in the file lands), when ffmpeg said
   * (an annotated copy made in parts cuts after one).
   */
  keyFrame?: boolean;
  width: number;
  height: number;
  encoding: E;
  /** "rgb24": row-major RGB, width × height × 3 bytes. "jpeg": one baseline JPEG image (JFIF). */
  data: Uint8Array;
  /** The frame at the size asked for with the detectionCopy option, RGB24. */
  detectionCopy?: { width: number; height: number; data: Uint8Array };
}

interface ResolvedOptions {
  fps: number | undefined;
  resolution: { width: number; height: number } | undefined;
  rtspTransport: RtspTransport;
  timeoutS: number;
  reconnect: Required<ReconnectOptions>;
  onEvent: ((event: SourceEvent) => void) | undefined;
  ffmpegPath: string;
  ffprobePath: string;
  realtime: boolean;
  reuseBuffers: boolean;
  output: VideoFrameEncoding;
  jpegQuality: number;
  detectionCopy: { width: number; height: number } | undefined;
}

function invalid(message: string): MediaError {
  return new MediaError("INVALID_ARGUMENT", message);
}

function resolveOptions(options: VideoSourceOptions & VideoOutputOptions): ResolvedOptions {
  const { fps, resolution, timeoutS = DEFAULT_TIMEOUT_S, rtspTransport = "tcp", output = "rgb24" } = options;
  if (fps !== undefined && !(Number.isFinite(fps) && fps > 0 && fps <= 1000)) {
    throw invalid(`fps must be a number in (0, 1000], got ${fps}`);
  }
  if (resolution !== undefined) {
    for (const side of ["width", "height"] as const) {
      const value = resolution[side];
      if (!(Number.isSafeInteger(value) && value > 0 && value <= 16384)) {
        throw invalid(`resolution.${side} must be an integer in [1, 16384], got ${value}`);
      }
    }
  }
  if (!(Number.isFinite(timeoutS) && timeoutS > 0)) {
    throw invalid(`timeoutS must be a positive number, got ${timeoutS}`);
  }
  if (rtspTransport !== "tcp" && rtspTransport !== "udp") {
    throw invalid(`rtspTransport must be "tcp" or "udp", got ${JSON.stringify(rtspTransport)}`);
  }
  if (output !== "rgb24" && output !== "jpeg") {
    throw invalid(`output must be "rgb24" or "jpeg", got ${JSON.stringify(output)}`);
  }
  if (options.jpegQuality !== undefined) {
    if (output !== "jpeg") throw invalid(`jpegQuality applies to output "jpeg" only, not "${output}"`);
    try {
      checkJpegQuality(options.jpegQuality);
    } catch (error) {
      throw invalid((error as Error).message);
    }
  }
  const { detectionCopy } = options;
  if (detectionCopy !== undefined) {
    if (output !== "rgb24") throw invalid(`detectionCopy applies to output "rgb24" only, not "${output}"`);
    for (const side of ["width", "height"] as const) {
      const value = detectionCopy[side];
      if (!(Number.isSafeInteger(value) && value > 0 && value <= 16384)) {
        throw invalid(`detectionCopy.${side} must be an integer in [1, 16384], got ${value}`);
      }
    }
  }
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  for (const key of ["initialDelayMs", "maxDelayMs"] as const) {
    if (!(Number.isFinite(reconnect[key]) && reconnect[key] >= 0)) {
      throw invalid(`reconnect.${key} must be a non-negative number, got ${reconnect[key]}`);
    }
  }
  const { maxAttempts } = reconnect;
  if (!(maxAttempts === Infinity || (Number.isSafeInteger(maxAttempts) && maxAttempts >= 0))) {
    throw invalid(`reconnect.maxAttempts must be a non-negative integer, got ${maxAttempts}`);
  }
  return {
    fps,
    resolution: resolution === undefined ? undefined : { width: resolution.width, height: resolution.height },
    rtspTransport,
    timeoutS,
    reconnect,
    onEvent: options.onEvent,
    ffmpegPath: options.ffmpegPath ?? "ffmpeg",
    ffprobePath: options.ffprobePath ?? "ffprobe",
    realtime: options.realtime ?? false,
    reuseBuffers: options.reuseBuffers ?? false,
    output,
    jpegQuality: options.jpegQuality ?? DEFAULT_JPEG_QUALITY,
    detectionCopy:
      detectionCopy === undefined ? undefined : { width: detectionCopy.width, height: detectionCopy.height },
  };
}

/** The frames of a VideoSource of output `E`; `data` is RGB24 pixels or a JPEG image (see VideoFrame). */
export class VideoSource<E extends VideoFrameEncoding = "rgb24"> {
  readonly info: VideoSourceInfo;
  readonly #source: ParsedVideoSource;
  readonly #label: string;
  readonly #options: ResolvedOptions;
  /** The source's pictures as probed (for the jpeg output's colour conversion). */
  readonly #picture: InputPicture;
  /** Start of a file's video stream in its own timeline (ffprobe's start_time), when known. */
  readonly #startS: number | undefined;
  readonly #stop = new AbortController();
  #frameLoss: FrameLoss | undefined;
  #decoder: DecoderProcess | undefined;
  /** The ffmpeg run being started, for close() to stop it even before frames() has it. */
  #starting: Promise<DecoderProcess> | undefined;
  #iterated = false;
  #closing: Promise<void> | undefined;

  private constructor(
    source: ParsedVideoSource,
    info: VideoSourceInfo,
    options: ResolvedOptions,
    picture: InputPicture,
    startS: number | undefined,
  ) {
    this.#source = source;
    this.#label = describeSource(source);
    this.info = info;
    this.#options = options;
    this.#picture = picture;
    this.#startS = startS;
  }

  /**
   * Probes `spec` (camera index, /dev/videoN, rtsp(s)://, http(s)://, or a file path) and returns the
   * source, ready to iterate. Rejects with MediaError (FFMPEG_MISSING, NOT_FOUND, NOT_VIDEO,
   * NO_VIDEO_STREAM, UNREACHABLE, UNAUTHORIZED, DECODE, INVALID_ARGUMENT): the first connection is not
   * retried, only a source lost after opening is.
   */
  static open(
    spec: string | number,
    options?: VideoSourceOptions & {
      output?: "rgb24";
      jpegQuality?: undefined;
      detectionCopy?: VideoOutputOptions["detectionCopy"];
    },
  ): Promise<VideoSource>;
  /** Frames encoded as JPEG images by ffmpeg (output "jpeg"), `data` ready to store or send. */
  static open(
    spec: string | number,
    options: VideoSourceOptions & { output: "jpeg"; jpegQuality?: number; detectionCopy?: undefined },
  ): Promise<VideoSource<"jpeg">>;
  /** The output chosen at run time: frame.encoding tells which. */
  static open(
    spec: string | number,
    options: VideoSourceOptions & VideoOutputOptions,
  ): Promise<VideoSource<VideoFrameEncoding>>;
  static async open(
    spec: string | number,
    options: VideoSourceOptions & VideoOutputOptions = {},
  ): Promise<VideoSource<VideoFrameEncoding>> {
    const resolved = resolveOptions(options);
    const source = parseVideoSource(spec);
    await requireExecutable(resolved.ffprobePath, "ffprobe");
    await requireExecutable(resolved.ffmpegPath, "ffmpeg");
    const probe = await probeVideo(source, {
      ffprobePath: resolved.ffprobePath,
      timeoutS: resolved.timeoutS,
      rtspTransport: resolved.rtspTransport,
    });
    const fps = resolved.fps ?? probe.fps ?? FALLBACK_FPS;
    const frameCount =
      resolved.fps === undefined
        ? probe.frameCount
        : probe.durationS === undefined
          ? undefined
          : Math.round(probe.durationS * resolved.fps);
    const info: VideoSourceInfo = {
      kind: source.kind,
      input: source.input,
      width: resolved.resolution?.width ?? probe.width,
      height: resolved.resolution?.height ?? probe.height,
      fps,
      ...(probe.durationS === undefined ? {} : { durationS: probe.durationS }),
      ...(frameCount === undefined ? {} : { frameCount }),
      codec: probe.codec,
    };
    const { pixelFormat, colorSpace, colorRange } = probe;
    const picture: InputPicture = {
      width: probe.width,
      height: probe.height,
      ...(pixelFormat === undefined ? {} : { pixelFormat }),
      ...(colorSpace === undefined ? {} : { colorSpace }),
      ...(colorRange === undefined ? {} : { colorRange }),
    };
    return new VideoSource(source, info, resolved, picture, probe.startS);
  }

  /** Pid of the ffmpeg process decoding now (undefined before iterating and between reconnects). */
  get pid(): number | undefined {
    return this.#decoder?.pid;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * For a file whose frames() reached its end: the frames that could not be decoded (gaps, a missing head
   * or tail) or were decoded with errors, and where (times on the frames' pts timeline); see isDamaged and
   * describeFrameLoss. Undefined before the end, after close() stopped the run early, and for live sources.
   */
  get frameLoss(): FrameLoss | undefined {
    return this.#frameLoss;
  }

  /**
   * The decoded frames, once per source. A file ends at its end (a damaged one after the frames that
   * decode, or with MediaError("DECODE")); a live source reconnects until close() or until
   * reconnect.maxAttempts attempts in a row failed (MediaError("UNREACHABLE")). Leaving the loop early
   * stops ffmpeg.
   */
  frames(): AsyncGenerator<VideoFrame<E>> {
    if (this.#iterated) throw invalid(`frames() of ${this.#label} was already called`);
    this.#iterated = true;
    return this.#run();
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL after a grace period) and ends frames(). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.#stop.abort();
    const starting = await this.#starting?.catch(() => undefined);
    await Promise.all([starting?.stop(), this.#decoder?.stop()]);
  }

  async *#run(): AsyncGenerator<VideoFrame<E>> {
    const { width, height, fps } = this.info;
    const options = this.#options;
    // The type parameter is the output asked for in open() (its overloads tie the two together).
    const encoding = options.output as E;
    const live = isLiveSource(this.#source.kind);
    // Credentials go through a private file, never the command line (see secret-input.ts); removed at the end.
    const secret = hasSecretUrl(this.#source)
      ? await SecretInputFile.create(this.#source, options)
      : undefined;
    const args = decodeArgs(this.#source, {
      ...(secret ? { secretScript: secret.path } : {}),
      width,
      height,
      ...(options.fps === undefined ? {} : { fps: options.fps }),
      rtspTransport: options.rtspTransport,
      timeoutS: options.timeoutS,
      realtime: options.realtime,
      output: options.output,
      jpegQuality: options.jpegQuality,
      input: this.#picture,
      ...(options.detectionCopy === undefined ? {} : { detectionCopy: options.detectionCopy }),
    });
    const copy = options.detectionCopy;
    const copies =
      copy === undefined ? undefined : { bytes: copy.width * copy.height * 3, reuse: options.reuseBuffers };
    const split: FrameSplitter =
      options.output === "jpeg"
        ? // A JPEG image is far smaller than the raw frame; the bound only stops a stream without image ends.
          (chunks) => readJpegImages(chunks, { maxImageBytes: width * height * 4 + 1024 * 1024 })
        : (chunks) =>
            readFrames(chunks, width * height * 3, options.reuseBuffers ? FRAME_BUFFERS_REUSED : undefined);
    const file = this.#source.kind === "file";
    const timeline = new Timeline(fps, file ? this.#startS : undefined);
    const { durationS } = this.info;
    const loss = file
      ? new FrameLossCounter({
          fps,
          ...(this.#startS === undefined ? {} : { startS: this.#startS }),
          ...(durationS === undefined ? {} : { durationS }),
        })
      : undefined;
    let index = 0;
    /** The reconnect attempt under way (0: the first connection). */
    let attempt = 0;
    try {
      while (!this.closed) {
        this.#starting = DecoderProcess.start(options.ffmpegPath, args, split, copies);
        const decoder = await this.#starting;
        this.#decoder = decoder;
        if (this.closed) return;
        timeline.startSegment();
        let received = 0;
        let stalled = false;
        const stallMs = (options.timeoutS * 2 + 5) * 1000;
        const frames = decoder.frames();
        try {
          for (;;) {
            const next = live
              ? await this.#nextWithin(frames, stallMs, () => {
                  stalled = true;
                  void decoder.stop();
                })
              : await frames.next();
            if (next.done || this.closed) break;
            if (received === 0 && attempt > 0) options.onEvent?.({ type: "reconnected", attempt });
            received++;
            loss?.frame(next.value.streamS);
            const pts = timeline.map(next.value.streamS, performance.now());
            const { streamS, data, key } = next.value;
            const detectionCopy = copy && next.value.copy ? { ...copy, data: next.value.copy } : undefined;
            yield {
              index: index++,
              pts,
              ...(streamS === undefined ? {} : { streamS }),
              ...(key === undefined ? {} : { keyFrame: key }),
              width,
              height,
              encoding,
              data,
              ...(detectionCopy === undefined ? {} : { detectionCopy }),
            };
          }
        } catch (error) {
          if (!(error instanceof JpegStreamError)) throw error;
          throw new MediaError(
            "DECODE",
            `cannot decode ${this.#label}: ffmpeg wrote no valid JPEG: ${error.message}`,
            {
              cause: error,
              source: maskCredentials(this.#source.input),
            },
          );
        } finally {
          await frames.return(undefined);
        }
        const status = await decoder.exited;
        this.#decoder = undefined;
        this.#starting = undefined;
        if (this.closed) return;
        const reason = stalled
          ? `no frame for ${stallMs / 1000} s`
          : status.code === 0
            ? "stream ended"
            : this.#failureReason(decoder, status.code, status.signal);
        if (!live) {
          if (status.code === 0) {
            this.#frameLoss = loss?.finish(decoder.troubles);
            options.onEvent?.({ type: "ended" });
            return;
          }
          throw new MediaError(
            "DECODE",
            `cannot decode ${this.#label}${received > 0 ? ` after frame ${index - 1}` : ""}: ${reason}`,
            { source: this.#source.input },
          );
        }
        attempt = received > 0 ? 1 : attempt + 1;
        if (attempt > options.reconnect.maxAttempts) {
          const tries = options.reconnect.maxAttempts;
          const given =
            tries === 0
              ? "reconnection disabled"
              : `${tries} reconnect attempt${tries === 1 ? "" : "s"} failed`;
          throw new MediaError("UNREACHABLE", `${this.#label} lost, ${given}: ${reason}`, {
            source: maskCredentials(this.#source.input),
          });
        }
        const delayMs = reconnectDelayMs(attempt, options.reconnect);
        options.onEvent?.({ type: "reconnecting", attempt, delayMs, reason });
        await abortableSleep(delayMs, this.#stop.signal);
      }
    } finally {
      await this.#decoder?.stop();
      this.#decoder = undefined;
      this.#starting = undefined;
      await secret?.remove();
    }
  }

  /** frames.next(), calling onStall (which must end the run) when nothing comes within `ms`. */
  async #nextWithin(
    frames: AsyncGenerator<DecodedFrame>,
    ms: number,
    onStall: () => void,
  ): Promise<IteratorResult<DecodedFrame>> {
    const timer = setTimeout(onStall, ms);
    try {
      return await frames.next();
    } finally {
      clearTimeout(timer);
    }
  }

  #failureReason(decoder: DecoderProcess, code: number | null, signal: NodeJS.Signals | null): string {
    const exit = signal === null ? `ffmpeg exited with code ${code}` : `ffmpeg was killed by ${signal}`;
    const output = decoder.errorOutput;
    if (output === "") return exit;
    if (isLiveSource(this.#source.kind)) return classifyFailure(this.#source.kind, output).reason;
    return `${exit}: ${maskCredentials(output)}`;
  }
}
