/**
 * The face memory shared by real processes: one process (a node child, as `facetracker analyze` or the
 * api service) writes or forgets, the other (as `facetracker search`), whose in-memory index was loaded
 * before, sees it at its next search.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector, vectorWithSimilarity } from "@facetracker/testing/gallery";
import { FaceMemory } from "./face-memory.ts";

const D = 16;
const moduleUrl = pathToFileURL(join(import.meta.dirname, "face-memory.ts")).href;

/** The child: opens the memory, runs one FaceMemory method with JSON arguments (vectors as arrays), exits. */
const CHILD = `
  const { FaceMemory } = await import(process.argv[1]);
  const memory = FaceMemory.open(process.argv[2], { dimension: ${D} });
  const [method, args] = JSON.parse(process.argv[3], (_, v) => (v && Array.isArray(v.f32) ? Float32Array.from(v.f32) : v));
  memory[method](...args);
  memory.close();`;

/** Runs one FaceMemory call in another process; resolves once it exited (code 0). */
async function inOtherProcess(dir: string, method: string, args: unknown[]): Promise<void> {
  const json = JSON.stringify([method, args], (_, v) =>
    v instanceof Float32Array ? { f32: Array.from(v) } : v,
  );
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, moduleUrl, dir, json], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 0, `the child running ${method} failed`);
}

describe("FaceMemory across processes", () => {
  const roots: string[] = [];
  after(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it("a track another process remembers is found; one it forgets is not", async () => {
    const root = await mkdtemp(join(tmpdir(), "ft-face-memory-processes-"));
    roots.push(root);
    const dir = join(root, "gallery");
    const random = seededRandom(11);
    const face = randomUnitVector(D, random);
    const searcher = FaceMemory.open(dir, { dimension: D });
    searcher.rememberSource({ kind: "file", name: "/here.mp4" }, [
      {
        trackId: 1,
        firstMs: Date.now(),
        lastMs: Date.now(),
        identity: null,
        closest: null,
        undetermined: false,
        thumbnail: null,
        embeddings: [{ vector: vectorWithSimilarity(face, 0.4, random), quality: 1 }],
      },
    ]);
    // The index is loaded now; what follows comes from the other process.
    assert.deepEqual(
      searcher.search(face).map((h) => h.source.name),
      ["/here.mp4"],
    );

    await inOtherProcess(dir, "rememberSource", [
      { kind: "file", name: "/there.mp4" },
      [
        {
          trackId: 3,
          firstMs: Date.now(),
          lastMs: Date.now(),
          firstS: 1.5,
          lastS: 4,
          identity: { id: "id-amy", name: "amy", similarity: 0.7 },
          closest: null,
          undetermined: false,
          thumbnail: null,
          embeddings: [{ vector: vectorWithSimilarity(face, 0.9, random), quality: 1 }],
        },
      ],
    ]);
    const hits = searcher.search(face);
    assert.deepEqual(
      hits.map((h) => `${h.source.name}#${h.trackId}`),
      ["/there.mp4#3", "/here.mp4#1"],
    );
    assert.equal(hits[0]?.identity?.name, "amy");
    assert.equal(hits[0]?.firstS, 1.5);

    await inOtherProcess(dir, "forgetIdentity", [{ name: "amy" }]);
    assert.deepEqual(
      searcher.search(face).map((h) => h.source.name),
      ["/here.mp4"],
    );
    searcher.close();
  });
});
