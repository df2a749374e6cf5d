import { existsSync } from "node:fs";
import path from "node:path";
import {
  type FaceMemory,
  MEMORY_FILE,
  type TrackSource,
  type VisitorSummary,
} from "@facetracker/face-memory";
import {
  enrollVisitor,
  openConfiguredGallery,
  openConfiguredMemory,
  VisitorEnrollmentError,
} from "@facetracker/pipeline";
import { CliError } from "../cli-error.ts";
import { configFrom, type OptionTable, parse, printJson } from "../common.ts";

export const visitorsUsage = `facetracker visitors list [--db DIR] [--json]
       facetracker visitors show [--db DIR] [--json] ID
       facetracker visitors name [--db DIR] [--force] [--json] ID NAME`;

export const visitorsOptions = {
  json: { type: "boolean", help: "print JSON" },
  force: {
    type: "boolean",
    help: "name: enroll the visitor's faces even when they match another identity",
  },
} as const satisfies OptionTable;

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
const sourceName = (s: TrackSource) => (s.kind === "clip" ? `clip:${s.name}` : s.name);
const dataUrl = (jpeg: Uint8Array) => `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}`;

/** A visitor as `--json` prints it. */
export function visitorToJson(v: VisitorSummary) {
  return {
    id: v.id,
    name: v.name,
    first_seen: new Date(v.firstMs).toISOString(),
    last_seen: new Date(v.lastMs).toISOString(),
    visits: v.visits,
    cameras: v.cameras,
    sources: v.sources.map(sourceName),
    thumbnails: v.thumbnails.map(dataUrl),
  };
}

function parseId(text: string): number {
  const id = Number(text.replace(/^#/, ""));
  if (!Number.isInteger(id) || id < 1)
    throw new CliError(`expected a visitor ID (1, 2, … or #1), got '${text}'`, 2);
  return id;
}

function openMemory(values: Parameters<typeof configFrom>[0], readOnly: boolean): FaceMemory {
  const config = configFrom(values);
  const file = path.join(config.db_path, MEMORY_FILE);
  if (!existsSync(file)) {
    throw new CliError(
      `no visitors yet: no face memory at ${file} ('facetracker analyze' remembers the tracks of a video, 'facetracker up' those of the cameras)`,
    );
  }
  return openConfiguredMemory(config, { readOnly });
}

/**
 * `facetracker visitors list|show|name`: the unknown people of the face memory (unknown tracks grouped
 * into visitors), and naming one (its best faces enrolled in the gallery under that name).
 */
export async function visitorsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, visitorsOptions, visitorsUsage);
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { list: 0, show: 1, name: 2 };
  if (!action || !(action in arity)) {
    throw new CliError(
      `${action ? `unknown visitors action '${action}'` : "missing visitors action"}\nusage: ${visitorsUsage}`,
      2,
    );
  }
  if (rest.length !== arity[action]) {
    throw new CliError(
      `visitors ${action}: expected ${arity[action]} argument(s), got ${rest.length}\nusage: ${visitorsUsage}`,
      2,
    );
  }
  if (action === "name") return nameVisitor(values, parseId(rest[0] as string), rest[1] as string);
  const memory = openMemory(values, true);
  try {
    if (action === "list") {
      const list = memory.listVisitors({ thumbnails: values.json ? 1 : 0 });
      if (values.json) console.log(JSON.stringify(list.map(visitorToJson), null, 2));
      else if (list.length === 0) console.log("no visitors yet");
      else
        for (const v of list)
          console.log(
            `#${v.id}\t${v.name ?? "unknown"}\t${v.visits} visit(s)\t${utc(v.firstMs)} – ${utc(v.lastMs)}\t${v.sources.map(sourceName).join(", ")}`,
          );
      return 0;
    }
    const id = parseId(rest[0] as string);
    const v = memory.visitor(id, { thumbnails: 6 });
    if (!v) throw new CliError(`no visitor #${id}`);
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            ...visitorToJson(v),
            tracks: v.tracks.map((t) => ({
              source: sourceName(t.source),
              track_id: t.trackId,
              first_time: t.source.kind === "camera" ? new Date(t.firstMs).toISOString() : (t.firstS ?? 0),
              last_time: t.source.kind === "camera" ? new Date(t.lastMs).toISOString() : (t.lastS ?? 0),
            })),
          },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `visitor #${v.id}${v.name ? ` (named ${v.name})` : ""}: ${v.visits} visit(s), ${utc(v.firstMs)} – ${utc(v.lastMs)}`,
      );
      for (const t of v.tracks) {
        const when =
          t.source.kind === "camera"
            ? `${utc(t.firstMs)} – ${utc(t.lastMs).slice(11)}`
            : `${(t.firstS ?? 0).toFixed(2)}–${(t.lastS ?? 0).toFixed(2)} s`;
        console.log(`  ${t.source.kind} ${sourceName(t.source)}\t#${t.trackId}\t${when}`);
      }
    }
    return 0;
  } finally {
    memory.close();
  }
}

/**
 * Enrolls the visitor's best faces (quality-ranked) as NAME with the gallery's enrollment policy (another
 * identity's face is refused unless --force), then names the visitor's tracks (enrollVisitor).
 */
async function nameVisitor(
  values: { json?: boolean; force?: boolean; config?: string; db?: string; threshold?: string },
  id: number,
  name: string,
): Promise<number> {
  if (!name.trim()) throw new CliError("visitors name: the name is empty", 2);
  const config = configFrom(values);
  const memory = openMemory(values, false);
  try {
    const gallery = await openConfiguredGallery(config);
    try {
      const r = await enrollVisitor(gallery, config, memory, id, name, { force: values.force === true });
      if (values.json) printJson(r);
      else {
        for (const o of r.leftOut) console.error(`${o.face}: ${o.status}: ${o.reason}`);
        console.log(
          `visitor #${id} is now ${r.name}: ${r.enrolled} face(s) enrolled (${r.created ? "created" : "updated"}), ${r.tracksNamed} track(s) named`,
        );
      }
      return 0;
    } catch (error) {
      if (error instanceof VisitorEnrollmentError) throw new CliError(error.message);
      throw error;
    } finally {
      await gallery.close();
    }
  } finally {
    memory.close();
  }
}
