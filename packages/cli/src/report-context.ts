/**
 * What `analyze --report` tells the report beyond the analysis: the video the page plays (the annotated
 * copy, else the file when a browser can play it), the video's length, the wall clock (a stored clip's
 * capture times, a live stream's opening time) and the enroll command of a track.
 */

import path from "node:path";
import { pathToFileURL } from "node:url";
import { CLIP_SUFFIXES, clipBaseKey, isClipReference } from "@facetracker/clips";
import { isLiveSource, parseVideoSource, probeVideo } from "@facetracker/media";
import { NAME_ARG, type ReportOptions, TRACK_ARG } from "./report-html.ts";
import { STDIO } from "./stdio.ts";

/** Video codecs and containers Chromium, Firefox and Safari play (one of them at least, H.264 all). */
const PLAYABLE_CODECS = new Set(["h264", "vp8", "vp9", "av1"]);
const PLAYABLE_FILES = new Set([".mp4", ".m4v", ".mov", ".webm"]);

/** `target` as a URL from the report's folder: relative, or a file:// URL when the report goes to stdout. */
export function urlFromReport(report: string, target: string): string {
  if (report === STDIO) return pathToFileURL(path.resolve(target)).href;
  return path
    .relative(path.dirname(path.resolve(report)), path.resolve(target))
    .split(path.sep)
    .map(encodeURIComponent)
    .join("/");
}

/** A stored clip's side file (`<key>.json`): its first frame's capture time and each frame's. */
export interface ClipClock {
  startMs: number;
  endMs: number;
  frameTimesMs: (number | undefined)[];
}

/** Reads the wall clock of a clip's side file; undefined when it has none or it says no time. */
export function clipClockFrom(json: string): ClipClock | undefined {
  let doc: { start_ms?: unknown; end_ms?: unknown; per_frame?: unknown };
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof doc?.start_ms !== "number" || !Number.isFinite(doc.start_ms)) return undefined;
  const frames = Array.isArray(doc.per_frame) ? doc.per_frame : [];
  const frameTimesMs: (number | undefined)[] = [];
  for (const f of frames as { index?: unknown; time_ms?: unknown }[]) {
    if (Number.isInteger(f?.index) && typeof f.time_ms === "number" && Number.isFinite(f.time_ms))
      frameTimesMs[f.index as number] = f.time_ms;
  }
  const endMs = typeof doc.end_ms === "number" && Number.isFinite(doc.end_ms) ? doc.end_ms : doc.start_ms;
  return { startMs: doc.start_ms, endMs, frameTimesMs };
}

/** The stored clips, as `analyze` opens them (only what the report needs). */
export interface ClipReader {
  locate(ref: string): { storage: { get(key: string): Promise<Uint8Array> }; key: string };
}

/** The side file of the clip `ref` names, read; undefined when the clip has none. */
export async function readClipClock(clips: ClipReader, ref: string): Promise<ClipClock | undefined> {
  const { storage, key } = clips.locate(ref);
  try {
    const bytes = await storage.get(`${clipBaseKey(key)}${CLIP_SUFFIXES.results}`);
    return clipClockFrom(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined; // a clip without its side file: times from the start of the video only
  }
}

export interface ReportContextInput {
  /** VIDEO as given ('-', a file, a URL, clip:KEY). */
  given: string;
  /** The video analysed (a local file for '-'). */
  video: string;
  /** --report (a file or '-'). */
  report: string;
  /** --annotate as given (a file or '-'), if any. */
  annotate: string | undefined;
  /** The options that chose the gallery and the threshold, repeated in the enroll command. */
  values: { config?: string; db?: string; threshold?: string };
  /** A stored clip's wall clock (readClipClock). */
  clipClock?: ClipClock;
  /** When a live source was opened, ms since the epoch. */
  openedAtMs?: number;
}

/** The ReportOptions of an `analyze --report` run. */
export async function reportContext(input: ReportContextInput): Promise<ReportOptions> {
  const { given, video, report, annotate, values } = input;
  const options: ReportOptions = {};
  const clip = isClipReference(video);
  const source = clip || given === STDIO ? undefined : parseVideoSource(video);
  if (source?.kind === "file" && given !== STDIO) {
    const probe = await probeVideo(source).catch(() => undefined);
    if (probe?.durationS !== undefined) options.durationS = probe.durationS;
    const playable =
      probe !== undefined &&
      PLAYABLE_CODECS.has(probe.codec) &&
      PLAYABLE_FILES.has(path.extname(video).toLowerCase());
    if (playable && report !== STDIO) options.video = { src: urlFromReport(report, video), annotated: false };
  } else if (given === STDIO) {
    const probe = await probeVideo(video).catch(() => undefined);
    if (probe?.durationS !== undefined) options.durationS = probe.durationS;
  }
  if (annotate && annotate !== STDIO)
    options.video = { src: urlFromReport(report, annotate), annotated: true };
  if (input.clipClock) {
    const { startMs, endMs, frameTimesMs } = input.clipClock;
    options.clock = { startMs, frameTimesMs, note: "the capture times of the clip's side file" };
    options.durationS ??= (endMs - startMs) / 1000;
  } else if (source && isLiveSource(source.kind) && input.openedAtMs !== undefined) {
    options.clock = {
      startMs: input.openedAtMs,
      note: "approximate: this computer's clock when the stream was opened",
    };
  }
  if (given === STDIO) {
    options.enroll = {
      unavailable:
        "Read from standard input: save the video to a file to enroll a face of it (facetracker enroll --from-video FILE --track ID --name NAME).",
    };
  } else if (source && isLiveSource(source.kind)) {
    options.enroll = {
      unavailable:
        "A live stream cannot be read again: to enroll a face of it, record it to a file and use facetracker enroll --from-video FILE --track ID --name NAME.",
    };
  } else {
    const from = clip ? video : path.resolve(video);
    options.enroll = {
      args: [
        "facetracker",
        "enroll",
        ...(values.config && values.config !== STDIO ? ["--config", path.resolve(values.config)] : []),
        ...(values.db ? ["--db", path.resolve(values.db)] : []),
        ...(values.threshold ? ["--threshold", values.threshold] : []),
        "--name",
        NAME_ARG,
        "--from-video",
        from,
        "--track",
        TRACK_ARG,
      ],
    };
  }
  return options;
}
