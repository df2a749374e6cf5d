/**
 * In-memory index benchmark: add throughput and exact top-5 search time (per-identity dedupe on and off)
 * for 1k, 10k and 100k random 512-d embeddings, plus the embedded gallery's durable enroll rate, its open
 * time with 10,000 embeddings and what another process's change costs the next search (change check and
 * reload).
 *
 *   node packages/gallery/bench/search.bench.ts [--sizes 1000,10000,100000] [--queries 50]
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector } from "@facetracker/testing/gallery";
import { EmbeddedGallery } from "../src/embedded-gallery.ts";
import { VectorIndex } from "../src/vector-index.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,100000" },
    queries: { type: "string", default: "50" },
    dimension: { type: "string", default: "512" },
  },
});
const sizes = (values.sizes ?? "").split(",").map(Number);
const queries = Number(values.queries);
const dimension = Number(values.dimension);
const K = 5;
const EMBEDDINGS_PER_IDENTITY = 5;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function timeQueries(
  index: VectorIndex,
  qs: Float32Array[],
  perGroup: boolean,
): { median: number; p95: number } {
  for (const q of qs.slice(0, 5)) index.search(q, K, { perGroup }); // warm-up (JIT)
  const times = qs.map((q) => {
    const start = performance.now();
    index.search(q, K, { perGroup });
    return performance.now() - start;
  });
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p95: percentile(times, 95) };
}

const random = seededRandom(42);
const rows: Record<string, string | number>[] = [];
for (const size of sizes) {
  // Vectors are generated up front so that the add timing measures the index only.
  const vectors = Array.from({ length: size }, () => randomUnitVector(dimension, random));
  const index = new VectorIndex(dimension);
  const start = performance.now();
  for (let i = 0; i < size; i++) {
    index.add(`e${i}`, `g${Math.floor(i / EMBEDDINGS_PER_IDENTITY)}`, vectors[i] as Float32Array);
  }
  const addMs = performance.now() - start;
  const qs = Array.from({ length: queries }, () => randomUnitVector(dimension, random));
  const dedupe = timeQueries(index, qs, true);
  const plain = timeQueries(index, qs, false);
  rows.push({
    embeddings: size.toLocaleString("en-US"),
    "add /s": Math.round(size / (addMs / 1000)).toLocaleString("en-US"),
    "search median ms": dedupe.median.toFixed(2),
    "search p95 ms": dedupe.p95.toFixed(2),
    "no dedupe median ms": plain.median.toFixed(2),
    "no dedupe p95 ms": plain.p95.toFixed(2),
  });
}

console.log(
  `VectorIndex: exact cosine, ${dimension}-d, k=${K}, ${queries} queries, ${EMBEDDINGS_PER_IDENTITY} embeddings per identity (dedupe = one hit per identity)`,
);
console.table(rows);

// The embedded gallery (gallery.sqlite): durable enrolls (one transaction each, WAL fsynced at commit),
// opening a gallery of 10,000 embeddings, and what another process's change costs a reader of it.
const GALLERY_EMBEDDINGS = 10_000;
const dir = await mkdtemp(join(tmpdir(), "ft-gallery-bench-"));
try {
  const path = join(dir, "g");
  const gallery = await EmbeddedGallery.open(path, { dimension });
  const enrolls = 200;
  let start = performance.now();
  for (let i = 0; i < enrolls; i++) {
    await gallery.enroll(`person ${i}`, [{ vector: randomUnitVector(dimension, random) }]);
  }
  const perEnroll = (performance.now() - start) / enrolls;
  const batch = () => Array.from({ length: 1000 }, () => ({ vector: randomUnitVector(dimension, random) }));
  const first = batch();
  const batchStart = performance.now();
  await gallery.enroll("batch", first);
  const batchMs = performance.now() - batchStart;
  for (let n = 1; (await gallery.size()) < GALLERY_EMBEDDINGS; n++) {
    const missing = GALLERY_EMBEDDINGS - (await gallery.size());
    await gallery.enroll(`batch ${n}`, batch().slice(0, missing));
  }
  await gallery.close();

  start = performance.now();
  const reader = await EmbeddedGallery.open(path, { dimension, readOnly: true });
  const openMs = performance.now() - start;
  const size = await reader.size();
  const query = randomUnitVector(dimension, random);
  for (let i = 0; i < 5; i++) await reader.search(query); // warm-up (JIT)
  const checks = 2000;
  start = performance.now();
  for (let i = 0; i < checks; i++) await reader.refresh();
  const checkUs = ((performance.now() - start) / checks) * 1000;

  // Another connection (as another process would) enrolls one embedding, renames it and sometimes deletes
  // it: the reader's next read notices (data_version) and reads again only the rows the change log names.
  const writer = await EmbeddedGallery.open(path, { dimension });
  const catchUps: number[] = [];
  for (let i = 0; i < 20; i++) {
    const { embeddingIds } = await writer.enroll(`late ${i}`, [
      { vector: randomUnitVector(dimension, random) },
    ]);
    await writer.rename(`late ${i}`, `late ${i} renamed`);
    if (i % 2) await writer.deleteEmbedding(embeddingIds[0] as string);
    start = performance.now();
    const changed = await reader.refresh();
    catchUps.push(performance.now() - start);
    if (!changed) throw new Error("the reader did not see the change");
  }
  await writer.close();
  catchUps.sort((a, b) => a - b);
  const searchStart = performance.now();
  for (let i = 0; i < 20; i++) await reader.search(query);
  const searchMs = (performance.now() - searchStart) / 20;
  await reader.close();

  console.log(
    `\nEmbeddedGallery (gallery.sqlite on the temp directory's file system, WAL, synchronous=FULL; ${size.toLocaleString("en-US")} embeddings):`,
  );
  console.table([
    { operation: "enroll 1 embedding (one fsynced transaction)", "ms each": perEnroll.toFixed(2) },
    { operation: "enroll 1,000 embeddings in one call", "ms each": batchMs.toFixed(1) },
    { operation: `open (load ${size.toLocaleString("en-US")} embeddings)`, "ms each": openMs.toFixed(1) },
    {
      operation: "change check, nothing changed (PRAGMA data_version)",
      "ms each": (checkUs / 1000).toFixed(4),
    },
    {
      operation: "catch up after another connection's change (rows named in the change log), median",
      "ms each": percentile(catchUps, 50).toFixed(2),
    },
    { operation: "  same, worst of 20", "ms each": percentile(catchUps, 100).toFixed(2) },
    { operation: "search (k=5, one hit per identity)", "ms each": searchMs.toFixed(2) },
  ]);
} finally {
  await rm(dir, { recursive: true, force: true });
}
