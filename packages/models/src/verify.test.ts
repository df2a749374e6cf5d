import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { manifestEntry, modelsDir } from "./manifest.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

/** resolveFile in a fresh process with FACETRACKER_MODELS_DIR set (the verified-file cache is per process). */
function resolveIn(dir: string, name: string) {
  const code = `import { resolveFile } from ${JSON.stringify(path.join(here, "verify.ts"))};
try { console.log(resolveFile(${JSON.stringify(name)})); } catch (e) { console.error(e.name + ": " + e.message); process.exit(3); }`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, FACETRACKER_MODELS_DIR: dir },
    encoding: "utf8",
  });
}

describe("resolveFile", () => {
  it("says which model file is missing and how to fix it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-nomodels-"));
    try {
      const r = resolveIn(dir, "embedder");
      assert.equal(r.status, 3);
      assert.equal(
        r.stderr.trim(),
        `ModelFileError: model file ${path.join(dir, "fr_feature.onnx")} is missing: run 'pnpm models:install' (or 'bash scripts/setup.sh') to fetch it`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says which model file is corrupt, with both checksums", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-badmodels-"));
    try {
      await writeFile(path.join(dir, "fr_detect.onnx"), "not a model");
      const r = resolveIn(dir, "detector");
      assert.equal(r.status, 3);
      assert.match(
        r.stderr,
        /fr_detect\.onnx is corrupt \(sha256 [0-9a-f]{64}, expected 6c0256cc[0-9a-f]+\): run 'pnpm models:install'/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns the path of a verified file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ft-okmodels-"));
    try {
      await copyFile(
        path.join(modelsDir(), manifestEntry("landmarks").file),
        path.join(dir, "fr_landmark.onnx"),
      );
      const r = resolveIn(dir, "landmarks");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), path.join(dir, "fr_landmark.onnx"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
