/** Whether the `apprise` command can run here (tests that need it skip with this reason otherwise). */

import { spawnSync } from "node:child_process";

/** Why the apprise tests cannot run here, or undefined when they can. */
export function appriseMissing(command = "apprise"): string | undefined {
  const result = spawnSync(command, ["--version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    return `the apprise command is not available (${result.error?.message ?? `exit ${result.status}`}); install the Debian package apprise`;
  }
  return undefined;
}
