import { existsSync } from "node:fs";
import path from "node:path";
import { MEMORY_FILE, type MemoryHit } from "@facetracker/face-memory";
import { analyzeOptionsFrom, openConfiguredMemory, runtimeOptionsFrom } from "@facetracker/pipeline";
import { embedPhotoFace, FaceChoiceError } from "@facetracker/sdk";
import { FaceAnalyzer } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { configFrom, fmt, parse } from "../common.ts";
import { describeFaceChoice, faceChoiceFrom } from "../face-choice.ts";
import { parseSince } from "./clips.ts";

export const searchUsage =
  "facetracker search [--db DIR] [--camera C] [--since T] [--until T] [--limit N] [--face N | --box X,Y,W,H] [--json] PHOTO\n" +
  "       (T: a date 2026-11-24, a date and time 2026-11-24T10:15 (UTC unless a zone is given), or an age 30m, 12h, 7d)";

/** Tracks listed when --limit is not given, and the most it may ask for. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Where a remembered track was seen, as `source` says it: the camera, the file, or `clip:KEY`. */
function sourceOf(hit: MemoryHit): string {
  return hit.source.kind === "clip" ? `clip:${hit.source.name}` : hit.source.name;
}

/**
 * One found track as `--json` prints it: source (camera ID, file path, or clip:KEY), camera (null for a
 * file), track_id, first_time / last_time (seconds into the video for files and clips, ISO times for
 * cameras), similarity, thumbnail (a data: URL of the best face's JPEG, or null), clip (clip:KEY of the
 * track's clip, or null).
 */
export function searchHitToJson(hit: MemoryHit) {
  const camera = hit.source.kind === "camera";
  return {
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
  const { values, positionals } = parse(
    args,
    {
      camera: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
      face: { type: "string" },
      box: { type: "string" },
      json: { type: "boolean" },
    },
    searchUsage,
  );
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
      photo,
      analyzeOptionsFrom(config),
      { maxPixels: config.limits.max_image_pixels },
      choice,
    ).catch((error: unknown) => {
      if (error instanceof FaceChoiceError) throw new CliError(`${photo}: ${error.message}`);
      throw error;
    });
    if (!found) throw new CliError(`no face found in ${photo}`);
    const hits = memory.search(found.face.embedding, {
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
    console.log(table([["similarity", "source", "track", "seen", "who", "clip"], ...hits.map(row)]));
    return 0;
  } finally {
    memory.close();
  }
}
