import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { type ManifestFile, manifestEntry, modelsDir } from "./manifest.ts";

export const INSTALL_HINT = "run 'pnpm models:install' (or 'bash scripts/setup.sh') to fetch it";

export class ModelFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = "ModelFileError";
    this.file = file;
  }
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export type FileState = { ok: true } | { ok: false; reason: "missing" | "corrupt"; actual?: string };

/** Checks one manifest file on disk against its checksum. */
export function checkFile(entry: ManifestFile, dir = modelsDir()): FileState {
  let data: Buffer;
  try {
    data = readFileSync(path.join(dir, entry.file));
  } catch {
    return { ok: false, reason: "missing" };
  }
  const actual = sha256(data);
  return actual === entry.sha256 ? { ok: true } : { ok: false, reason: "corrupt", actual };
}

const verified = new Map<string, string>();

/**
 * Path of a verified model or sample file; throws ModelFileError naming the file and the fix when it is
 * missing or its checksum is wrong. Each file is hashed once per process.
 */
export function resolveFile(name: string): string {
  const entry = manifestEntry(name);
  const dir = modelsDir();
  const full = path.join(dir, entry.file);
  if (verified.get(name) === full) return full;
  const state = checkFile(entry, dir);
  if (!state.ok) {
    const what =
      state.reason === "missing"
        ? `${entry.kind} file ${full} is missing`
        : `${entry.kind} file ${full} is corrupt (sha256 ${state.actual}, expected ${entry.sha256})`;
    throw new ModelFileError(full, `${what}: ${INSTALL_HINT}`);
  }
  verified.set(name, full);
  return full;
}
