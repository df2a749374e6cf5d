import { existsSync } from "node:fs";
import path from "node:path";
import type { FaceTrackerConfig } from "@facetracker/config";
import { MEMORY_FILE } from "@facetracker/face-memory";
import { openConfiguredMemory } from "@facetracker/pipeline";
import { CliError } from "../cli-error.ts";
import { type OptionTable, openRecognizer, parse, printJson } from "../common.ts";

export const galleryUsage = `facetracker gallery list [--db DIR] [--json]
       facetracker gallery show [--db DIR] NAME
       facetracker gallery rename [--db DIR] NAME NEW_NAME
       facetracker gallery delete [--db DIR] NAME
       facetracker gallery delete-embedding [--db DIR] EMBEDDING_ID`;

export const galleryOptions = {
  json: { type: "boolean", help: "list, show: print JSON" },
} as const satisfies OptionTable;

export async function galleryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, galleryOptions, galleryUsage);
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { list: 0, show: 1, rename: 2, delete: 1, "delete-embedding": 1 };
  if (!action || !(action in arity)) {
    throw new CliError(
      `${action ? `unknown gallery action '${action}'` : "missing gallery action"}\nusage: ${galleryUsage}`,
      2,
    );
  }
  if (rest.length !== arity[action]) {
    throw new CliError(
      `gallery ${action}: expected ${arity[action]} argument(s), got ${rest.length}\nusage: ${galleryUsage}`,
      2,
    );
  }
  const recognizer = await openRecognizer(values, true);
  const gallery = recognizer.gallery;
  try {
    switch (action) {
      case "list": {
        const list = (await gallery.list()).sort((a, b) => a.name.localeCompare(b.name));
        if (values.json) printJson(list);
        else if (list.length === 0) console.log("gallery is empty");
        else
          for (const i of list)
            console.log(
              `${i.name}\t${i.embeddingCount} embedding(s)${i.negativeCount > 0 ? `, ${i.negativeCount} negative example(s)` : ""}\t${i.id}${attrs(i.attributes)}`,
            );
        return 0;
      }
      case "show": {
        const identity = await gallery.get(rest[0] as string);
        if (!identity) throw new CliError(`no identity '${rest[0]}' in the gallery`);
        const embeddings = await gallery.embeddings(identity.id);
        if (values.json) printJson({ ...identity, embeddings });
        else {
          console.log(`${identity.name} (${identity.id})${attrs(identity.attributes)}`);
          for (const e of embeddings) console.log(`  ${e.id}\t${e.source ?? ""}\t${e.createdAt}`);
          if (identity.negativeCount > 0)
            console.log(
              `  ${identity.negativeCount} negative example(s) (faces that are not them: see 'facetracker correct list')`,
            );
        }
        return 0;
      }
      case "rename": {
        const renamed = await gallery.rename(rest[0] as string, rest[1] as string);
        console.log(`renamed '${rest[0]}' to '${renamed.name}'`);
        return 0;
      }
      case "delete": {
        const found = await gallery.get(rest[0] as string);
        if (!found) throw new CliError(`no identity '${rest[0]}' in the gallery`);
        // The person's remembered tracks go with them (first: a failure leaves the person to delete again).
        const forgotten = forgetInMemory(recognizer.config, found);
        if (!(await gallery.deleteIdentity(found.id)))
          throw new CliError(`no identity '${rest[0]}' in the gallery`);
        console.log(`deleted '${rest[0]}'${forgotten > 0 ? ` and ${forgotten} remembered track(s)` : ""}`);
        return 0;
      }
      default: {
        if (!(await gallery.deleteEmbedding(rest[0] as string)))
          throw new CliError(`no embedding '${rest[0]}' in the gallery`);
        console.log(`deleted embedding ${rest[0]}`);
        return 0;
      }
    }
  } finally {
    await recognizer.close();
  }
}

/** Deletes a person's tracks from the face memory, when there is one; returns how many. */
function forgetInMemory(config: FaceTrackerConfig, who: { name: string; id: string }): number {
  if (!existsSync(path.join(config.db_path, MEMORY_FILE))) return 0;
  const memory = openConfiguredMemory(config);
  try {
    return memory.forgetIdentity(who);
  } finally {
    memory.close();
  }
}

function attrs(a: Record<string, string>): string {
  const entries = Object.entries(a);
  return entries.length ? `\t${entries.map(([k, v]) => `${k}=${v}`).join(" ")}` : "";
}
