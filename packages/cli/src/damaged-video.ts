/**
 * A video that decoded only in part: the one message naming what was lost and where, and the exit code
 * (EXIT_DAMAGED), unless --allow-damaged turns it into a warning.
 */

import { describeDamage, type RunStats } from "@facetracker/pipeline";
import { CliError } from "./cli-error.ts";

/** Exit code of analyze and enroll --from-video for a damaged video (docs/cli.md). */
export const EXIT_DAMAGED = 3;

/** "VIDEO: damaged video: lost 174 of 275 frames: 3.37–9.18 s", or undefined when nothing was lost. */
export function damageMessage(video: string, stats: RunStats): string | undefined {
  const damage = describeDamage(stats);
  return damage === undefined ? undefined : `${video}: damaged video: ${damage}`;
}

/**
 * For a damaged video: with `allowDamaged`, prints the damage as a warning on stderr; without, throws a
 * CliError (exit EXIT_DAMAGED) naming the damage and `consequence` (what the command did or did not do).
 */
export function checkDamage(
  video: string,
  stats: RunStats,
  allowDamaged: boolean,
  consequence: string,
): void {
  const message = damageMessage(video, stats);
  if (message === undefined) return;
  if (allowDamaged) {
    console.error(`facetracker: warning: ${message}`);
    return;
  }
  throw new CliError(`${message} (${consequence}; --allow-damaged accepts a damaged video)`, EXIT_DAMAGED);
}
