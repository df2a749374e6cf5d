/**
 * Paths of one instance of a service: `{instance}` in a configured path (alerts.notification_state_path,
 * storage.spool_path) is replaced by the instance's ID (FACETRACKER_INSTANCE, else `<hostname>-<service>`),
 * so instances that share a volume (`docker compose up --scale alert=3`) each keep their own directory.
 */

/** `template` with every `{instance}` replaced by `instance`. */
export function instancePath(template: string, instance: string): string {
  return template.replaceAll("{instance}", instance);
}
