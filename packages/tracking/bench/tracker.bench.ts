/**
 * ByteTracker.update() time per frame for 5, 20 and 50 faces on random straight paths (1920×1080,
 * 5 % missed detections, ±1 px jitter). Detections are generated up front; the first 50 frames warm up
 * the JIT and are not timed.
 *
 *   node packages/tracking/bench/tracker.bench.ts [--faces 5,20,50] [--frames 1000]
 */

import { parseArgs } from "node:util";
import { seededRandom } from "@facetracker/infra";
import { detectFaces, randomLinearFaces } from "@facetracker/testing/tracking";
import { ByteTracker } from "../src/byte-tracker.ts";
import type { Detection } from "../src/types.ts";

const { values } = parseArgs({
  options: {
    faces: { type: "string", default: "5,20,50" },
    frames: { type: "string", default: "1000" },
  },
});
const faceCounts = (values.faces ?? "").split(",").map(Number);
const frames = Number(values.frames);
const WARM_UP = 50;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

const rows: Record<string, string | number>[] = [];
for (const count of faceCounts) {
  const random = seededRandom(count);
  const faces = randomLinearFaces(random, { faces: count, frames: WARM_UP + frames });
  const clip: Detection[][] = [];
  for (let frame = 1; frame <= WARM_UP + frames; frame++) {
    clip.push(detectFaces(faces, frame, random, { missRate: 0.05, jitter: 1 }).detections);
  }
  const tracker = new ByteTracker();
  const times: number[] = [];
  let confirmed = 0;
  clip.forEach((detections, i) => {
    const start = performance.now();
    const update = tracker.update(detections);
    const elapsed = performance.now() - start;
    if (i >= WARM_UP) times.push(elapsed);
    confirmed = update.tracks.filter((t) => t.state !== "tentative").length;
  });
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  rows.push({
    faces: count,
    frames,
    "mean ms/frame": mean.toFixed(3),
    "median ms": percentile(times, 50).toFixed(3),
    "p95 ms": percentile(times, 95).toFixed(3),
    "max ms": (times.at(-1) as number).toFixed(3),
    "confirmed at end": confirmed,
  });
}
console.table(rows);
