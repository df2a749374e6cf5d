/**
 * `-` as a file name: standard input where the CLI reads a file, standard output where it writes one. Input
 * is copied into a private temporary file (the readers take paths; video probing needs a seekable file),
 * removed when the process exits; standard input can be read once per run.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { CliError } from "./cli-error.ts";

export const STDIO = "-";

let stdinTakenBy: string | undefined;
const tempDirs: string[] = [];

/** All of standard input; `what` names the option or argument in the error when two ask for it. */
export function readStdin(what: string): Buffer {
  if (stdinTakenBy !== undefined)
    throw new CliError(`${what} and ${stdinTakenBy} cannot both read standard input ('-')`, 2);
  stdinTakenBy = what;
  try {
    return readFileSync(0);
  } catch (error) {
    // A non-blocking standard input (inherited from the parent): read it through a blocking descriptor.
    if ((error as NodeJS.ErrnoException).code === "EAGAIN") return readFileSync("/dev/stdin");
    throw new CliError(`${what}: cannot read standard input (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** A private temporary directory (0700), removed when the process exits. */
export function privateTempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "facetracker-"));
  if (tempDirs.length === 0)
    process.once("exit", () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  tempDirs.push(dir);
  return dir;
}

/** `file` itself, or for `-` a temporary copy of standard input named `name`. */
export function inputFile(file: string, what: string, name = "stdin"): string {
  if (file !== STDIO) return file;
  const copy = path.join(privateTempDir(), name);
  writeFileSync(copy, readStdin(what), { mode: 0o600 });
  return copy;
}

/** Writes `data` to `file`, or to standard output for `-`. */
export async function writeOutput(file: string, data: string | Uint8Array): Promise<void> {
  if (file !== STDIO) return writeFile(file, data);
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(data, (error) => (error ? reject(error) : resolve())),
  );
}

/** Copies a file to standard output. */
export async function catToStdout(file: string): Promise<void> {
  await pipeline(createReadStream(file), process.stdout, { end: false });
}

/** At most one output may be standard output: the options (name, value) that ask for it, checked. */
export function oneStdout(outputs: [string, string | undefined][], usage: string): boolean {
  const toStdout = outputs.filter(([, v]) => v === STDIO).map(([name]) => name);
  if (toStdout.length > 1)
    throw new CliError(
      `only one of ${toStdout.join(", ")} can write to standard output ('-')\nusage: ${usage}`,
      2,
    );
  return toStdout.length === 1;
}
