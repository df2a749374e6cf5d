/**
 * pnpm bench:recognize [DIR]: per-stage milliseconds (decode, detect, landmarks, align, embed, match) and
 * images per second over the photos of DIR (default: the registry sample photos), then gallery search time
 * at 1k / 10k / 100k embeddings.
 */
import { readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EmbeddedGallery } from "@facetracker/gallery";
import { resolveFile } from "@facetracker/models";
import { decodeImage, FaceAnalyzer } from "@facetracker/vision";

const IMAGE = /\.(jpe?g|png|webp)$/i;

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listImages(full));
    else if (IMAGE.test(name)) out.push(full);
  }
  return out;
}

const dir = process.argv[2];
const files = dir ? listImages(dir) : [1, 2, 3, 4, 5, 6].map((i) => resolveFile(`sample${i}`));
if (files.length === 0) {
  console.error(`bench:recognize: no JPEG/PNG/WebP photos under ${dir}`);
  process.exit(1);
}
const threads = Number(process.env.FACETRACKER_RUNTIME__THREADS ?? 0);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const tmp = await mkdtemp(path.join(os.tmpdir(), "ft-bench-"));
const gallery = await EmbeddedGallery.open(path.join(tmp, "g"), { dimension: 512 });
const analyzer = await FaceAnalyzer.create({ threads });

// Warm-up: one pass (first runs of onnxruntime sessions are slower).
for (const f of files.slice(0, 2)) await analyzer.analyze(await decodeImage(f));
Object.assign(analyzer.times, { detect: 0, landmarks: 0, align: 0, embed: 0 });

// Gallery of 1,000 random identities so the match stage does real work.
const rand = (seed: number) => () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const next = rand(7);
const randomVector = () => Float32Array.from({ length: 512 }, next);
await gallery.enroll(
  "someone",
  Array.from({ length: 1000 }, () => ({ vector: randomVector() })),
);

let decode = 0;
let match = 0;
let faces = 0;
const start = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const f of files) {
    let t = performance.now();
    const img = await decodeImage(f);
    decode += performance.now() - t;
    const found = await analyzer.analyze(img);
    t = performance.now();
    for (const face of found) await gallery.search(face.embedding as Float32Array, { k: 1 });
    match += performance.now() - t;
    faces += found.length;
  }
}
const wall = performance.now() - start;
const images = files.length * rounds;
const per = (ms: number, n: number) => (n ? (ms / n).toFixed(2) : "-");
const s = analyzer.times;
console.log(
  `bench:recognize: ${files.length} photos × ${rounds} rounds, ${faces / rounds} faces per round, onnxruntime threads ${threads || "auto"}, ${os.cpus().length} cores`,
);
console.table({
  decode: {
    "ms total": decode.toFixed(0),
    "ms per image": per(decode, images),
    "ms per face": per(decode, faces),
  },
  detect: {
    "ms total": s.detect.toFixed(0),
    "ms per image": per(s.detect, images),
    "ms per face": per(s.detect, faces),
  },
  landmarks: {
    "ms total": s.landmarks.toFixed(0),
    "ms per image": per(s.landmarks, images),
    "ms per face": per(s.landmarks, faces),
  },
  align: {
    "ms total": s.align.toFixed(0),
    "ms per image": per(s.align, images),
    "ms per face": per(s.align, faces),
  },
  embed: {
    "ms total": s.embed.toFixed(0),
    "ms per image": per(s.embed, images),
    "ms per face": per(s.embed, faces),
  },
  "match (1k gallery)": {
    "ms total": match.toFixed(0),
    "ms per image": per(match, images),
    "ms per face": per(match, faces),
  },
});
console.log(
  `throughput: ${((images * 1000) / wall).toFixed(1)} images/s, ${((faces * 1000) / wall).toFixed(1)} faces/s (sequential, one process)`,
);
await gallery.close();

// Gallery search at scale: exact cosine over the in-memory index.
console.log("\ngallery search (embedded, exact cosine, k=5, 512-d):");
const rows: Record<string, Record<string, string>> = {};
for (const n of [1_000, 10_000, 100_000]) {
  const g = await EmbeddedGallery.open(path.join(tmp, `g${n}`), { dimension: 512 });
  const batch = 5_000;
  for (let i = 0; i < n; i += batch) {
    await g.enroll(
      `id-${i / batch}`,
      Array.from({ length: Math.min(batch, n - i) }, () => ({ vector: randomVector() })),
    );
  }
  const times: number[] = [];
  for (let q = 0; q < 50; q++) {
    const v = randomVector();
    const t = performance.now();
    await g.search(v, { k: 5, perIdentity: false });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  rows[`${n.toLocaleString("en")} embeddings`] = {
    "median ms": (times[25] as number).toFixed(2),
    "p95 ms": (times[47] as number).toFixed(2),
  };
  await g.close();
}
console.table(rows);
await rm(tmp, { recursive: true, force: true });
