// protoc + ts-proto code generation of proto/**/*.proto into packages/proto/src/gen, and the staleness check.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const packageDir = resolve(import.meta.dirname, "..");
export const REPO_ROOT = resolve(packageDir, "../..");
export const PROTO_ROOT = join(REPO_ROOT, "proto");
export const GENERATED_DIR = join(packageDir, "src/gen");
const PLUGIN = join(packageDir, "node_modules/.bin/protoc-gen-ts_proto");

/**
 * ts-proto options, chosen so the output runs under Node 24 type stripping and passes the repository's
 * strict tsc: no TS enums (enumsAsLiterals; the generated type-only namespaces are erasable), relative
 * imports ending in .ts, plain numbers for 64-bit integers, no tool versions in the header (so the check
 * does not depend on the protoc patch release).
 */
export const TS_PROTO_OPTIONS: readonly string[] = [
  "enumsAsLiterals=true",
  "removeEnumPrefix=true",
  "outputServices=grpc-js",
  "esModuleInterop=true",
  "forceLong=number",
  "useOptionals=messages",
  "importSuffix=.ts",
  "env=node",
  "useDate=false",
  "oneof=unions-value",
  "exportCommonSymbols=false",
  "annotateFilesWithVersion=false",
  // TypeScript keys in camelCase, JSON (toJSON, fromJSON) with the .proto's snake_case names:
  // one JSON style with the CLI's --json and the web API.
  "snakeToCamel=keys",
  "protoJsonFormat=false",
];

/** Relative paths of the files under dir whose name ends with suffix, sorted; [] when dir is missing. */
export async function listFiles(dir: string, suffix = ""): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The protoc executable ($PROTOC or protoc on PATH), or an error saying how to install it. */
export function findProtoc(): string {
  const protoc = process.env.PROTOC ?? "protoc";
  try {
    execFileSync(protoc, ["--version"], { stdio: "pipe" });
  } catch {
    throw new Error(
      `protoc not found ('${protoc}'): install the protobuf compiler (apt-get install protobuf-compiler, ` +
        "or bash scripts/setup.sh), or set PROTOC to its path",
    );
  }
  return protoc;
}

/** Runs protoc with ts-proto on every .proto under PROTO_ROOT, writing into dir. */
export async function generateInto(dir: string): Promise<void> {
  if (!existsSync(PLUGIN)) throw new Error(`ts-proto plugin missing at ${PLUGIN}: run pnpm install`);
  const protos = (await listFiles(PROTO_ROOT, ".proto")).map((f) => join(PROTO_ROOT, f));
  if (protos.length === 0) throw new Error(`no .proto files under ${PROTO_ROOT}`);
  execFileSync(
    findProtoc(),
    [
      `--plugin=protoc-gen-ts_proto=${PLUGIN}`,
      `--ts_proto_out=${dir}`,
      `--ts_proto_opt=${TS_PROTO_OPTIONS.join(",")}`,
      `-I${PROTO_ROOT}`,
      ...protos,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
}

/** Files that differ between two trees, relative paths with the reason, sorted; [] when identical. */
export async function diffTrees(expected: string, actual: string): Promise<string[]> {
  const differing: string[] = [];
  const files = new Set([...(await listFiles(expected)), ...(await listFiles(actual))]);
  for (const file of files) {
    const want = join(expected, file);
    const have = join(actual, file);
    if (!existsSync(want)) differing.push(`${file} (no longer generated)`);
    else if (!existsSync(have)) differing.push(`${file} (missing)`);
    else if (!(await readFile(want)).equals(await readFile(have))) differing.push(`${file} (changed)`);
  }
  return differing.sort();
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "ft-proto-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Regenerates GENERATED_DIR (replacing its content); returns the generated files. */
export async function regenerate(): Promise<string[]> {
  return withTempDir(async (temp) => {
    await generateInto(temp);
    await rm(GENERATED_DIR, { recursive: true, force: true });
    await cp(temp, GENERATED_DIR, { recursive: true });
    return listFiles(GENERATED_DIR, ".ts");
  });
}

/**
 * Generates into a temporary directory and compares with the committed code (GENERATED_DIR unless
 * another directory is given); returns the differing files, [] when up to date.
 */
export async function findStaleFiles(committedDir: string = GENERATED_DIR): Promise<string[]> {
  return withTempDir(async (temp) => {
    await generateInto(temp);
    return diffTrees(temp, committedDir);
  });
}
