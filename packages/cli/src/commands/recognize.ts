import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RecognizedFace } from "@facetracker/sdk";
import { drawLabels, faceLabel, type Label, type RgbImage } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { fmt, type OptionTable, openRecognizer, parse, requireFiles } from "../common.ts";
import { inputFile, STDIO } from "../stdio.ts";

export const recognizeUsage =
  "facetracker recognize [--db DIR] [--json] [--annotate OUTDIR] PHOTO...\n" +
  "       (PHOTO '-': standard input)";

export const recognizeOptions = {
  json: { type: "boolean", help: "print the faces of each photo as JSON" },
  annotate: {
    type: "string",
    arg: "OUTDIR",
    help: "write a copy of each photo with the faces boxed and named into OUTDIR",
  },
} as const satisfies OptionTable;

const round = (n: number) => Math.round(n * 10) / 10;

export function faceToJson(face: RecognizedFace) {
  return {
    box: face.box.map(round),
    score: Number(face.score.toFixed(4)),
    identity: face.identity
      ? { name: face.identity.name, similarity: Number(face.identity.similarity.toFixed(4)) }
      : null,
  };
}

/** Box label for a face of a photo: "<name> <similarity>" (known) or "unknown", coloured by kind. */
export function labelFor(face: RecognizedFace): Label {
  if (!face.identity) return faceLabel("unknown", face.box);
  const { name, similarity } = face.identity;
  return faceLabel("known", face.box, { name, similarity });
}

async function annotate(
  file: string,
  image: RgbImage,
  faces: RecognizedFace[],
  outDir: string,
): Promise<string> {
  const png = /\.png$/i.test(file);
  const base = file === STDIO ? "stdin" : path.parse(file).name;
  const out = path.join(outDir, `${base}.annotated.${png ? "png" : "jpg"}`);
  await writeFile(out, await drawLabels(image, faces.map(labelFor), png ? "png" : "jpeg"));
  return out;
}

export async function recognizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, recognizeOptions, recognizeUsage);
  requireFiles(positionals, "photo", recognizeUsage);
  const photos = positionals.map((p) => inputFile(p, "PHOTO", "stdin"));
  if (values.annotate) {
    try {
      await mkdir(values.annotate, { recursive: true });
    } catch (error) {
      throw new CliError(
        `--annotate: cannot create ${values.annotate} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  const recognizer = await openRecognizer(values, true);
  const results: object[] = [];
  let failures = 0;
  try {
    for await (const r of recognizer.recognizeBatch(photos)) {
      const file = positionals[r.index] as string;
      if (r.error) {
        failures++;
        const message = r.error.message.replace(photos[r.index] as string, file);
        console.error(`facetracker: ${message}`);
        results.push({ file, faces: [], error: message });
        continue;
      }
      results.push({ file, faces: r.faces.map(faceToJson) });
      if (!values.json) {
        const names = r.faces.map((f) =>
          f.identity ? `${f.identity.name} (${fmt(f.identity.similarity)})` : "unknown",
        );
        console.log(
          `${file}: ${r.faces.length} face${r.faces.length === 1 ? "" : "s"}${names.length ? `: ${names.join(", ")}` : ""}`,
        );
      }
      if (values.annotate) {
        const out = await annotate(file, r.image as RgbImage, r.faces, values.annotate);
        if (!values.json) console.log(`  annotated: ${out}`);
      }
    }
  } finally {
    await recognizer.close();
  }
  if (values.json) console.log(JSON.stringify(results, null, 2));
  return failures ? 1 : 0;
}
