import path from "node:path";
import { isClipReference } from "@facetracker/clips";
import { FaceTracker } from "@facetracker/sdk";
import { CliError } from "../cli-error.ts";
import { configFrom, jsonStyle, type OptionTable, openRecognizer, parse, printJson } from "../common.ts";
import { checkDamage } from "../damaged-video.ts";
import { describeFaceChoice, faceChoiceFrom } from "../face-choice.ts";
import { ProgressReporter } from "../progress.ts";
import { inputFile, STDIO } from "../stdio.ts";

export const enrollUsage = `facetracker enroll [--db DIR] --name NAME [--attr KEY=VALUE]... [--face N | --box X,Y,W,H] [--force] [--json] PHOTO...
       facetracker enroll [--db DIR] --name NAME --from-video VIDEO --track ID [--track ID]... [--force] [--allow-damaged]
       (PHOTO '-': standard input; VIDEO: as for analyze: a file, '-', a stream, clip:KEY or s3://BUCKET/KEY)`;

export const enrollOptions = {
  name: { type: "string", arg: "NAME", help: "the person's name", defaultText: "required" },
  attr: { type: "string", arg: "KEY=VALUE", multiple: true, help: "an attribute of the person" },
  face: {
    type: "string",
    arg: "N",
    help: "the Nth face of the photo (1, 2, … from left to right)",
    defaultText: "the photo's subject",
  },
  box: {
    type: "string",
    arg: "X,Y,W,H",
    help: "the face in this box of the photo",
    defaultText: "the photo's subject",
  },
  force: {
    type: "boolean",
    help: "enroll even a face that matches another identity or is unlike the person's others",
  },
  json: { type: "boolean", help: "print the outcome of each photo as JSON" },
  "from-video": {
    type: "string",
    arg: "VIDEO",
    help: "enroll tracks of a video (see 'facetracker analyze') instead of photos",
  },
  track: {
    type: "string",
    arg: "ID",
    multiple: true,
    help: "with --from-video: a track to enroll (IDs as analyze prints them)",
  },
  "allow-damaged": {
    type: "boolean",
    help: "with --from-video: enroll even when frames of a damaged file could not be decoded",
  },
} as const satisfies OptionTable;

function parseAttributes(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const attributes: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CliError(`--attr: expected KEY=VALUE, got '${item}'`, 2);
    attributes[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return attributes;
}

function parseTrackIds(list: string[] | undefined): number[] {
  if (!list?.length)
    throw new CliError(
      `--from-video needs --track ID (see 'facetracker analyze VIDEO')\nusage: ${enrollUsage}`,
      2,
    );
  return list.flatMap((item) =>
    item.split(",").map((s) => {
      const id = Number(s.trim());
      if (!Number.isInteger(id) || id < 1)
        throw new CliError(`--track: expected a track ID (1, 2, …), got '${s}'`, 2);
      return id;
    }),
  );
}

export async function enrollCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, enrollOptions, enrollUsage);
  if (!values.name?.trim()) throw new CliError(`--name is required\nusage: ${enrollUsage}`, 2);
  const attributes = parseAttributes(values.attr);
  const video = values["from-video"];
  if (video) {
    if (positionals.length) throw new CliError(`--from-video takes no photos\nusage: ${enrollUsage}`, 2);
    if (values.face !== undefined || values.box !== undefined)
      throw new CliError(
        `--face and --box pick a face of a photo: not with --from-video\nusage: ${enrollUsage}`,
        2,
      );
    return enrollFromVideo(values, video, parseTrackIds(values.track), attributes);
  }
  if (positionals.length === 0) throw new CliError(`no photo given\nusage: ${enrollUsage}`, 2);
  if (values["allow-damaged"])
    throw new CliError(`--allow-damaged goes with --from-video\nusage: ${enrollUsage}`, 2);
  const face = faceChoiceFrom(values.face, values.box, { face: "--face", box: "--box" }, enrollUsage);
  const recognizer = await openRecognizer(values, false);
  try {
    const photos = positionals.map((p) => inputFile(p, "PHOTO", "stdin"));
    const report = await recognizer.enroll(values.name, photos, {
      attributes,
      force: values.force,
      face,
    });
    // Outcomes name the photo as given ('-' for standard input, not its temporary copy).
    for (const o of report.outcomes) {
      const i = photos.indexOf(o.image);
      if (i >= 0) o.image = positionals[i] as string;
      if (o.status === "error" && positionals.includes(STDIO))
        o.reason = o.reason.replace(photos[positionals.indexOf(STDIO)] as string, STDIO);
    }
    if (values.json) {
      // Boxes to 0.1 pixel: what a person reads (and passes back as --box).
      const rounded = (key: string, value: unknown) =>
        key === "box" && Array.isArray(value) ? value.map((v: number) => Number(v.toFixed(1))) : value;
      console.log(JSON.stringify(jsonStyle(report), rounded, 2));
    } else {
      for (const o of report.outcomes) {
        const which = "face" in o && o.face ? describeFaceChoice(o.face) : "";
        const image = which ? `${o.image} [${which}]` : o.image;
        if (o.status === "enrolled") console.log(`${image}: enrolled`);
        else if (o.status === "no_face") console.error(`${o.image}: no face found`);
        else if (o.status === "error")
          console.error(o.reason.startsWith(o.image) ? o.reason : `${o.image}: ${o.reason}`);
        else console.error(`${image}: ${o.status}: ${o.reason}`);
      }
      const verb = report.created ? "created" : "updated";
      console.log(
        report.enrolled > 0
          ? `${report.name}: ${verb}, ${report.enrolled} of ${positionals.length} photos enrolled`
          : `${report.name}: nothing enrolled (0 of ${positionals.length} photos usable)`,
      );
    }
    return report.enrolled > 0 ? 0 : 1;
  } finally {
    await recognizer.close();
  }
}

async function enrollFromVideo(
  values: {
    name?: string;
    force?: boolean;
    json?: boolean;
    "allow-damaged"?: boolean;
    config?: string;
    db?: string;
    threshold?: string;
  },
  video: string,
  trackIds: number[],
  attributes: Record<string, string> | undefined,
): Promise<number> {
  const given = video;
  video = inputFile(video, "--from-video", "stdin.video");
  const tracker = await FaceTracker.create(configFrom(values));
  try {
    const progress = new ProgressReporter(given === STDIO ? "stdin" : path.basename(video));
    const onProgress = (p: { frame: number; total?: number; fps: number }) =>
      progress.update(p.frame, p.total, p.fps);
    const result = isClipReference(video)
      ? await tracker.findFacesInClip(video, { onProgress })
      : await tracker.findFacesInFile(video, { onProgress });
    progress.finish(`${result.stats.frames} frames, ${result.faces.length} tracks`);
    checkDamage(given, result.stats, values["allow-damaged"] === true, "nothing enrolled");
    const faces = trackIds.map((id) => {
      const face = result.faces.find((f) => f.trackId === id);
      if (!face) {
        const known = result.faces.map((f) => f.trackId).join(", ") || "none";
        throw new CliError(`no track ${id} in ${given} (tracks: ${known})`);
      }
      return face;
    });
    const report = await tracker.enroll(values.name as string, faces, { attributes, force: values.force });
    if (values.json) printJson(report);
    else {
      // One line per track embedding left out (repeats, tracks unlike the others or the stored faces).
      for (const o of report.outcomes)
        if (o.status !== "enrolled" && "reason" in o) console.error(`${o.image}: ${o.status}: ${o.reason}`);
      const verb = report.created ? "created" : "updated";
      console.log(
        report.enrolled > 0
          ? `${report.name}: ${verb}, ${report.enrolled} embeddings from track${trackIds.length > 1 ? "s" : ""} ${trackIds.join(", ")}`
          : `${report.name}: nothing enrolled from track${trackIds.length > 1 ? "s" : ""} ${trackIds.join(", ")}`,
      );
    }
    return report.enrolled > 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof Error && /matches identity/.test(error.message)) throw new CliError(error.message);
    throw error;
  } finally {
    await tracker.close();
  }
}
