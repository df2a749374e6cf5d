/**
 * An annotated copy of a video file made by ffmpeg alone: it reads the file again, draws an ASS overlay
 * script on the frames (libass: boxes and labels) and encodes H.264 with the file's audio (see
 * overlayCopyArgs). No frame goes through Node, decoding and encoding run in ffmpeg's own threads, and the
 * copy keeps the file's frames, timestamps and sound. A long copy can be made in parts (each a stretch of
 * the file, encoded as soon as its labels are known), then joined.
 */

import { stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errnoCode } from "@facetracker/infra";
import { GuardedProcess } from "./child-process-guard.ts";
import { MediaError } from "./errors.ts";
import { requireExecutable } from "./executable.ts";
import { joinPartsArgs, MP4_AUDIO_CODECS, overlayCopyArgs } from "./ffmpeg-args.ts";
import { probeVideo } from "./probe.ts";
import { parseVideoSource } from "./source-spec.ts";
import { LineSplitter, StderrTail } from "./stderr-lines.ts";
import { X264_PRESETS } from "./video-writer.ts";

/** The preset of annotated copies: x264's fastest (a copy to look at, not an archive). */
export const OVERLAY_COPY_PRESET = "ultrafast";

export interface OverlayCopyOptions {
  /** x264 preset (default OVERLAY_COPY_PRESET, "ultrafast"). */
  preset?: string;
  /** x264 constant rate factor, 0 (lossless) to 51 (default 23). */
  crf?: number;
  /**
   * A part of a copy (joined by joinOverlayParts): the stretch of the file from `startS` (seconds on its
   * timeline) lasting `durationS` (default: to the end), video only, as MPEG-TS; the script's times are
   * then counted from `startS`.
   */
  part?: { startS: number; durationS?: number };
  /** Frames encoded so far, about twice a second. */
  onProgress?: (framesDone: number) => void;
  /** Stops ffmpeg and removes the incomplete copy; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Default "ffmpeg". */
  ffmpegPath?: string;
  /** Default "ffprobe". */
  ffprobePath?: string;
}

export interface OverlayCopyResult {
  /** What became of the file's first audio stream. */
  audio: "copied" | "encoded" | "none";
  /** Frames written (ffmpeg's count). */
  frames: number;
}

function invalid(message: string): MediaError {
  return new MediaError("INVALID_ARGUMENT", message);
}

/**
 * Writes `output` (replaced if it exists): the video file `input` with `overlayScript` (an ASS script)
 * drawn on its frames. Rejects with MediaError: INVALID_ARGUMENT (not a file, bad preset or crf),
 * FFMPEG_MISSING, NOT_FOUND (no such file, or no directory for the output), WRITE (ffmpeg failed; the
 * incomplete copy is removed).
 */
export async function writeOverlayCopy(
  input: string,
  overlayScript: string,
  output: string,
  options: OverlayCopyOptions = {},
): Promise<OverlayCopyResult> {
  const { preset = OVERLAY_COPY_PRESET, crf = 23 } = options;
  if (!(X264_PRESETS as readonly string[]).includes(preset)) {
    throw invalid(`preset must be one of ${X264_PRESETS.join(", ")}, got ${JSON.stringify(preset)}`);
  }
  if (!(Number.isFinite(crf) && crf >= 0 && crf <= 51)) throw invalid(`crf must be in [0, 51], got ${crf}`);
  const source = parseVideoSource(input);
  if (source.kind !== "file") {
    throw invalid(`an annotated copy is made from a file, not a ${source.kind} source (${input})`);
  }
  const ffmpegPath = options.ffmpegPath ?? "ffmpeg";
  const ffprobePath = options.ffprobePath ?? "ffprobe";
  await requireExecutable(ffmpegPath, "ffmpeg");
  const target = await outputPath(output);
  const probe = await probeVideo(source, { ffprobePath });
  const { part } = options;
  const args = overlayCopyArgs(source, target, {
    overlayScript,
    width: probe.width,
    height: probe.height,
    preset,
    crf,
    audioCodec: probe.audioCodec,
    ...(part ? { container: "mpegts" as const, startS: part.startS } : {}),
    ...(part?.durationS === undefined ? {} : { durationS: part.durationS }),
  });
  const frames = await runFfmpeg(ffmpegPath, args, target, options);
  const audio =
    part || probe.audioCodec === undefined
      ? "none"
      : MP4_AUDIO_CODECS.has(probe.audioCodec)
        ? "copied"
        : "encoded";
  return { audio, frames };
}

/**
 * Joins the parts of a copy (writeOverlayCopy with `part`, in order, covering the file from its start)
 * into `output`, an MP4 file with the first audio stream of `input`, the file they were made from.
 * `firstFrameS`: the time of the file's first frame on its timeline (VideoFrame.streamS), where the
 * joined video starts, as in the file. Rejects like writeOverlayCopy.
 */
export async function joinOverlayParts(
  input: string,
  parts: readonly string[],
  firstFrameS: number,
  output: string,
  options: Pick<OverlayCopyOptions, "signal" | "ffmpegPath" | "ffprobePath"> = {},
): Promise<Pick<OverlayCopyResult, "audio">> {
  if (parts.length === 0) throw invalid("an annotated copy needs at least one part to join");
  const source = parseVideoSource(input);
  if (source.kind !== "file") {
    throw invalid(`an annotated copy is made from a file, not a ${source.kind} source (${input})`);
  }
  const ffmpegPath = options.ffmpegPath ?? "ffmpeg";
  await requireExecutable(ffmpegPath, "ffmpeg");
  const target = await outputPath(output);
  const probe = await probeVideo(source, { ffprobePath: options.ffprobePath ?? "ffprobe" });
  const args = joinPartsArgs(
    parts.map((p) => resolve(p)),
    firstFrameS,
    source,
    target,
    probe.audioCodec,
  );
  await runFfmpeg(ffmpegPath, args, target, options);
  const codec = probe.audioCodec;
  return { audio: codec === undefined ? "none" : MP4_AUDIO_CODECS.has(codec) ? "copied" : "encoded" };
}

/** The absolute path of a copy to write; MediaError("NOT_FOUND") when its folder does not exist. */
async function outputPath(output: string): Promise<string> {
  const target = resolve(output);
  try {
    if (!(await stat(dirname(target))).isDirectory()) throw new Error("not a directory");
  } catch (error) {
    throw new MediaError("NOT_FOUND", `cannot write video ${target}: no directory ${dirname(target)}`, {
      cause: error,
      source: target,
    });
  }
  return target;
}

/**
 * Runs ffmpeg writing `target`: its progress lines (frames done) to onProgress, its error lines for the
 * message; a failure removes the incomplete file and rejects with MediaError("WRITE"). Resolves with the
 * frames written.
 */
async function runFfmpeg(
  ffmpegPath: string,
  args: string[],
  target: string,
  options: Pick<OverlayCopyOptions, "onProgress" | "signal">,
): Promise<number> {
  const guarded = await GuardedProcess.spawn(ffmpegPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const tail = new StderrTail();
  const errors = new LineSplitter();
  guarded.child.stderr?.setEncoding("utf8");
  guarded.child.stderr?.on("data", (chunk: string) => {
    for (const line of errors.push(chunk)) tail.add(line);
  });
  let frames = 0;
  const progress = new LineSplitter();
  guarded.child.stdout?.setEncoding("utf8");
  guarded.child.stdout?.on("data", (chunk: string) => {
    for (const line of progress.push(chunk)) {
      const match = /^frame=(\d+)$/.exec(line.trim());
      if (!match) continue;
      frames = Number(match[1]);
      options.onProgress?.(frames);
    }
  });
  const abort = () => void guarded.stop(0, "SIGKILL");
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    const status = await guarded.exited;
    for (const line of errors.end()) tail.add(line);
    options.signal?.throwIfAborted();
    if (status.code !== 0) {
      const exit =
        status.signal === null
          ? `ffmpeg exited with code ${status.code}`
          : `ffmpeg was killed by ${status.signal}`;
      const said = tail.toString();
      throw new MediaError("WRITE", `cannot write video ${target}: ${exit}${said ? `: ${said}` : ""}`, {
        source: target,
      });
    }
  } catch (error) {
    await unlink(target).catch((e: unknown) => {
      if (errnoCode(e) !== "ENOENT") throw e;
    });
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  return frames;
}
