/**
 * pnpm bench:memory [FACES] [EMBEDDINGS_PER_TRACK]: exact search of the face memory. Fills a memory file
 * with FACES random 512-d remembered faces (default 100,000: FACES / EMBEDDINGS_PER_TRACK tracks, default 1
 * embedding each) on 10 cameras over the last 29 days, then prints: the time to fill it, the time a
 * process takes to open it and load its search index (its first search), and per search (200 random
 * queries, 10 results) p50 / p95 in ms: without filter, one camera (10 %), the last day (~3 %), one camera
 * and the last day, the last 20 days (~70 %); then the time to see another connection's new track.
 */

import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FaceMemory, type MemorySearchOptions, type TrackSource } from "@facetracker/face-memory";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector } from "@facetracker/testing/gallery";

const DIMENSION = 512;
const CAMERAS = 10;
const DAY = 86_400_000;
const QUERIES = 200;

const faces = Number(process.argv[2] ?? 100_000);
const perTrack = Number(process.argv[3] ?? 1);
if (!(Number.isInteger(faces) && faces > 0 && Number.isInteger(perTrack) && perTrack > 0)) {
  console.error("usage: pnpm bench:memory [FACES] [EMBEDDINGS_PER_TRACK]");
  process.exit(2);
}
const trackCount = Math.ceil(faces / perTrack);
const random = seededRandom(16);
const now = Date.now();
const dir = await mkdtemp(path.join(os.tmpdir(), "ft-bench-memory-"));
const options = {
  dimension: DIMENSION,
  maxTracks: Math.max(trackCount, 1),
  embeddingsPerTrack: perTrack,
  retentionDays: 30,
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const ms = (x: number) => x.toFixed(1);

try {
  // Fill: one write per camera (its tracks spread over the last 29 days).
  let t = performance.now();
  const writer = FaceMemory.open(dir, options);
  let written = 0;
  for (let c = 0; c < CAMERAS; c++) {
    const camera = `cam${c}`;
    const source: TrackSource = { kind: "camera", name: camera, camera };
    const count = Math.floor(trackCount / CAMERAS) + (c < trackCount % CAMERAS ? 1 : 0);
    const tracks = Array.from({ length: count }, (_, i) => {
      const firstMs = now - Math.floor(random() * 29 * DAY);
      return {
        trackId: i + 1,
        firstMs,
        lastMs: firstMs + 5000,
        identity: null,
        closest: null,
        undetermined: false,
        thumbnail: null,
        embeddings: Array.from({ length: Math.min(perTrack, faces - written - i * perTrack) }, () => ({
          vector: randomUnitVector(DIMENSION, random),
          quality: random(),
        })),
      };
    });
    writer.rememberSource(source, tracks);
    written += count * perTrack;
  }
  const fillMs = performance.now() - t;
  writer.close();
  const bytes = (await stat(path.join(dir, "memory.sqlite"))).size;

  // Load: a fresh process's first search (opens the file, reads every embedding into the index).
  const queries = Array.from({ length: QUERIES }, () => randomUnitVector(DIMENSION, random));
  t = performance.now();
  const reader = FaceMemory.open(dir, { ...options, readOnly: true });
  reader.search(queries[0] as Float32Array, { limit: 1 });
  const loadMs = performance.now() - t;

  const cases: [string, MemorySearchOptions][] = [
    ["no filter", {}],
    ["one camera (10 %)", { camera: "cam3" }],
    ["last day (~3 %)", { sinceMs: now - DAY }],
    ["one camera, last day (~0.3 %)", { camera: "cam3", sinceMs: now - DAY }],
    ["last 20 days (~70 %)", { sinceMs: now - 20 * DAY }],
  ];
  const rows: Record<string, string | number>[] = [];
  for (const [label, filter] of cases) {
    for (const q of queries.slice(0, 10)) reader.search(q, { ...filter, limit: 10 }); // warm-up
    const times: number[] = [];
    let found = 0;
    for (const q of queries) {
      const s = performance.now();
      found += reader.search(q, { ...filter, limit: 10 }).length;
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    rows.push({
      search: label,
      "p50 ms": ms(percentile(times, 50)),
      "p95 ms": ms(percentile(times, 95)),
      "max ms": ms(times[times.length - 1] as number),
      "results / query": found / QUERIES,
    });
  }

  // Another connection remembers one track: the reader's next search catches up (changes log).
  const other = FaceMemory.open(dir, options);
  other.rememberSource({ kind: "file", name: "/bench/new.mp4" }, [
    {
      trackId: 1,
      firstMs: now,
      lastMs: now,
      identity: null,
      closest: null,
      undetermined: false,
      thumbnail: null,
      embeddings: [{ vector: queries[1] as Float32Array, quality: 1 }],
    },
  ]);
  other.close();
  t = performance.now();
  const [top] = reader.search(queries[1] as Float32Array, { limit: 1 });
  const catchUpMs = performance.now() - t;
  if (top?.source.name !== "/bench/new.mp4") throw new Error("the new track was not found");
  reader.close();

  console.log(
    `bench:memory: ${written.toLocaleString("en")} remembered faces (${trackCount.toLocaleString("en")} tracks × ${perTrack}), ${DIMENSION}-d, ${CAMERAS} cameras over 29 days; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`,
  );
  console.log(
    `fill ${ms(fillMs / 1000)} s (${(bytes / 2 ** 20).toFixed(0)} MiB file); open + load the index ${ms(loadMs)} ms; another process's new track seen by the next search in ${ms(catchUpMs)} ms`,
  );
  console.table(rows);
} finally {
  await rm(dir, { recursive: true, force: true });
}
