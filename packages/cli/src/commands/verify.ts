import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { analyzeOptionsFrom, runtimeOptionsFrom } from "@facetracker/pipeline";
import {
  bestThreshold,
  embedPhotoFace,
  errorRatesAt,
  type FaceChoice,
  FaceChoiceError,
  type PhotoFace,
  type ScoredPair,
  statsAt,
  thresholdForFar,
} from "@facetracker/sdk";
import { cosine, FaceAnalyzer } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { configFrom, fmt, type OptionTable, parse } from "../common.ts";
import { describeFaceChoice, faceChoiceFrom, faceChoiceJson } from "../face-choice.ts";
import { inputFile, readStdin, STDIO } from "../stdio.ts";

export const verifyUsage = `facetracker verify [--json] [--face N | --box X,Y,W,H] [--face-b N | --box-b X,Y,W,H] IMG_A IMG_B
       facetracker verify --pairs CSV [--images DIR] [--far RATE] [--json]
       (IMG_A, IMG_B or CSV '-': standard input)`;

/** The false-accept rate `verify --pairs` finds a threshold for when --far is not given. */
export const DEFAULT_TARGET_FAR = 0.001;

export const verifyOptions = {
  json: { type: "boolean", help: "print JSON" },
  face: {
    type: "string",
    arg: "N",
    help: "the Nth face of IMG_A (1, 2, … from left to right)",
    defaultText: "the photo's subject",
  },
  box: {
    type: "string",
    arg: "X,Y,W,H",
    help: "the face of IMG_A in this box",
    defaultText: "the photo's subject",
  },
  "face-b": { type: "string", arg: "N", help: "the Nth face of IMG_B", defaultText: "the photo's subject" },
  "box-b": {
    type: "string",
    arg: "X,Y,W,H",
    help: "the face of IMG_B in this box",
    defaultText: "the photo's subject",
  },
  pairs: {
    type: "string",
    arg: "CSV",
    help: "measure a pair list file_x,file_y[,Decision] (Decision Yes = same person)",
  },
  images: {
    type: "string",
    arg: "DIR",
    help: "with --pairs: the folder of the photos the CSV names",
    defaultText: "images/ beside the CSV when there is one, else the CSV's folder",
  },
  far: {
    type: "string",
    arg: "RATE",
    help: "with --pairs: the false-accept rate to find a threshold for",
    defaultText: String(DEFAULT_TARGET_FAR),
  },
} as const satisfies OptionTable;

interface PairRow {
  file_x: string;
  file_y: string;
  same?: boolean;
}

/** Reads a pair list `file_x,file_y[,Decision]` (Decision Yes = same person); the header row is required. */
export function parsePairsCsv(text: string, source: string): PairRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",").map((h) => h.trim().toLowerCase());
  if (header?.[0] !== "file_x" || header[1] !== "file_y") {
    throw new CliError(`${source}: expected a header 'file_x,file_y,Decision', got '${lines[0] ?? ""}'`);
  }
  const decisionCol = header.indexOf("decision");
  return lines.slice(1).map((line, i) => {
    const cols = line.split(",").map((c) => c.trim());
    if (!cols[0] || !cols[1]) throw new CliError(`${source}: line ${i + 2}: expected two file names`);
    const decision = decisionCol >= 0 ? cols[decisionCol]?.toLowerCase() : undefined;
    if (decision !== undefined && decision !== "yes" && decision !== "no") {
      throw new CliError(`${source}: line ${i + 2}: Decision must be Yes or No, got '${cols[decisionCol]}'`);
    }
    return {
      file_x: cols[0],
      file_y: cols[1],
      same: decision === undefined ? undefined : decision === "yes",
    };
  });
}

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, verifyOptions, verifyUsage);
  const config = configFrom(values);
  const options = analyzeOptionsFrom(config);
  const decode = { maxPixels: config.limits.max_image_pixels };
  if (!values.pairs && positionals.length !== 2)
    throw new CliError(`expected two images\nusage: ${verifyUsage}`, 2);
  if (values.pairs && positionals.length)
    throw new CliError(`--pairs takes no image arguments\nusage: ${verifyUsage}`, 2);
  const choices = [
    faceChoiceFrom(values.face, values.box, { face: "--face", box: "--box" }, verifyUsage),
    faceChoiceFrom(values["face-b"], values["box-b"], { face: "--face-b", box: "--box-b" }, verifyUsage),
  ];
  if (values.pairs && choices.some(Boolean))
    throw new CliError(
      `--face and --box pick a face of IMG_A or IMG_B: not with --pairs\nusage: ${verifyUsage}`,
      2,
    );
  if (!values.pairs && values.far !== undefined)
    throw new CliError(`--far goes with --pairs\nusage: ${verifyUsage}`, 2);
  if (!values.pairs && values.images !== undefined)
    throw new CliError(`--images goes with --pairs\nusage: ${verifyUsage}`, 2);
  // Standard input ('-') read before the models load: a second '-' is a usage error at once.
  const inputs = values.pairs
    ? []
    : positionals.map((p, i) => inputFile(p, i === 0 ? "IMG_A" : "IMG_B", "stdin"));
  const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
  const embed = async (file: string, choice?: FaceChoice): Promise<PhotoFace | undefined> => {
    try {
      return await embedPhotoFace(analyzer, file, options, decode, choice);
    } catch (error) {
      if (error instanceof FaceChoiceError) throw new CliError(`${file}: ${error.message}`);
      throw error;
    }
  };
  if (values.pairs)
    return verifyPairs(
      values.pairs,
      values.images,
      values.far,
      values.json === true,
      config.cosine_similarity_threshold,
      embed,
    );

  const threshold = config.cosine_similarity_threshold;
  const [a, b] = positionals as [string, string];
  const [fileA, fileB] = inputs as [string, string];
  const [fa, fb] = [await embed(fileA, choices[0]), await embed(fileB, choices[1])];
  const similarity = fa && fb ? cosine(fa.face.embedding, fb.face.embedding) : null;
  if (values.json)
    console.log(
      JSON.stringify({
        file_x: a,
        file_y: b,
        similarity,
        same: similarity === null ? null : similarity >= threshold,
        face_x: faceChoiceJson(fa?.choice),
        face_y: faceChoiceJson(fb?.choice),
      }),
    );
  else if (similarity === null)
    console.error(`no face found in ${[!fa && a, !fb && b].filter(Boolean).join(" and ")}`);
  else {
    console.log(
      `similarity ${fmt(similarity)}: ${similarity >= threshold ? "same person" : "different people"} (threshold ${threshold})`,
    );
    // Which face was compared, when a photo has several (or one was picked).
    for (const [file, face] of [
      [a, fa],
      [b, fb],
    ] as const) {
      const which = face ? describeFaceChoice(face.choice) : "";
      if (which) console.log(`${file}: ${which}`);
    }
  }
  return similarity === null ? 1 : 0;
}

/** Where the photos of a pair list are: images/ beside it (the shared data's layout), else its own folder. */
export function defaultImagesDir(csv: string): string {
  const base = csv === STDIO ? "." : path.dirname(csv);
  const images = path.join(base, "images");
  return existsSync(images) && statSync(images).isDirectory() ? images : base;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/**
 * `verify --pairs`: scores every pair (each photo's subject), then prints, for the labelled pairs with a
 * face on both sides, the accuracy and the false-accept / false-reject rates at the configured threshold,
 * the best threshold on this data, and the threshold for the target FAR (--far), saying when the pairs are
 * too few to measure that FAR.
 */
async function verifyPairs(
  csv: string,
  imagesDir: string | undefined,
  farText: string | undefined,
  json: boolean,
  threshold: number,
  embed: (file: string) => Promise<PhotoFace | undefined>,
): Promise<number> {
  const targetFar = farText === undefined ? DEFAULT_TARGET_FAR : Number(farText);
  if (farText !== undefined && !(Number.isFinite(targetFar) && targetFar > 0 && targetFar < 1))
    throw new CliError(`--far: expected a rate between 0 and 1 (e.g. 0.001 for 0.1 %), got '${farText}'`, 2);
  let text: string;
  try {
    text = csv === STDIO ? readStdin("--pairs").toString("utf8") : await readFile(csv, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--pairs: cannot read ${csv} (${(error as NodeJS.ErrnoException).code})`);
  }
  const rows = parsePairsCsv(text, csv === STDIO ? "standard input" : csv);
  const dir = imagesDir ?? defaultImagesDir(csv);
  const cache = new Map<string, Float32Array | null>();
  const vector = async (file: string) => {
    if (!cache.has(file)) cache.set(file, (await embed(path.join(dir, file)))?.face.embedding ?? null);
    return cache.get(file) as Float32Array | null;
  };
  const scored: (PairRow & { similarity: number | null })[] = [];
  for (const [i, row] of rows.entries()) {
    const [ex, ey] = [await vector(row.file_x), await vector(row.file_y)];
    scored.push({ ...row, similarity: ex && ey ? cosine(ex, ey) : null });
    if (!json && process.stderr.isTTY) process.stderr.write(`\rverifying pairs ${i + 1}/${rows.length}`);
  }
  if (!json && process.stderr.isTTY) process.stderr.write("\n");
  const labelled: ScoredPair[] = scored.flatMap((s) =>
    s.similarity !== null && s.same !== undefined ? [{ similarity: s.similarity, same: s.same }] : [],
  );
  const counts = {
    pairs: rows.length,
    same: labelled.filter((p) => p.same).length,
    different: labelled.filter((p) => !p.same).length,
    without_face: scored.filter((s) => s.similarity === null).length,
  };
  const measured = labelled.length > 0 ? measure(labelled, threshold, targetFar) : null;
  if (json) {
    console.log(
      JSON.stringify({
        pairs: scored.map((s) => ({
          file_x: s.file_x,
          file_y: s.file_y,
          same: s.same ?? null,
          similarity: s.similarity === null ? null : Number(s.similarity.toFixed(5)),
        })),
        counts,
        threshold,
        at_threshold: measured?.atThreshold ?? null,
        best: measured?.best ?? null,
        for_far: measured?.forFar ?? null,
      }),
    );
    return 0;
  }
  console.log(
    `pairs: ${counts.pairs} (${counts.same} same, ${counts.different} different), ${counts.without_face} without a face`,
  );
  if (!measured) throw new CliError("no labelled pair with faces on both sides: nothing to measure");
  const { atThreshold: at, best, forFar } = measured;
  console.log(
    `at threshold ${threshold}: accuracy ${pct(at.accuracy)}, false accepts ${pct(at.far)} (FAR: ${at.false_accepts} of ${counts.different} different pairs), false rejects ${pct(at.frr)} (FRR: ${at.false_rejects} of ${counts.same} same pairs)`,
  );
  console.log(
    `best threshold on this data: ${fmt(best.threshold)} (accuracy ${pct(best.accuracy)}, FAR ${pct(best.far)}, FRR ${pct(best.frr)})`,
  );
  if (!forFar) console.log(`for FAR ≤ ${pct(targetFar)}: no different pairs to measure it on`);
  else {
    console.log(
      `for FAR ≤ ${pct(targetFar)}: threshold ${fmt(forFar.threshold)} (FAR ${pct(forFar.far)}, FRR ${pct(forFar.frr)})`,
    );
    if (forFar.below_resolution)
      console.log(
        `  note: ${counts.different} different pairs cannot measure a FAR below 1/${counts.different} = ${pct(forFar.resolution)}: ` +
          `this is the lowest threshold that accepts none of them; with 0 false accepts in ${counts.different}, ` +
          `the FAR there is below ${pct(Math.min(1, 3 / counts.different))} with 95 % confidence (rule of three), ` +
          `not shown to be below ${pct(targetFar)}`,
      );
  }
  return 0;
}

/** The figures of `verify --pairs` (snake_case: as `--json` prints them). */
function measure(labelled: ScoredPair[], threshold: number, targetFar: number) {
  const rates = (t: number) => {
    const r = errorRatesAt(labelled, t);
    return {
      threshold: t,
      accuracy: statsAt(labelled, t).accuracy,
      far: r.far,
      frr: r.frr,
      false_accepts: r.falseAccepts,
      false_rejects: r.falseRejects,
    };
  };
  const hasNegatives = labelled.some((p) => !p.same);
  const forFar = hasNegatives ? thresholdForFar(labelled, targetFar) : null;
  return {
    atThreshold: rates(threshold),
    best: rates(bestThreshold(labelled).threshold),
    forFar: forFar && {
      target_far: targetFar,
      ...rates(forFar.threshold),
      resolution: forFar.resolution,
      below_resolution: forFar.belowResolution,
    },
  };
}
