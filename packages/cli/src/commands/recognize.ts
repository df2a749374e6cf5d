import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RecognizedFace } from "@facetracker/sdk";
import { drawLabels, faceLabel, type Label, type RgbImage } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { fmt, openRecognizer, parse, requireFiles } from "../common.ts";

export const recognizeUsage = "facetracker recognize [--db DIR] [--json] [--annotate OUTDIR] PHOTO...";

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
  const out = path.join(outDir, `${path.parse(file).name}.annotated.${png ? "png" : "jpg"}`);
  await writeFile(out, await drawLabels(image, faces.map(labelFor), png ? "png" : "jpeg"));
  return out;
}

export async function recognizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { json: { type: "boolean" }, annotate: { type: "string" } },
    recognizeUsage,
  );
  requireFiles(positionals, "photo", recognizeUsage);
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
    for await (const r of recognizer.recognizeBatch(positionals)) {
      const file = positionals[r.index] as string;
      if (r.error) {
        failures++;
        console.error(`facetracker: ${r.error.message}`);
        results.push({ file, faces: [], error: r.error.message });
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
