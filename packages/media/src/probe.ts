/** Describes a video source with ffprobe: size, frame rate, codec, duration and frame count when known. */

import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { errnoCode } from "@facetracker/infra";
import { GuardedProcess } from "./child-process-guard.ts";
import { classifyFailure } from "./classify-failure.ts";
import { MediaError } from "./errors.ts";
import { probeArgs, type RtspTransport } from "./ffmpeg-args.ts";
import { hasSecretUrl, SecretInputFile } from "./secret-input.ts";
import {
  describeSource,
  isLiveSource,
  maskCredentials,
  type ParsedVideoSource,
  parseVideoSource,
} from "./source-spec.ts";

export interface ProbeOptions {
  /** Default "ffprobe" (looked up in PATH). */
  ffprobePath?: string;
  /** Network connect / read timeout in seconds (default 10); the whole probe is bounded by 2 × this + 5 s. */
  timeoutS?: number;
  /** Default "tcp". */
  rtspTransport?: RtspTransport;
}

export interface VideoProbe extends ParsedVideoSource {
  width: number;
  height: number;
  /** Average frame rate of the stream; undefined when the stream does not tell (some live streams). */
  fps?: number;
  /** Codec name as ffprobe gives it ("h264", "hevc", "mjpeg", ...). */
  codec: string;
  durationS?: number;
  /** Start of the video stream in its own timeline (ffprobe's start_time, seconds), when known. */
  startS?: number;
  /** Number of frames, when the container records it (MP4 does, Matroska and live streams do not). */
  frameCount?: number;
  /** Decoded pixel format ("yuv420p", "yuvj422p", ...), when known. */
  pixelFormat?: string;
  /** YCbCr matrix the stream declares ("bt709", "smpte170m", ...); absent when it declares none. */
  colorSpace?: string;
  /** "tv" (limited) or "pc" (full) when the stream declares it. */
  colorRange?: string;
  /** Codec of the first audio stream ("aac", "mp3", "opus", ...); absent when there is no audio. */
  audioCodec?: string;
}

export const DEFAULT_TIMEOUT_S = 10;
const MAX_PROBE_OUTPUT = 4 * 1024 * 1024;

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  start_time?: string;
  nb_frames?: string;
  pix_fmt?: string;
  color_space?: string;
  color_range?: string;
  disposition?: { attached_pic?: number };
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

/** "30000/1001" → 29.97; undefined for 0/0, 0 or absurd rates (time-base-like values of live streams). */
export function parseFrameRate(text: string | undefined): number | undefined {
  const match = /^(\d+)(?:\/(\d+))?$/.exec(text ?? "");
  if (!match) return undefined;
  const rate = Number(match[1]) / Number(match[2] ?? 1);
  return Number.isFinite(rate) && rate > 0 && rate <= 1000 ? rate : undefined;
}

function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function finiteNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && text !== "" && Number.isFinite(value) ? value : undefined;
}

async function checkLocalInput(source: ParsedVideoSource, label: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(source.input)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") {
      throw new MediaError("NOT_FOUND", `${label} not found`, { cause: error, source: source.input });
    }
    throw new MediaError("NOT_FOUND", `cannot access ${label}: ${(error as Error).message}`, {
      cause: error,
      source: source.input,
    });
  }
  if (isDirectory) {
    throw new MediaError("NOT_VIDEO", `${label} is a directory, not a video`, { source: source.input });
  }
  try {
    await access(source.input, constants.R_OK);
  } catch (error) {
    throw new MediaError("NOT_FOUND", `${label} cannot be read (permission denied)`, {
      cause: error,
      source: source.input,
    });
  }
}

async function runFfprobe(
  ffprobePath: string,
  args: string[],
  limitMs: number,
): Promise<{ ok: boolean; stdout: string; stderr: string; timedOut: boolean }> {
  const probe = await GuardedProcess.spawn(ffprobePath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  probe.child.stdout?.on("data", (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes <= MAX_PROBE_OUTPUT) out.push(chunk);
  });
  probe.child.stderr?.on("data", (chunk: Buffer) => {
    errBytes += chunk.length;
    if (errBytes <= MAX_PROBE_OUTPUT) err.push(chunk);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void probe.stop(1000);
  }, limitMs);
  const status = await probe.exited;
  clearTimeout(timer);
  return {
    ok: status.code === 0 && !timedOut,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    timedOut,
  };
}

/**
 * Probes `spec` (see parseVideoSource) with ffprobe. Rejects with MediaError: FFMPEG_MISSING, NOT_FOUND,
 * NOT_VIDEO, NO_VIDEO_STREAM, UNREACHABLE (network sources, timeouts included), UNAUTHORIZED, DECODE
 * (damaged file) or FFMPEG_FAILED.
 */
export async function probeVideo(
  spec: string | number | ParsedVideoSource,
  options: ProbeOptions = {},
): Promise<VideoProbe> {
  const source = typeof spec === "object" ? spec : parseVideoSource(spec);
  const label = describeSource(source);
  const shown = maskCredentials(source.input);
  const timeoutS = options.timeoutS ?? DEFAULT_TIMEOUT_S;
  if (!(Number.isFinite(timeoutS) && timeoutS > 0)) {
    throw new MediaError("INVALID_ARGUMENT", `timeoutS must be a positive number, got ${timeoutS}`);
  }
  if (source.kind === "file" || source.kind === "device") await checkLocalInput(source, label);

  const inputOptions = { rtspTransport: options.rtspTransport ?? "tcp", timeoutS } as const;
  // Credentials go through a private file, never the command line (see secret-input.ts).
  const secret = hasSecretUrl(source) ? await SecretInputFile.create(source, inputOptions) : undefined;
  let result: Awaited<ReturnType<typeof runFfprobe>>;
  try {
    const args = probeArgs(source, { ...inputOptions, ...(secret ? { secretScript: secret.path } : {}) });
    result = await runFfprobe(options.ffprobePath ?? "ffprobe", args, (timeoutS * 2 + 5) * 1000);
  } finally {
    await secret?.remove();
  }
  if (result.timedOut) {
    throw new MediaError(
      isLiveSource(source.kind) ? "UNREACHABLE" : "FFMPEG_FAILED",
      `cannot open ${label}: no answer within ${timeoutS * 2 + 5} s`,
      { source: shown },
    );
  }
  if (!result.ok) {
    const failure = classifyFailure(source.kind, result.stderr);
    throw new MediaError(failure.code, `cannot open ${label}: ${failure.reason}`, { source: shown });
  }
  return describeVideo(source, label, shown, result.stdout);
}

function describeVideo(source: ParsedVideoSource, label: string, shown: string, json: string): VideoProbe {
  let output: ProbeOutput;
  try {
    output = JSON.parse(json) as ProbeOutput;
  } catch (error) {
    throw new MediaError("FFMPEG_FAILED", `cannot open ${label}: unreadable ffprobe output`, {
      cause: error,
      source: shown,
    });
  }
  const streams = output.streams ?? [];
  // The tty demuxer takes any longer .txt file for ANSI art: a text file is not a video.
  if (streams.length === 0 || output.format?.format_name === "tty") {
    throw new MediaError("NOT_VIDEO", `cannot open ${label}: not a video file`, { source: shown });
  }
  const video = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (video === undefined) {
    const kinds = [...new Set(streams.map((s) => s.codec_type ?? "unknown"))].join(", ");
    throw new MediaError("NO_VIDEO_STREAM", `${label} has no video stream (only ${kinds})`, {
      source: shown,
    });
  }
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  if (!(width > 0 && height > 0)) {
    throw new MediaError(
      "DECODE",
      `cannot decode ${label}: unknown frame size (codec ${video.codec_name ?? "unknown"})`,
      { source: shown },
    );
  }
  const fps = parseFrameRate(video.avg_frame_rate) ?? parseFrameRate(video.r_frame_rate);
  const durationS = positiveNumber(video.duration) ?? positiveNumber(output.format?.duration);
  const frameCount = positiveNumber(video.nb_frames);
  const startS = finiteNumber(video.start_time) ?? finiteNumber(output.format?.start_time);
  const audio = streams.find((s) => s.codec_type === "audio");
  return {
    ...source,
    width,
    height,
    ...(fps === undefined ? {} : { fps }),
    codec: video.codec_name ?? "unknown",
    ...(durationS === undefined ? {} : { durationS }),
    ...(startS === undefined ? {} : { startS }),
    ...(frameCount === undefined ? {} : { frameCount: Math.round(frameCount) }),
    ...known("pixelFormat", video.pix_fmt),
    ...known("colorSpace", video.color_space),
    ...known("colorRange", video.color_range),
    ...known("audioCodec", audio?.codec_name),
  };
}

/** `{ [key]: value }` for a value ffprobe knows ("unknown" and absent ones give `{}`). */
function known<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined || value === "" || value === "unknown"
    ? {}
    : ({ [key]: value } as { [P in K]?: string });
}
