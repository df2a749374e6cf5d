/**
 * Children that die with their parent. A short-lived child (apprise sending a notification) that outlives a
 * SIGKILLed service would finish its work unseen, and the restarted service would do it again: on Linux,
 * `setpriv --pdeathsig SIGKILL` (util-linux) makes the kernel kill the child when its parent dies.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";

const SETPRIV_PATHS = ["/usr/bin/setpriv", "/bin/setpriv"];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `command` as found on PATH (or as given when it has a slash), undefined when it is not there. */
function onPath(command: string): string | undefined {
  if (command.includes("/")) return executable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && executable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/**
 * The command line that runs `command args` so that it is killed when this process dies: through setpriv
 * where it exists (Linux), else unchanged. A command that is not on PATH is left unchanged too, so spawning
 * it still fails with ENOENT (callers report "not found").
 */
export function dieWithParent(command: string, args: string[]): { command: string; args: string[] } {
  const setpriv = process.platform === "linux" ? SETPRIV_PATHS.find(executable) : undefined;
  if (!setpriv || !onPath(command)) return { command, args };
  return { command: setpriv, args: ["--pdeathsig", "SIGKILL", "--", command, ...args] };
}
