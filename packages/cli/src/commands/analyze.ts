import { mkdir } from "node:fs/promises";
import path from "node:path";
import { isClipReference } from "@facetracker/clips";
import type { AnnotateOptions, FrameResult, TrackResult, VideoFaces } from "@facetracker/pipeline";
import { FaceTracker } from "@facetracker/sdk";
import { faceLabel, type Label } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { configFrom, type OptionTable, parse } from "../common.ts";
import { checkDamage } from "../damaged-video.ts";
import { ProgressReporter } from "../progress.ts";
import { type ClipClock, readClipClock, reportContext } from "../report-context.ts";
import { renderReport } from "../report-html.ts";
import { catToStdout, inputFile, oneStdout, privateTempDir, STDIO, writeOutput } from "../stdio.ts";
import { openStoredClips } from "./clips.ts";

export const analyzeUsage =
  "facetracker analyze [--db DIR] [--json OUT.json] [--report OUT.html] [--annotate OUT.mp4] [--quiet] [--allow-damaged] [--no-remember] VIDEO\n" +
  "       (VIDEO: a file, '-' for standard input, an rtsp:// or http(s):// stream, clip:KEY of the configured clip storage, or s3://BUCKET/KEY)";

export const analyzeOptions = {
  json: {
    type: "string",
    arg: "FILE",
    help: "write the tracks and run statistics as JSON ('-': standard output)",
  },
  report: { type: "string", arg: "FILE", help: "write an HTML report ('-': standard output)" },
  annotate: {
    type: "string",
    arg: "FILE",
    help: "write an annotated copy of the video, MP4 ('-': standard output)",
  },
  quiet: { type: "boolean", help: "no progress bar" },
  "allow-damaged": {
    type: "boolean",
    help: "exit 0 even when frames of a damaged file could not be decoded",
  },
  "no-remember": {
    type: "boolean",
    help: "do not keep the tracks in the face memory (<db>/memory.sqlite) for 'facetracker search'",
  },
} as const satisfies OptionTable;

/**
 * The --json document: tracks with identity and first/last sighting, and run statistics with what a
 * damaged file lost (lost_frames, corrupt_frames, damaged_ranges; 0, 0, [] for a clean one).
 */
export function analysisToJson(result: VideoFaces) {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    tracks: result.faces.map((f) => ({
      track_id: f.trackId,
      identity: f.identity ? { name: f.identity.name, similarity: round(f.identity.similarity) } : null,
      /** Not named: the identity the face came closest to, below the threshold (null: no candidate). */
      closest:
        !f.identity && f.closest ? { name: f.closest.name, similarity: round(f.closest.similarity) } : null,
      /** No face good enough to tell who it is (identity null then means "cannot tell", not unknown). */
      undetermined: f.undetermined,
      first_frame: f.firstFrame,
      last_frame: f.lastFrame,
      first_time: round(f.firstTime),
      last_time: round(f.lastTime),
      frames: f.frames,
    })),
    stats: {
      frames: result.stats.frames,
      detections: result.stats.detections,
      embeddings: result.stats.embeddings,
      fps: Math.round(result.stats.fps * 10) / 10,
      lost_frames: result.stats.lostFrames,
      corrupt_frames: result.stats.corruptFrames,
      damaged_ranges: result.stats.damagedRanges.map((r) => ({
        start_time: round(r.startS),
        end_time: round(r.endS),
        frames: r.frames,
        kind: r.kind,
      })),
    },
  };
}

/**
 * Box label for a track: "#<id> <name> <similarity>" (known), "…" (tentative), "#<id> undetermined" (no
 * face good enough yet), "#<id> unknown"; colours by kind.
 */
export function trackLabel(t: TrackResult): Label {
  if (t.identity) {
    const { name, similarity } = t.identity;
    return faceLabel("known", t.box, { trackId: t.trackId, name, similarity });
  }
  if (t.state === "tentative") return faceLabel("identifying", t.box, {}, "…");
  if (t.undetermined) return faceLabel("undetermined", t.box, { trackId: t.trackId });
  return faceLabel("unknown", t.box, { trackId: t.trackId });
}

async function ensureParent(file: string, option: string): Promise<void> {
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  } catch (error) {
    throw new CliError(
      `${option}: cannot create the folder of ${file} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

export async function analyzeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, analyzeOptions, analyzeUsage);
  if (positionals.length !== 1) throw new CliError(`expected one video\nusage: ${analyzeUsage}`, 2);
  const given = positionals[0] as string;
  const toStdout = oneStdout(
    [
      ["--json", values.json],
      ["--report", values.report],
      ["--annotate", values.annotate],
    ],
    analyzeUsage,
  );
  for (const [option, file] of [
    ["--json", values.json],
    ["--report", values.report],
    ["--annotate", values.annotate],
  ] as const) {
    if (file && file !== STDIO) await ensureParent(file, option);
  }
  // With an output on standard output, what is printed for people goes to standard error.
  const say = toStdout ? console.error : console.log;
  const video = inputFile(given, "VIDEO", "stdin.video");
  const annotateFile =
    values.annotate === STDIO ? path.join(privateTempDir(), "annotated.mp4") : values.annotate;
  let clipClock: ClipClock | undefined;
  if (isClipReference(video)) {
    // A missing clip or an unreachable storage says so at once, before the models load.
    const clips = openStoredClips(values);
    try {
      await clips.clip(video);
      // The report gives the clip's times on the wall clock, from its side file.
      if (values.report) clipClock = await readClipClock(clips, video);
    } finally {
      await clips.close();
    }
  }
  const tracker = await FaceTracker.create(configFrom(values));
  const label = given === STDIO ? "stdin" : path.basename(video);
  const progress = values.quiet ? undefined : new ProgressReporter(label);
  try {
    // The annotated copy: ffmpeg draws the labels over the file's own frames once the analysis is done.
    const encoding = values.quiet ? undefined : new ProgressReporter(`${label} annotated copy`);
    let encodingStart: { ms: number; frame: number } | undefined;
    const annotate: AnnotateOptions | undefined = annotateFile
      ? {
          output: annotateFile,
          labels: (r: FrameResult) => r.tracks.filter((t) => t.state !== "lost").map(trackLabel),
          onProgress: ({ frame, total }) => {
            // Parts encoded during the analysis count at once; the rate is that of the wait.
            encodingStart ??= { ms: performance.now(), frame };
            const s = (performance.now() - encodingStart.ms) / 1000;
            encoding?.update(frame, total, s > 0 ? (frame - encodingStart.frame) / s : 0);
          },
        }
      : undefined;
    const options = {
      onProgress: (p: { frame: number; total?: number; fps: number }) =>
        progress?.update(p.frame, p.total, p.fps),
      ...(annotate ? { annotate } : {}),
      // Every track into the face memory (<db_path>/memory.sqlite), for `facetracker search`.
      remember: values["no-remember"] !== true,
    };
    const openedAtMs = Date.now();
    const result = isClipReference(video)
      ? await tracker.findFacesInClip(video, {
          ...options,
          onDownload: (d) => {
            if (!values.quiet) console.error(`downloading ${d.key} from ${d.storage}`);
          },
        })
      : await tracker.findFacesInFile(video, options);
    progress?.finish(
      `${result.stats.frames} frames, ${result.faces.length} tracks, ${result.stats.embeddings} embeddings, ${result.stats.fps.toFixed(1)} fps`,
    );
    if (values.json) await writeOutput(values.json, `${JSON.stringify(analysisToJson(result), null, 2)}\n`);
    if (values.report) {
      const context = await reportContext({
        given,
        video,
        report: values.report,
        annotate: values.annotate,
        values,
        ...(clipClock ? { clipClock } : {}),
        openedAtMs,
      });
      await writeOutput(values.report, renderReport(result, context));
    }
    if (values.annotate === STDIO && annotateFile) await catToStdout(annotateFile);
    for (const f of result.faces) {
      const who = f.identity
        ? `${f.identity.name} (${f.identity.similarity.toFixed(2)})`
        : f.undetermined
          ? "undetermined (no face good enough to tell)"
          : f.closest
            ? `unknown — closest: ${f.closest.name} ${f.closest.similarity.toFixed(2)}`
            : "unknown";
      say(
        `track ${f.trackId}: ${who}, ${f.firstTime.toFixed(2)}–${f.lastTime.toFixed(2)} s, ${f.frames} frames`,
      );
    }
    for (const [what, file] of [
      ["json", values.json],
      ["report", values.report],
      ["annotated video", values.annotate],
    ]) {
      if (file) say(`${what}: ${file === STDIO ? "standard output" : file}`);
    }
    if (options.remember) say(`remembered: ${result.faces.length} tracks in ${tracker.memory.file}`);
    checkDamage(
      given,
      result.stats,
      values["allow-damaged"] === true,
      "the results cover the frames that decoded",
    );
    return 0;
  } finally {
    await tracker.close();
  }
}
