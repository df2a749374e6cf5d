import { readFile } from "node:fs/promises";
import path from "node:path";
import { analyzeOptionsFrom, runtimeOptionsFrom } from "@facetracker/pipeline";
import { bestThreshold, embedLargestFace, type ScoredPair, statsAt } from "@facetracker/sdk";
import { cosine, FaceAnalyzer } from "@facetracker/vision";
import { CliError } from "../cli-error.ts";
import { configFrom, fmt, parse } from "../common.ts";

export const verifyUsage = `facetracker verify [--json] IMG_A IMG_B
       facetracker verify --pairs CSV --images DIR [--json]`;

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
  const { values, positionals } = parse(
    args,
    { json: { type: "boolean" }, pairs: { type: "string" }, images: { type: "string" } },
    verifyUsage,
  );
  const config = configFrom(values);
  const threshold = config.cosine_similarity_threshold;
  const options = analyzeOptionsFrom(config);
  const decode = { maxPixels: config.limits.max_image_pixels };
  if (!values.pairs && positionals.length !== 2)
    throw new CliError(`expected two images\nusage: ${verifyUsage}`, 2);
  if (values.pairs && positionals.length)
    throw new CliError(`--pairs takes no image arguments\nusage: ${verifyUsage}`, 2);
  const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
  const cache = new Map<string, Float32Array | null>();
  const embed = async (file: string) => {
    if (!cache.has(file))
      cache.set(file, (await embedLargestFace(analyzer, file, options, decode))?.face.embedding ?? null);
    return cache.get(file) as Float32Array | null;
  };

  if (!values.pairs) {
    const [a, b] = positionals as [string, string];
    const [ea, eb] = [await embed(a), await embed(b)];
    const similarity = ea && eb ? cosine(ea, eb) : null;
    if (values.json)
      console.log(
        JSON.stringify({
          file_x: a,
          file_y: b,
          similarity,
          same: similarity === null ? null : similarity >= threshold,
        }),
      );
    else if (similarity === null)
      console.error(`no face found in ${[!ea && a, !eb && b].filter(Boolean).join(" and ")}`);
    else
      console.log(
        `similarity ${fmt(similarity)}: ${similarity >= threshold ? "same person" : "different people"} (threshold ${threshold})`,
      );
    return similarity === null ? 1 : 0;
  }

  let text: string;
  try {
    text = await readFile(values.pairs, "utf8");
  } catch (error) {
    throw new CliError(`--pairs: cannot read ${values.pairs} (${(error as NodeJS.ErrnoException).code})`);
  }
  const rows = parsePairsCsv(text, values.pairs);
  const dir = values.images ?? path.dirname(values.pairs);
  const scored: (PairRow & { similarity: number | null })[] = [];
  for (const [i, row] of rows.entries()) {
    const [ex, ey] = [await embed(path.join(dir, row.file_x)), await embed(path.join(dir, row.file_y))];
    scored.push({ ...row, similarity: ex && ey ? cosine(ex, ey) : null });
    if (!values.json && process.stderr.isTTY)
      process.stderr.write(`\rverifying pairs ${i + 1}/${rows.length}`);
  }
  if (!values.json && process.stderr.isTTY) process.stderr.write("\n");
  if (values.json) {
    for (const s of scored) {
      console.log(
        JSON.stringify({
          file_x: s.file_x,
          file_y: s.file_y,
          similarity: s.similarity === null ? null : Number(s.similarity.toFixed(5)),
        }),
      );
    }
    return 0;
  }
  const labelled: ScoredPair[] = scored.flatMap((s) =>
    s.similarity !== null && s.same !== undefined ? [{ similarity: s.similarity, same: s.same }] : [],
  );
  const missing = scored.filter((s) => s.similarity === null).length;
  console.log(
    `pairs: ${rows.length} (${labelled.filter((p) => p.same).length} same, ${labelled.filter((p) => !p.same).length} different), ${missing} without a face`,
  );
  if (labelled.length === 0)
    throw new CliError("no labelled pair with faces on both sides: nothing to measure");
  const at = statsAt(labelled, threshold);
  const best = bestThreshold(labelled);
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  console.log(
    `at threshold ${threshold}: accuracy ${pct(at.accuracy)}, true match rate ${pct(at.trueMatchRate)}, false match rate ${pct(at.falseMatchRate)}`,
  );
  console.log(
    `best threshold on this data: ${fmt(best.threshold)} (accuracy ${pct(best.accuracy)}, true match rate ${pct(best.trueMatchRate)}, false match rate ${pct(best.falseMatchRate)})`,
  );
  return 0;
}
