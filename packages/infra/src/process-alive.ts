/** Whether a process runs, by pid. */

import { errnoCode } from "./errno.ts";

/** True when a process with this pid exists (signal 0 probes; EPERM: it exists, another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}
