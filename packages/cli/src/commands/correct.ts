import { existsSync } from "node:fs";
import path from "node:path";
import { type Correction, type FaceMemory, MEMORY_FILE, type TrackSource } from "@facetracker/face-memory";
import {
  CorrectionError,
  correctTrack,
  openConfiguredGallery,
  openConfiguredMemory,
  undoCorrection,
} from "@facetracker/pipeline";
import { CliError } from "../cli-error.ts";
import { configFrom, type OptionTable, parse, printJson } from "../common.ts";

export const correctUsage = `facetracker correct not [--db DIR] [--json] TRACK
       facetracker correct is [--db DIR] [--force] [--json] TRACK NAME
       facetracker correct undo [--db DIR] [--json] ID
       facetracker correct list [--db DIR] [--track TRACK] [--json]
       (TRACK: the track's memory ID as 'search' prints it (42 or #42), alert:ID (the track that raised the
        alert), or SOURCE:N, track N of a camera (door:14), a file (lobby.mp4:2) or a clip (clip:KEY:3))`;

export const correctOptions = {
  json: { type: "boolean", help: "print JSON" },
  force: {
    type: "boolean",
    help: "is: enroll the track's faces even when they match another identity or are unlike NAME's",
  },
  track: { type: "string", arg: "TRACK", help: "list: only this track's corrections", defaultText: "all" },
} as const satisfies OptionTable;

const sourceName = (s: TrackSource) => (s.kind === "clip" ? `clip:${s.name}` : s.name);
const where = (c: { source: TrackSource; trackId: number }) =>
  `${c.source.kind} ${sourceName(c.source)} #${c.trackId}`;

/** A correction as `--json` prints it (snake_case keys; times as ISO strings). */
export function correctionToJson(c: Correction) {
  const who = (e: { id: string; name: string; similarity?: number } | null) =>
    e
      ? {
          id: e.id || null,
          name: e.name,
          ...(e.similarity === undefined ? {} : { similarity: e.similarity }),
        }
      : null;
  return {
    id: c.id,
    memoryId: c.track,
    source: sourceName(c.source),
    camera: c.source.camera ?? null,
    trackId: c.trackId,
    kind: c.kind,
    before: {
      identity: who(c.before.identity),
      closest: who(c.before.closest),
      undetermined: c.before.undetermined,
    },
    after: who(c.after),
    negativeIdentity: who(c.negativeIdentity),
    negativeIds: c.negativeIds,
    embeddingIds: c.embeddingIds,
    identityCreated: c.identityCreated,
    time: new Date(c.createdMs).toISOString(),
    undoneTime: c.undoneMs === null ? null : new Date(c.undoneMs).toISOString(),
  };
}

function parseId(text: string, what: string): number {
  const id = Number(text.replace(/^#/, ""));
  if (!/^#?\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1)
    throw new CliError(`expected ${what} (1, 2, … or #1), got '${text}'\nusage: ${correctUsage}`, 2);
  return id;
}

/** The memory ID of the track TRACK names (see correctUsage); CliError when there is none. */
export function resolveTrack(memory: FaceMemory, text: string): number {
  if (/^#?\d+$/.test(text)) {
    const id = parseId(text, "a track's memory ID");
    if (!memory.track(id))
      throw new CliError(`no remembered track with memory ID ${id} ('facetracker search' lists them)`);
    return id;
  }
  if (text.startsWith("alert:")) {
    const alertId = text.slice("alert:".length);
    const id = alertId ? memory.findTrack({ alertId }) : undefined;
    if (id === undefined) throw new CliError(`no remembered track raised alert '${alertId}'`);
    return id;
  }
  const colon = text.lastIndexOf(":");
  const n = Number(text.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(text.slice(colon + 1)) || !Number.isSafeInteger(n)) {
    throw new CliError(
      `expected a track: a memory ID (42), alert:ID, or SOURCE:N (door:14, lobby.mp4:2, clip:KEY:3), got '${text}'\nusage: ${correctUsage}`,
      2,
    );
  }
  const source = text.slice(0, colon);
  const candidates: { kind: TrackSource["kind"]; name: string }[] = source.startsWith("clip:")
    ? [{ kind: "clip", name: source.slice("clip:".length) }]
    : [
        { kind: "camera", name: source },
        { kind: "file", name: path.resolve(source) },
        { kind: "file", name: source },
      ];
  for (const candidate of candidates) {
    const id = memory.findTrack({ source: candidate, trackId: n });
    if (id !== undefined) return id;
  }
  throw new CliError(`no remembered track #${n} of ${source} (a camera, a file analysed, or clip:KEY)`);
}

function openMemory(values: Parameters<typeof configFrom>[0], readOnly: boolean): FaceMemory {
  const config = configFrom(values);
  const file = path.join(config.db_path, MEMORY_FILE);
  if (!existsSync(file)) {
    throw new CliError(
      `nothing to correct: no face memory at ${file} ('facetracker analyze' remembers the tracks of a video, 'facetracker up' those of the cameras)`,
    );
  }
  return openConfiguredMemory(config, { readOnly });
}

const decision = (d: Correction["before"]) =>
  d.identity
    ? d.identity.name
    : d.undetermined
      ? "undetermined"
      : d.closest
        ? `unknown (closest: ${d.closest.name})`
        : "unknown";

/**
 * `facetracker correct not|is|undo|list`: corrections of a remembered track's identity (docs/memory.md,
 * Corrections), done with the gallery and the memory of db_path (pipeline's track-correction.ts).
 */
export async function correctCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, correctOptions, correctUsage);
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { not: 1, is: 2, undo: 1, list: 0 };
  if (!action || !(action in arity)) {
    throw new CliError(
      `${action ? `unknown correct action '${action}'` : "missing correct action"}\nusage: ${correctUsage}`,
      2,
    );
  }
  if (rest.length !== arity[action]) {
    throw new CliError(
      `correct ${action}: expected ${arity[action]} argument(s), got ${rest.length}\nusage: ${correctUsage}`,
      2,
    );
  }
  if (action === "is" && !(rest[1] as string).trim()) throw new CliError("correct is: the name is empty", 2);
  if (action === "undo") parseId(rest[0] as string, "a correction ID");
  const config = configFrom(values);
  const memory = openMemory(values, action === "list");
  try {
    if (action === "list") {
      const track = values.track === undefined ? undefined : resolveTrack(memory, values.track);
      const list = memory.corrections(track === undefined ? {} : { track });
      if (values.json) printJson(list.map(correctionToJson));
      else if (list.length === 0) console.log("no corrections yet");
      else
        for (const c of list)
          console.log(
            `#${c.id}\t${c.undoneMs === null ? "in force" : "undone"}\t${c.kind === "not" ? `not ${c.before.identity?.name}` : `is ${c.after?.name}`}\ttrack ${c.track ?? "(gone)"}: ${where(c)}\t${new Date(c.createdMs).toISOString()}`,
          );
      return 0;
    }
    const gallery = await openConfiguredGallery(config);
    try {
      if (action === "undo") {
        const r = await undoCorrection(gallery, memory, parseId(rest[0] as string, "a correction ID"));
        if (values.json) printJson({ ...r, correction: correctionToJson(r.correction) });
        else {
          const c = r.correction;
          const removed = [
            r.removed.embeddings > 0 ? `${r.removed.embeddings} face(s) enrolled as ${c.after?.name}` : "",
            r.removed.identityDeleted ? `the identity ${c.after?.name}` : "",
            r.removed.negatives > 0
              ? `${r.removed.negatives} negative example(s) of ${c.negativeIdentity?.name}`
              : "",
          ].filter(Boolean);
          console.log(
            `undid correction #${c.id}: ${
              r.trackRestored
                ? `track ${c.track} (${where(c)}) is ${decision(c.before)} again`
                : `the record of ${where(c)} is gone (analysed again or forgotten): analyse it again to see it named as before`
            }${removed.length > 0 ? `; removed from the gallery: ${removed.join(", ")}` : ""}`,
          );
        }
        return 0;
      }
      const track = resolveTrack(memory, rest[0] as string);
      const r = await correctTrack(
        gallery,
        config,
        memory,
        action === "not"
          ? { track, kind: "not" }
          : { track, kind: "is", name: rest[1] as string, force: values.force === true },
      );
      const c = r.correction;
      if (values.json) printJson({ ...r, correction: correctionToJson(c) });
      else {
        for (const o of r.leftOut) console.error(`${o.face}: ${o.status}: ${o.reason}`);
        const negatives =
          c.negativeIds.length > 0
            ? `${c.negativeIds.length} face(s) kept as negative examples of ${c.negativeIdentity?.name}`
            : "";
        const enrolled =
          c.kind === "is"
            ? r.enrolled > 0
              ? `${r.enrolled} face(s) enrolled as ${c.after?.name}${c.identityCreated ? " (new identity)" : ""}`
              : `its faces were enrolled as ${c.after?.name} already`
            : "";
        console.log(
          `correction #${c.id}: track ${c.track} (${where(c)}) ${
            c.kind === "not"
              ? `is not ${c.before.identity?.name}: now unknown`
              : `is ${c.after?.name} (was ${decision(c.before)})`
          }; ${[enrolled, negatives].filter(Boolean).join(", ") || "nothing added to the gallery"} (undo: facetracker correct undo ${c.id})`,
        );
      }
      return 0;
    } catch (error) {
      if (error instanceof CorrectionError) throw new CliError(error.message);
      throw error;
    } finally {
      await gallery.close();
    }
  } finally {
    memory.close();
  }
}
