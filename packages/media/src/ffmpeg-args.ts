/** Argument lists for ffprobe (probe), ffmpeg decoding to raw RGB24 frames, and ffmpeg encoding to MP4. */

import type { ParsedVideoSource } from "./source-spec.ts";

export type RtspTransport = "tcp" | "udp";

export interface InputOptions {
  rtspTransport: RtspTransport;
  /** Network connect / read timeout, seconds. */
  timeoutS: number;
  /** Read a file at its native frame rate (`-re`); ignored for other sources. */
  realtime?: boolean;
}

/** The options before and including `-i` that open `source` (protocol options, timeouts). */
export function inputArgs(source: ParsedVideoSource, options: InputOptions): string[] {
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

export interface DecodeOptions extends InputOptions {
  /** Output frame size (the source's, or the resolution override). */
  width: number;
  height: number;
  /** Constant output rate (fps filter: frames dropped or duplicated); undefined keeps the source's timing. */
  fps?: number;
}

/**
 * ffmpeg decoding the first video stream to raw RGB24 frames of a fixed size on stdout. The filter chain
 * ends with showinfo, whose stderr lines give each frame's timestamp; `-fps_mode passthrough` makes
 * ffmpeg write exactly the frames showinfo saw (no duplication or dropping at the output), and
 * `-flush_packets 1` writes each frame out at once (no frame held back in ffmpeg's output buffer).
 */
export function decodeArgs(source: ParsedVideoSource, options: DecodeOptions): string[] {
  const filters = [
    ...(options.fps === undefined ? [] : [`fps=${options.fps}`]),
    `scale=${options.width}:${options.height}`,
    "format=rgb24",
    "showinfo=checksum=0",
  ];
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "level+info",
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
    "-pix_fmt",
    "rgb24",
    "-f",
    "rawvideo",
    "-flush_packets",
    "1",
    "pipe:1",
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
 * ffmpeg reading raw RGB24 frames on stdin and writing H.264 (libx264, yuv420p) MP4 with the index at the
 * front (+faststart). yuv420p needs even dimensions: an odd width or height is padded by one black column
 * or row.
 */
export function encodeArgs(outputPath: string, options: EncodeOptions): string[] {
  const evenWidth = options.width + (options.width % 2);
  const evenHeight = options.height + (options.height % 2);
  const pad =
    evenWidth === options.width && evenHeight === options.height
      ? []
      : ["-vf", `pad=${evenWidth}:${evenHeight}:0:0:black`];
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-video_size",
    `${options.width}x${options.height}`,
    "-framerate",
    String(options.fps),
    "-i",
    "pipe:0",
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
