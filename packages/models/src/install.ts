import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadManifest, type Manifest, type ManifestFile, modelsDir } from "./manifest.ts";
import { checkFile, sha256 } from "./verify.ts";

const run = promisify(execFile);

export interface InstallReport {
  present: string[];
  installed: string[];
}

export interface InstallOptions {
  dir?: string;
  manifest?: Manifest;
  log?: (line: string) => void;
  /** Fetches a package tarball into `dest` and returns its path (default: `npm pack`). */
  fetchTarball?: (spec: string, dest: string) => Promise<string>;
}

/** `npm pack NAME@VERSION`: the ordinary npm client, so the user's registry, proxy and cache settings apply. */
export async function npmPack(spec: string, dest: string): Promise<string> {
  const { stdout } = await run(
    "npm",
    ["pack", spec, "--pack-destination", dest, "--json", "--loglevel=error"],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const info = JSON.parse(stdout) as Array<{ filename: string }>;
  const name = info[0]?.filename;
  if (!name) throw new Error(`npm pack ${spec} printed no file name`);
  // npm names scoped tarballs "scope-name-version.tgz" in the JSON but may keep the "@" prefix out.
  return path.join(dest, name.replace(/^@/, "").replace(/\//, "-"));
}

function integrityOf(data: Uint8Array): string {
  return `sha512-${createHash("sha512").update(data).digest("base64")}`;
}

/**
 * Installs the manifest's files: only those missing or corrupt are fetched, from their pinned package's
 * tarball, which is checked against its integrity; each file is checked against its sha256 and moved into
 * place atomically. Running it again when everything is present does nothing.
 */
export async function installModels(options: InstallOptions = {}): Promise<InstallReport> {
  const manifest = options.manifest ?? loadManifest();
  const dir = options.dir ?? modelsDir();
  const log = options.log ?? (() => {});
  const fetchTarball = options.fetchTarball ?? npmPack;
  const report: InstallReport = { present: [], installed: [] };

  const wanted = new Map<string, ManifestFile[]>();
  for (const entry of manifest.files) {
    const state = checkFile(entry, dir);
    if (state.ok) {
      report.present.push(entry.name);
      continue;
    }
    if (state.reason === "corrupt") log(`${entry.file}: checksum mismatch, fetching again`);
    wanted.set(entry.source, [...(wanted.get(entry.source) ?? []), entry]);
  }
  if (wanted.size === 0) return report;

  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), "facetracker-models-"));
  try {
    for (const [sourceKey, entries] of wanted) {
      const source = manifest.sources[sourceKey];
      if (!source) throw new Error(`manifest names unknown source '${sourceKey}'`);
      const spec = `${source.package}@${source.version}`;
      log(`fetching ${spec} (${entries.map((e) => e.file).join(", ")})`);
      const tarball = await fetchTarball(spec, work);
      const actual = integrityOf(await readFile(tarball));
      if (actual !== source.integrity) {
        throw new Error(
          `tarball of ${spec} fails its integrity check (got ${actual}, expected ${source.integrity})`,
        );
      }
      const out = path.join(work, sourceKey);
      await mkdir(out, { recursive: true });
      await run("tar", ["-xzf", tarball, "-C", out, ...entries.map((e) => e.path)]);
      await rm(tarball, { force: true });
      for (const entry of entries) {
        const extracted = path.join(out, entry.path);
        const digest = sha256(await readFile(extracted));
        if (digest !== entry.sha256) {
          throw new Error(`${entry.path} in ${spec} has sha256 ${digest}, expected ${entry.sha256}`);
        }
        const dest = path.join(dir, entry.file);
        await mkdir(path.dirname(dest), { recursive: true });
        const tmp = `${dest}.partial`;
        await rename(extracted, tmp).catch(async () => {
          // Different file systems: copy through memory.
          const { writeFile } = await import("node:fs/promises");
          await writeFile(tmp, await readFile(extracted));
        });
        await rename(tmp, dest);
        report.installed.push(entry.name);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return report;
}
