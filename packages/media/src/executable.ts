/** Checks that ffmpeg / ffprobe can be run before relying on them, for an early and clear error. */

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { FFMPEG_INSTALL_HINT } from "./child-process-guard.ts";
import { MediaError } from "./errors.ts";

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves `command` like the shell does (a name is looked up in PATH); undefined when not found. */
export async function findExecutable(command: string): Promise<string | undefined> {
  if (command.includes("/")) return (await isExecutable(command)) ? command : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Rejects with MediaError("FFMPEG_MISSING") when `command` (ffmpeg or ffprobe) cannot be run. */
export async function requireExecutable(command: string, role: "ffmpeg" | "ffprobe"): Promise<void> {
  if ((await findExecutable(command)) !== undefined) return;
  const where = command.includes("/") ? `at ${command}` : `in PATH (looked for "${command}")`;
  throw new MediaError("FFMPEG_MISSING", `${role} not found ${where}: ${FFMPEG_INSTALL_HINT}`, {
    source: command,
  });
}
