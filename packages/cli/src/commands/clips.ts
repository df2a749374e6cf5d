/**
 * `facetracker clips`: the alert clips in the configured storage (`storage` in the configuration: a local
 * directory or an S3/MinIO bucket): list them (a clip's .mp4/.json/.annotated.mp4 as one), download or
 * delete all the files of one.
 */
import { existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { type StoredClip, StoredClips } from "@facetracker/clips";
import { CliError } from "../cli-error.ts";
import { type CommonValues, configFrom, type OptionTable, parse } from "../common.ts";
import { catToStdout, STDIO } from "../stdio.ts";

export const clipsUsage = `facetracker clips list [--camera ID] [--since DATE] [--json]
       facetracker clips download [--out DIR] CLIP
       facetracker clips delete [--yes] CLIP
       (CLIP: a key such as cam1/2026-11-24/101500-a1b2 or its .mp4, clip:KEY, or s3://BUCKET/KEY)`;

export const clipsOptions = {
  camera: { type: "string", arg: "ID", help: "list: only this camera's clips", defaultText: "every camera" },
  since: {
    type: "string",
    arg: "DATE",
    help: "list: only clips since a date (2026-11-24), a date and time, or an age (30m, 12h, 7d)",
    defaultText: "all",
  },
  json: { type: "boolean", help: "list: print JSON" },
  out: {
    type: "string",
    arg: "DIR",
    help: "download: the folder for the clip's files ('-': the video alone to standard output)",
    defaultText: ".",
  },
  yes: { type: "boolean", short: "y", help: "delete: do not ask" },
} as const satisfies OptionTable;

/** The stored clips of the configuration (`--config`, FACETRACKER_STORAGE__*). */
export function openStoredClips(values: CommonValues): StoredClips {
  return StoredClips.open(configFrom(values).storage);
}

/**
 * --since: a date (YYYY-MM-DD, UTC midnight, as clip keys are in UTC), a date and time (ISO 8601; UTC
 * unless it names a zone), or an age: 30m, 12h, 7d. `option` names it in the error (`search --until` too).
 */
export function parseSince(text: string, now = Date.now(), option = "--since"): Date {
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
    return new Date(now - Number(age[1]) * unit);
  }
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(
      text.trim(),
    );
  if (m) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", zone = "Z"] = m;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const valid =
      month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60;
    const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
    const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
    if (valid && !Number.isNaN(date.getTime())) return date;
  }
  throw new CliError(
    `${option}: expected a date (2026-11-24), a date and time (2026-11-24T10:15, UTC unless a zone is given) ` +
      `or an age (30m, 12h, 7d), got '${text}'`,
    2,
  );
}

/** Bytes for people: 812 B, 3.4 KiB, 12.1 MiB, 1.2 GiB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** "2026-11-24 10:15:00Z" */
function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/** The --json form of a clip. */
function clipToJson(clip: StoredClip) {
  return {
    key: clip.key,
    camera: clip.camera ?? null,
    time: clip.time.toISOString(),
    size: clip.size,
    files: clip.files.map((f) => ({
      key: f.key,
      size: f.size,
      last_modified: f.lastModified.toISOString(),
    })),
  };
}

const suffixes = (clip: StoredClip) => clip.files.map((f) => f.key.slice(clip.key.length) || "(no suffix)");

const arity: Record<string, number> = { list: 0, download: 1, delete: 1 };

export async function clipsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, clipsOptions, clipsUsage);
  const [action, ...rest] = positionals;
  if (!action || !(action in arity)) {
    throw new CliError(
      `${action ? `unknown clips action '${action}'` : "missing clips action (list, download, delete)"}\nusage: ${clipsUsage}`,
      2,
    );
  }
  if (rest.length !== arity[action]) {
    const what = arity[action] === 0 ? "no argument" : "one clip";
    throw new CliError(`clips ${action}: expected ${what}, got ${rest.length}\nusage: ${clipsUsage}`, 2);
  }
  const allowed: Record<string, string[]> = {
    list: ["camera", "since", "json"],
    download: ["out"],
    delete: ["yes"],
  };
  for (const option of ["camera", "since", "json", "out", "yes"] as const) {
    if (values[option] !== undefined && !allowed[action]?.includes(option)) {
      throw new CliError(
        `clips ${action}: --${option} is not an option of ${action}\nusage: ${clipsUsage}`,
        2,
      );
    }
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const clips = openStoredClips(values);
  try {
    if (action === "list") {
      return await listClips(clips, {
        ...(values.camera === undefined ? {} : { camera: values.camera }),
        ...(since === undefined ? {} : { since }),
        json: values.json === true,
      });
    }
    if (action === "download") return await downloadClip(clips, rest[0] as string, values.out ?? ".");
    return await deleteClip(clips, rest[0] as string, values.yes === true);
  } finally {
    await clips.close();
  }
}

async function listClips(
  clips: StoredClips,
  options: { camera?: string; since?: Date; json: boolean },
): Promise<number> {
  const list = await clips.list(options);
  if (options.json) {
    console.log(JSON.stringify(list.map(clipToJson), null, 2));
    return 0;
  }
  const filters = [
    options.camera === undefined ? "" : ` of camera ${options.camera}`,
    options.since === undefined ? "" : ` since ${formatTime(options.since)}`,
  ].join("");
  if (list.length === 0) {
    const directory = (clips.storage as { directory?: unknown }).directory;
    const missing = typeof directory === "string" && !existsSync(directory) ? " (it does not exist)" : "";
    console.error(`no clips${filters} in ${clips.describe()}${missing}`);
    return 0;
  }
  const width = Math.max(...list.map((c) => c.key.length));
  const sizes = list.map((c) => formatSize(c.size));
  const sizeWidth = Math.max(...sizes.map((s) => s.length));
  list.forEach((clip, i) => {
    console.log(
      `${clip.key.padEnd(width)}  ${formatTime(clip.time)}  ${(sizes[i] as string).padStart(sizeWidth)}  ${suffixes(clip).join(" ")}`,
    );
  });
  const files = list.reduce((n, c) => n + c.files.length, 0);
  const total = list.reduce((n, c) => n + c.size, 0);
  console.error(
    `${list.length} clip${list.length === 1 ? "" : "s"}${filters} (${files} files, ${formatSize(total)}) in ${clips.describe()}`,
  );
  return 0;
}

async function downloadClip(clips: StoredClips, ref: string, out: string): Promise<number> {
  if (out === STDIO) {
    // The clip's video (its .mp4) alone: the other files say what it is, for a folder.
    await clips.withVideo(ref, (video) => catToStdout(video.path));
    return 0;
  }
  const { clip, paths } = await clips.download(ref, out);
  clip.files.forEach((file, i) => {
    console.log(`${file.key} -> ${paths[i]} (${formatSize(file.size)})`);
  });
  return 0;
}

async function deleteClip(clips: StoredClips, ref: string, yes: boolean): Promise<number> {
  const clip = await clips.clip(ref);
  const what = `clip ${clip.key} (${suffixes(clip).join(" ")}, ${formatSize(clip.size)}) from ${clips.describe()}`;
  if (!yes) {
    if (!process.stdin.isTTY) {
      throw new CliError(`clips delete: not deleting ${what} without --yes (stdin is not a terminal)`, 2);
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await prompt.question(`delete ${what}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        console.error("not deleted");
        return 1;
      }
    } finally {
      prompt.close();
    }
  }
  await clips.delete(ref);
  for (const file of clip.files) console.log(`deleted ${file.key}`);
  return 0;
}
