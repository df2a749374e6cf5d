import { existsSync } from "node:fs";
import path from "node:path";
import { MEMORY_FILE, type MemoryHit } from "@facetracker/face-memory";
import { analyzeOptionsFrom, openConfiguredMemory, runtimeOptionsFrom } from "@facetracker/pipeline";
import { embedPhotoFace, FaceChoiceError } from "@facetracker/sdk";
import { FaceAnalyzer } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { configFrom, fmt, type OptionTable, parse } from "../common.ts";
import { describeFaceChoice, faceChoiceFrom } from "../face-choice.ts";
import { inputFile } from "../stdio.ts";
import { parseSince } from "./clips.ts";

export const searchUsage =
  "facetracker search [--db DIR] [--camera C] [--since T] [--until T] [--limit N] [--face N | --box X,Y,W,H] [--json] PHOTO\n" +
  "       (PHOTO '-': standard input; T: a date 2026-11-24, a date and time 2026-11-24T10:15 (UTC unless a zone is given), or an age 30m, 12h, 7d)";

/** Tracks listed when --limit is not given, and the most it may ask for. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;

export const searchOptions = {
  camera: { type: "string", arg: "C", help: "only tracks of this camera", defaultText: "every source" },
  since: { type: "string", arg: "T", help: "only tracks seen since T", defaultText: "any time" },
  until: { type: "string", arg: "T", help: "only tracks seen until T", defaultText: "now" },
  limit: {
    type: "string",
    arg: "N",
    help: `the most tracks listed (1 to ${MAX_LIMIT})`,
    defaultText: String(DEFAULT_LIMIT),
  },
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
  json: { type: "boolean", help: "print the tracks found as JSON" },
} as const satisfies OptionTable;

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Where a remembered track was seen, as `source` says it: the camera, the file, or `clip:KEY`. */
function sourceOf(hit: MemoryHit): string {
  return hit.source.kind === "clip" ? `clip:${hit.source.name}` : hit.source.name;
}

/**
 * One found track as `--json` prints it: id (its memory ID, for `facetracker correct`), source (camera ID,
 * file path, or clip:KEY), camera (null for a
 * file), track_id, first_time / last_time (seconds into the video for files and clips, ISO times for
 * cameras), similarity, thumbnail (a data: URL of the best face's JPEG, or null), clip (clip:KEY of the
 * track's clip, or null), identity (its name, or null), closest (an unknown track's closest identity, or
 * null), undetermined.
 */
export function searchHitToJson(hit: MemoryHit) {
  const camera = hit.source.kind === "camera";
  return {
    id: hit.id,
    source: sourceOf(hit),
    camera: hit.source.camera ?? null,
    track_id: hit.trackId,
    first_time: camera ? new Date(hit.firstMs).toISOString() : round(hit.firstS ?? 0),
    last_time: camera ? new Date(hit.lastMs).toISOString() : round(hit.lastS ?? 0),
    similarity: round(hit.similarity),
    thumbnail: hit.thumbnail
      ? `data:image/jpeg;base64,${Buffer.from(hit.thumbnail).toString("base64")}`
      : null,
    clip: hit.clip ? `clip:${hit.clip.key}` : null,
    identity: hit.identity?.name ?? null,
    closest: hit.identity ? null : (hit.closest?.name ?? null),
    undetermined: hit.undetermined,
  };
}

/** "2026-11-24 10:15:00Z" */
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;

/** The table's columns for one found track. */
function row(hit: MemoryHit): string[] {
  const when =
    hit.source.kind === "camera"
      ? `${utc(hit.firstMs)} – ${utc(hit.lastMs).slice(11)}`
      : `${(hit.firstS ?? 0).toFixed(2)}–${(hit.lastS ?? 0).toFixed(2)} s`;
  const who = hit.identity
    ? hit.identity.name
    : hit.undetermined
      ? "undetermined"
      : hit.closest
        ? `unknown (closest: ${hit.closest.name})`
        : "unknown";
  return [
    String(hit.id),
    fmt(hit.similarity),
    `${hit.source.kind} ${sourceOf(hit).replace(/^clip:/, "")}`,
    `#${hit.trackId}`,
    when,
    who,
    hit.clip ? `clip:${hit.clip.key}` : "",
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new CliError(
      `--limit: expected a whole number from 1 to ${MAX_LIMIT}, got '${text}'\nusage: ${searchUsage}`,
      2,
    );
  return n;
}

/**
 * `facetracker search PHOTO`: the face of a photo (its subject, or --face / --box) looked for among the
 * remembered tracks (the face memory: live cameras, analysed files and clips), most similar first.
 */
export async function searchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, searchOptions, searchUsage);
  if (positionals.length !== 1) throw new CliError(`expected one photo\nusage: ${searchUsage}`, 2);
  const photo = positionals[0] as string;
  const limit = parseLimit(values.limit);
  const now = Date.now();
  const since = values.since === undefined ? undefined : parseSince(values.since, now, "--since").getTime();
  const until = values.until === undefined ? undefined : parseSince(values.until, now, "--until").getTime();
  if (since !== undefined && until !== undefined && until < since)
    throw new CliError(`--until is before --since\nusage: ${searchUsage}`, 2);
  const choice = faceChoiceFrom(values.face, values.box, { face: "--face", box: "--box" }, searchUsage);
  const config = configFrom(values);
  const file = path.join(config.db_path, MEMORY_FILE);
  if (!existsSync(file)) {
    throw new CliError(
      `nothing remembered yet: no face memory at ${file} ('facetracker analyze' remembers the tracks of a video, 'facetracker up' those of the cameras)`,
    );
  }
  const memory = openConfiguredMemory(config, { readOnly: true });
  try {
    const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
    const found = await embedPhotoFace(
      analyzer,
      inputFile(photo, "PHOTO", "stdin"),
      analyzeOptionsFrom(config),
      { maxPixels: config.limits.max_image_pixels },
      choice,
    ).catch((error: unknown) => {
      if (error instanceof FaceChoiceError) throw new CliError(`${photo}: ${error.message}`);
      throw error;
    });
    if (!found) throw new CliError(`no face found in ${photo}`);
    const hits = await memory.searchAsync(found.face.embedding, {
      ...(values.camera === undefined ? {} : { camera: values.camera }),
      ...(since === undefined ? {} : { sinceMs: since }),
      ...(until === undefined ? {} : { untilMs: until }),
      limit,
    });
    if (values.json) {
      console.log(JSON.stringify(hits.map(searchHitToJson), null, 2));
      return 0;
    }
    const which = describeFaceChoice(found.choice);
    if (which) console.error(`${photo}: ${which}`);
    if (hits.length === 0) {
      console.error(
        `no remembered track${values.camera || since || until ? " matches the filters" : " yet"}`,
      );
      return 0;
    }
    console.log(table([["id", "similarity", "source", "track", "seen", "who", "clip"], ...hits.map(row)]));
    return 0;
  } finally {
    memory.close();
  }
}
