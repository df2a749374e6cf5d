/**
 * How many processes of each service an embedded run starts (`facetracker up --instances track=2,ingest=2`,
 * PipelineOptions.instances): one each by default; several only of a service the catalog
 * (service-host's SERVICES) marks `instances: "many"`. Each instance of a service run as several has its own
 * instance ID (FACETRACKER_INSTANCE, see CameraLeases in @facetracker/bus) and, where the service keeps
 * local state, its own place for it.
 */

import path from "node:path";
import { instanceId } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { SERVICE_NAMES, type ServiceName, serviceSpec } from "@facetracker/service-host";

/** Instances per service; a service left out runs once. */
export type ServiceInstances = Partial<Record<ServiceName, number>>;

/** The most instances of one service (as embed workers were before). */
export const MAX_INSTANCES = 64;

/** The services the catalog lets run as several instances, in start order. */
export function servicesRunAsMany(): ServiceName[] {
  return SERVICE_NAMES.filter((name) => serviceSpec(name).instances === "many");
}

/**
 * `SERVICE=N[,SERVICE=N…]` (the `--instances` option) as counts. Throws a RangeError for anything else: no
 * `=`, a count that is not a whole number, a service given twice. Which services and counts are allowed is
 * resolveServiceInstances's to say.
 */
export function parseServiceInstances(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of text.split(",").map((s) => s.trim())) {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(item);
    if (!match) {
      throw new RangeError(`expected SERVICE=N[,SERVICE=N…] (e.g. track=2,ingest=2), got '${item}'`);
    }
    const [, name, count] = match as unknown as [string, string, string];
    if (name in counts) throw new RangeError(`${name} is given twice`);
    counts[name] = Number(count);
  }
  return counts;
}

/**
 * Every service's instance count: `instances` (default 1 each), with `embedWorkers` a synonym for
 * `instances.embed`. Throws a RangeError naming the service for an unknown service, a count that is not a
 * whole number from 1 to 64, more than one instance of a service the catalog runs as one, or
 * `embedWorkers` and `instances.embed` both given and different.
 */
export function resolveServiceInstances(
  instances: Readonly<Record<string, number>> = {},
  embedWorkers?: number,
): Record<ServiceName, number> {
  for (const [name, count] of Object.entries(instances)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new RangeError(`no service '${name}' (the services: ${SERVICE_NAMES.join(", ")})`);
    }
    if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
      throw new RangeError(`${name}: expected a whole number from 1 to ${MAX_INSTANCES}, got ${count}`);
    }
    if (count > 1 && serviceSpec(name as ServiceName).instances !== "many") {
      throw new RangeError(
        `${name} runs as one instance only (several may run of: ${servicesRunAsMany().join(", ")})`,
      );
    }
  }
  if (embedWorkers !== undefined) {
    if (!Number.isInteger(embedWorkers) || embedWorkers < 1 || embedWorkers > MAX_INSTANCES) {
      throw new RangeError(
        `embedWorkers must be a whole number from 1 to ${MAX_INSTANCES}, got ${embedWorkers}`,
      );
    }
    if (instances.embed !== undefined && instances.embed !== embedWorkers) {
      throw new RangeError(
        `embedWorkers (${embedWorkers}) and instances.embed (${instances.embed}) disagree: give one`,
      );
    }
  }
  return Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, instances[name] ?? (name === "embed" ? embedWorkers : 1) ?? 1]),
  ) as Record<ServiceName, number>;
}

/**
 * The instance ID of instance `index` (1, 2 …) of a service run as several, its FACETRACKER_INSTANCE:
 * `<hostname>-<service>-<index>` (characters a key cannot hold as '_'), the same across its restarts, so a
 * restarted instance takes its own camera leases back at once.
 */
export function serviceInstanceId(service: ServiceName, index: number): string {
  return instanceId(service, index, {});
}

/**
 * The configuration keys an instance of a service run as several needs to keep its local state apart
 * from its siblings', as FACETRACKER_SECTION__KEY variables (applied on top of the configuration file the
 * child loads): the alert service's notification state (`alerts.notification_state_path`) and the clip
 * recorder's spool (`storage.spool_path`) at `<path>/<instance ID>`. None for a path with an `{instance}`
 * placeholder (the service puts its instance ID there itself), nor for any other service. Values are
 * JSON-quoted, so that the environment's YAML reading keeps them strings.
 */
export function ownStateEnv(
  config: FaceTrackerConfig,
  service: ServiceName,
  instance: string,
): Record<string, string> {
  const own = (variable: string, configured: string): Record<string, string> =>
    configured.includes("{instance}") ? {} : { [variable]: JSON.stringify(path.join(configured, instance)) };
  if (service === "alert") {
    return own("FACETRACKER_ALERTS__NOTIFICATION_STATE_PATH", config.alerts.notification_state_path);
  }
  if (service === "clip-recorder") return own("FACETRACKER_STORAGE__SPOOL_PATH", config.storage.spool_path);
  return {};
}
