import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const main = path.join(repoRoot, "packages/cli/src/main.ts");

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs the real `facetracker` CLI in a child process (no FACETRACKER_CONFIG from the caller); resolves with
 * its exit code and output. It is killed after `limitMs`, and a hang fails the test.
 */
export function runCli(args: string[], limitMs = 120_000, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd: repoRoot,
      env: { ...process.env, FACETRACKER_CONFIG: "", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`facetracker ${args.join(" ")} did not finish in ${limitMs} ms:\n${out}\n${err}`));
    }, limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
