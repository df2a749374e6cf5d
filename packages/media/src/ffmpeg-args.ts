/**
 * Argument lists for ffprobe (probe), ffmpeg decoding to raw RGB24 frames or to JPEG images, ffmpeg
 * encoding to MP4, and the live publishers (ffmpeg to RTSP, an ffplay window).
 */

import { DEFAULT_JPEG_QUALITY, IDENTITY_QSCALE, jpegQuantTables } from "./jpeg-quality.ts";
import { hasSecretUrl, secretInputArgs } from "./secret-input.ts";
import type { ParsedVideoSource } from "./source-spec.ts";

/** ffmpeg without its banner, keyboard or progress lines, logging at `level` ("level+info": showinfo's lines). */
function quietArgs(level: "level+info" | "error"): string[] {
  return ["-hide_banner", "-nostdin", "-nostats", "-loglevel", level];
}

export type RtspTransport = "tcp" | "udp";

export interface InputOptions {
  rtspTransport: RtspTransport;
  /** Network connect / read timeout, seconds. */
  timeoutS: number;
  /** Read a file at its native frame rate (`-re`); ignored for other sources. */
  realtime?: boolean;
  /**
   * The private ffconcat script (SecretInputFile) holding the URL of a source with credentials: required
   * for those (hasSecretUrl), so that no secret reaches the command line.
   */
  secretScript?: string;
}

/** The options before and including `-i` that open `source` (protocol options, timeouts). */
export function inputArgs(source: ParsedVideoSource, options: InputOptions): string[] {
  if (hasSecretUrl(source)) {
    if (options.secretScript === undefined) {
      throw new Error("a source URL with credentials must be given to ffmpeg through a SecretInputFile");
    }
    return secretInputArgs(options.secretScript);
  }
  const timeoutUs = String(Math.max(1, Math.round(options.timeoutS * 1_000_000)));
  switch (source.kind) {
    case "file":
      // The file: prefix keeps a name with a colon from being taken for a protocol; the whitelist keeps a
      // playlist-like file from making ffmpeg open other files or URLs.
      return [
        ...(options.realtime ? ["-re"] : []),
        "-protocol_whitelist",
        "file",
        "-i",
        `file:${source.input}`,
      ];
    case "rtsp":
      // rtsp's -timeout bounds the TCP connect and every socket read (microseconds, ffmpeg >= 5).
      return ["-rtsp_transport", options.rtspTransport, "-timeout", timeoutUs, "-i", source.input];
    case "http":
      // -timeout goes down to the TCP socket (connect included), -rw_timeout bounds each read.
      return ["-timeout", timeoutUs, "-rw_timeout", timeoutUs, "-i", source.input];
    case "device":
      return ["-f", "v4l2", "-i", source.input];
  }
}

export function probeArgs(source: ParsedVideoSource, options: InputOptions): string[] {
  return [
    "-hide_banner",
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_streams",
    "-show_format",
    ...inputArgs(source, { ...options, realtime: false }),
  ];
}

/** What a decoded frame's bytes are: raw RGB24 pixels, or the frame encoded as a baseline JPEG image. */
export type VideoFrameEncoding = "rgb24" | "jpeg";

/** What the probe said of the decoded pictures: lets the jpeg output pick its cheaper colour conversion. */
export interface InputPicture {
  width: number;
  height: number;
  /** ffprobe's pix_fmt, color_space and color_range, when known. */
  pixelFormat?: string;
  colorSpace?: string;
  colorRange?: string;
}

/** YCbCr matrices (ffprobe's names) the colorspace filter converts from; others go through swscale. */
const COLORSPACE_FILTER_MATRICES = new Set(["bt709", "bt470bg", "smpte170m", "smpte240m", "fcc", "bt2020nc"]);

/**
 * Filters making full-range BT.601 yuvj420p frames of `width` × `height` (JFIF's YCbCr, what libjpeg
 * assumes), converted from the source's matrix and range as the rgb24 output's are (a stream that declares
 * no matrix is taken as BT.601, as swscale does). When resizing, swscale converts in the same pass. At the
 * source's size, swscale would need a full filtering pass for the range alone (about 2.5 ms a 720p frame),
 * so 8-bit 4:2:0 video of even size goes through the colorspace filter (a matrix over the planes, about a
 * tenth of that) and a scale that only relabels the full-range yuv420p as yuvj420p (a plane copy; it still
 * scales if the stream changes size).
 */
function jpegFilters(width: number, height: number, input: InputPicture | undefined): string[] {
  const yuvj = `scale=${width}:${height}`;
  const matrix = input?.colorSpace ?? "bt470bg";
  if (
    input === undefined ||
    input.width !== width ||
    input.height !== height ||
    input.pixelFormat !== "yuv420p" ||
    width % 2 !== 0 ||
    height % 2 !== 0 ||
    !COLORSPACE_FILTER_MATRICES.has(matrix)
  ) {
    return [`${yuvj}:out_color_matrix=bt601:out_range=full`, "format=yuvj420p"];
  }
  // fast=1 with equal primaries and transfer in and out: the YCbCr matrix and the range only.
  const colorspace = [
    `ispace=${matrix}`,
    `irange=${input.colorRange === "pc" ? "pc" : "tv"}`,
    "space=bt470bg",
    "range=pc",
    ...["iprimaries=bt709", "primaries=bt709", "itrc=bt709", "trc=bt709", "fast=1", "format=yuv420p"],
  ];
  return [`colorspace=${colorspace.join(":")}`, `${yuvj}:in_range=full:out_range=full`, "format=yuvj420p"];
}

/**
 * The mjpeg encoder writing baseline JPEG (JFIF, yuvj420p) with libjpeg's quantization tables for
 * `quality` (see jpeg-quality.ts), one image per packet, raw on stdout. One encoder thread: frame threads
 * save no CPU on one camera's frames and cost about 9 MB a process (720p).
 */
function jpegOutput(quality: number): string[] {
  const { luma, chroma } = jpegQuantTables(quality);
  return [
    ...["-c:v", "mjpeg", "-threads", "1", "-pix_fmt", "yuvj420p", "-color_range", "pc"],
    ...[
      "-q:v",
      String(IDENTITY_QSCALE),
      "-intra_matrix",
      luma.join(","),
      "-chroma_intra_matrix",
      chroma.join(","),
    ],
    ...["-f", "mjpeg"],
  ];
}

export interface DecodeOptions extends InputOptions {
  /** Output frame size (the source's, or the resolution override). */
  width: number;
  height: number;
  /** Constant output rate (fps filter: frames dropped or duplicated); undefined keeps the source's timing. */
  fps?: number;
  /** What is written on stdout (default "rgb24"). */
  output?: VideoFrameEncoding;
  /** JPEG quality of the "jpeg" output, libjpeg's 1-100 (default DEFAULT_JPEG_QUALITY). */
  jpegQuality?: number;
  /** The source's pictures as probed; without it the jpeg output converts colours the slower, safe way. */
  input?: InputPicture;
  /**
   * Also writes each frame resized to this size (the whole picture, aspect not kept), RGB24, on file
   * descriptor 3: the frame's detection copy (rgb24 output only). Scaled by swscale's fast bilinear (two
   * taps, as the detector's own resampling of a frame: the same detections, a quarter of the cost of an
   * area average).
   */
  detectionCopy?: { width: number; height: number };
}

/**
 * ffmpeg decoding the first video stream to frames of a fixed size on stdout: raw RGB24, or ("jpeg") one
 * baseline JPEG image per frame from the mjpeg encoder. The filter chain ends with showinfo, whose stderr
 * lines give each frame's timestamp; `-fps_mode passthrough` makes ffmpeg write exactly the frames
 * showinfo saw (no duplication or dropping at the output), and `-flush_packets 1` writes each frame out at
 * once (no frame held back in ffmpeg's output buffer).
 *
 * JPEG images are full-range BT.601 YCbCr 4:2:0 (JFIF, what libjpeg assumes when decoding), converted
 * from the source's matrix and range (see jpegFilters), so the colours decoded from the JPEG match those of
 * the rgb24 output.
 */
export function decodeArgs(source: ParsedVideoSource, options: DecodeOptions): string[] {
  const { width, height } = options;
  const jpeg = (options.output ?? "rgb24") === "jpeg";
  if (options.detectionCopy !== undefined) {
    if (jpeg) throw new Error("a detection copy is decoded along rgb24 frames only");
    return decodeWithCopyArgs(source, options, options.detectionCopy);
  }
  const filters = [
    ...(options.fps === undefined ? [] : [`fps=${options.fps}`]),
    ...(jpeg ? jpegFilters(width, height, options.input) : [`scale=${width}:${height}`, "format=rgb24"]),
    "showinfo=checksum=0",
  ];
  const output = jpeg
    ? jpegOutput(options.jpegQuality ?? DEFAULT_JPEG_QUALITY)
    : ["-pix_fmt", "rgb24", "-f", "rawvideo"];
  return [
    ...quietArgs("level+info"),
    ...inputArgs(source, options),
    "-map",
    "0:V:0",
    "-an",
    "-sn",
    "-dn",
    "-vf",
    filters.join(","),
    "-fps_mode",
    "passthrough",
    ...output,
    "-flush_packets",
    "1",
    "pipe:1",
  ];
}

/**
 * decodeArgs with a detection copy: one decoding, split in the filter graph into the frames (rgb24 on
 * stdout, showinfo for their timestamps) and their copies (rgb24 on file descriptor 3), frame for frame.
 */
function decodeWithCopyArgs(
  source: ParsedVideoSource,
  options: DecodeOptions,
  copy: { width: number; height: number },
): string[] {
  const head = options.fps === undefined ? "[0:V:0]" : `[0:V:0]fps=${options.fps},`;
  const graph =
    `${head}split=2[frame][copy];` +
    `[frame]scale=${options.width}:${options.height},format=rgb24,showinfo=checksum=0[frames];` +
    `[copy]scale=${copy.width}:${copy.height}:flags=fast_bilinear,format=rgb24[copies]`;
  const rawOutput = (label: string, target: string) => [
    "-map",
    label,
    "-fps_mode",
    "passthrough",
    "-pix_fmt",
    "rgb24",
    "-f",
    "rawvideo",
    "-flush_packets",
    "1",
    target,
  ];
  return [
    ...quietArgs("level+info"),
    ...inputArgs(source, options),
    "-filter_complex",
    graph,
    ...rawOutput("[frames]", "pipe:1"),
    ...rawOutput("[copies]", "pipe:3"),
  ];
}

export interface EncodeOptions {
  width: number;
  height: number;
  fps: number;
  crf: number;
  preset: string;
}

/**
 * The filter that pads an odd width or height by one black column or row (yuv420p needs even sizes);
 * none for an even size.
 */
export function evenSizePadArgs(width: number, height: number): string[] {
  const evenWidth = width + (width % 2);
  const evenHeight = height + (height % 2);
  return evenWidth === width && evenHeight === height
    ? []
    : ["-vf", `pad=${evenWidth}:${evenHeight}:0:0:black`];
}

/** The raw video on stdin of an encoder or player: RGB24 frames of one size. */
export interface RawVideoFormat {
  width: number;
  height: number;
  /** Nominal frame rate. */
  fps: number;
}

/** The input options reading RGB24 frames of `format` from stdin (ffplay spells the pixel format flag out). */
function rawVideoInputArgs(format: RawVideoFormat, pixelFormatFlag: "-pix_fmt" | "-pixel_format"): string[] {
  return [
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
 * ffmpeg reading raw RGB24 frames on stdin and writing H.264 (libx264, yuv420p) MP4 with the index at the
 * front (+faststart). yuv420p needs even dimensions: an odd width or height is padded by one black column
 * or row.
 */
export function encodeArgs(outputPath: string, options: EncodeOptions): string[] {
  const pad = evenSizePadArgs(options.width, options.height);
  return [
    ...quietArgs("error"),
    ...rawVideoInputArgs(options, "-pix_fmt"),
    ...pad,
    "-c:v",
    "libx264",
    "-preset",
    options.preset,
    "-crf",
    String(options.crf),
    "-pix_fmt",
    "yuv420p",
    "-movflags",
    "+faststart",
    "-f",
    "mp4",
    "-y",
    `file:${outputPath}`,
  ];
}

/** Options reading live RGB24 frames from stdin timestamped as they arrive (wall clock). */
function liveInputArgs(format: RawVideoFormat, pixelFormatFlag: "-pix_fmt" | "-pixel_format"): string[] {
  return ["-use_wallclock_as_timestamps", "1", ...rawVideoInputArgs(format, pixelFormatFlag)];
}

/**
 * ffmpeg arguments publishing stdin's frames to `url`: libx264 ultrafast / zerolatency (no B-frames), a
 * keyframe every second (`format.fps` frames) so a viewer starts within a second, yuv420p (an odd size is
 * padded to even), variable frame rate (frames keep their arrival times).
 */
export function rtspPublishArgs(url: string, format: RawVideoFormat, transport: RtspTransport): string[] {
  const gop = String(Math.max(1, Math.round(format.fps)));
  const pad = evenSizePadArgs(format.width, format.height);
  return [
    ...quietArgs("error"),
    ...liveInputArgs(format, "-pix_fmt"),
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
 * allows; it exits at the end of its input (-autoexit), so it closes with its writer.
 */
export function ffplayArgs(title: string, format: RawVideoFormat): string[] {
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
    ...liveInputArgs(format, "-pixel_format"),
  ];
}

/**
 * A value inside a filter graph given with -vf: escaped for the filter's option parser (`\`, `'`, `:`), then
 * for the graph parser (`\`, `'`, `,`, `;`, `[`, `]`), as ffmpeg's filtergraph escaping rules say.
 */
export function filterValue(value: string): string {
  const option = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\',;[\]]/g, (c) => `\\${c}`);
}

/** Audio codecs an MP4 file holds as they are (copied); any other audio is encoded to AAC. */
export const MP4_AUDIO_CODECS: ReadonlySet<string> = new Set(["aac", "mp3", "ac3", "eac3", "alac"]);

export interface OverlayCopyArgs {
  /** The ASS script drawn over the frames (ffmpeg's ass filter, libass). */
  overlayScript: string;
  /** The source's frame size (an odd one is padded to even for yuv420p). */
  width: number;
  height: number;
  preset: string;
  crf: number;
  /** The source's first audio stream codec; undefined: no audio. */
  audioCodec: string | undefined;
  /**
   * Only the part of the file from `startS` (seconds on its timeline; earlier frames are decoded and
   * dropped) for `durationS` seconds (default: to the end). The part's script starts at 0; its frames keep
   * their times on the file's timeline (so that parts joined end to end keep them).
   */
  startS?: number;
  durationS?: number;
  /** "mp4" (default): a whole copy with the audio; "mpegts": a part of one, video only (see joinPartsArgs). */
  container?: "mp4" | "mpegts";
}

/**
 * ffmpeg making an annotated copy of a video file by itself: it decodes the file (its own threads),
 * draws the ASS overlay script on each frame (the ass filter), encodes H.264 (libx264, yuv420p, its own
 * threads) and keeps the first audio stream (copied when MP4 holds its codec, else AAC), MP4 with the
 * index at the front; or a part of such a copy, video only, as MPEG-TS (joined by joinPartsArgs). Every
 * frame is kept with its own timestamp (the script's times are on the same timeline as the frames decoded
 * for the analysis, see VideoFrame.streamS). Progress as key=value lines on stdout.
 */
export function overlayCopyArgs(
  input: ParsedVideoSource,
  outputPath: string,
  options: OverlayCopyArgs,
): string[] {
  const evenWidth = options.width + (options.width % 2);
  const evenHeight = options.height + (options.height % 2);
  const pad =
    evenWidth === options.width && evenHeight === options.height
      ? []
      : [`pad=${evenWidth}:${evenHeight}:0:0:black`];
  const part = options.container === "mpegts";
  const audio =
    options.audioCodec === undefined || part
      ? ["-an"]
      : [
          "-map",
          "0:a:0",
          "-c:a",
          ...(MP4_AUDIO_CODECS.has(options.audioCodec) ? ["copy"] : ["aac", "-b:a", "160k"]),
        ];
  const seconds = (s: number) => s.toFixed(6);
  return [
    ...quietArgs("error"),
    "-progress",
    "pipe:1",
    ...(options.startS ? ["-ss", seconds(options.startS)] : []),
    // A file: the network options are not used.
    ...inputArgs(input, { rtspTransport: "tcp", timeoutS: 10 }),
    ...(options.durationS === undefined ? [] : ["-t", seconds(options.durationS)]),
    ...(part && options.startS ? ["-output_ts_offset", seconds(options.startS)] : []),
    "-map",
    "0:V:0",
    "-vf",
    [`ass=filename=${filterValue(options.overlayScript)}`, ...pad, "format=yuv420p"].join(","),
    // Every frame with its own timestamp (in the file's time base, not rounded to a nominal rate).
    "-fps_mode",
    "passthrough",
    "-enc_time_base:v",
    "-1",
    "-c:v",
    "libx264",
    "-preset",
    options.preset,
    "-crf",
    String(options.crf),
    ...audio,
    "-sn",
    "-dn",
    ...(part ? ["-f", "mpegts"] : ["-movflags", "+faststart", "-f", "mp4"]),
    "-y",
    `file:${outputPath}`,
  ];
}

/**
 * ffmpeg joining the parts of an annotated copy (MPEG-TS files whose frames keep their times, end to end:
 * the concat protocol) into one MP4, video copied as it is, with the first audio stream of the source file
 * (copied when MP4 holds its codec, else AAC), index at the front. `firstFrameS` is the first frame's time
 * on the file's timeline (ffmpeg starts every input at 0: the video is put back there, after the audio's
 * start, as in the file).
 */
export function joinPartsArgs(
  parts: readonly string[],
  firstFrameS: number,
  input: ParsedVideoSource,
  outputPath: string,
  audioCodec: string | undefined,
): string[] {
  const bad = parts.find((p) => p.includes("|"));
  if (bad !== undefined)
    throw new Error(`a part's path cannot hold "|" (the concat protocol's separator): ${bad}`);
  const audio =
    audioCodec === undefined
      ? ["-an"]
      : ["-map", "1:a:0", "-c:a", ...(MP4_AUDIO_CODECS.has(audioCodec) ? ["copy"] : ["aac", "-b:a", "160k"])];
  return [
    ...quietArgs("error"),
    ...(firstFrameS > 0 ? ["-itsoffset", firstFrameS.toFixed(6)] : []),
    ...["-protocol_whitelist", "concat,file", "-f", "mpegts"],
    ...["-i", `concat:${parts.map((p) => `file:${p}`).join("|")}`],
    ...(audioCodec === undefined ? [] : inputArgs(input, { rtspTransport: "tcp", timeoutS: 10 })),
    ...["-map", "0:v:0", "-c:v", "copy"],
    ...audio,
    ...["-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", "-y", `file:${outputPath}`],
  ];
}
