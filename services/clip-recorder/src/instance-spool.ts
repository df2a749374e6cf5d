/**
 * The spool directory of one clip recorder instance: `storage.spool_path` with `{instance}` replaced by the
 * instance's ID. A spool holds one recorder's outbox and ledger under a pid lock, so instances that share a
 * file system (`docker compose up --scale clip-recorder=3`: one volume) each need their own directory.
 */

/** The placeholder of storage.spool_path that stands for the instance's ID. */
export const INSTANCE_PLACEHOLDER = "{instance}";

/** `spoolPath` with every `{instance}` replaced by `instance` (unchanged when it has none). */
export function instanceSpoolPath(spoolPath: string, instance: string): string {
  return spoolPath.replaceAll(INSTANCE_PLACEHOLDER, instance);
}
