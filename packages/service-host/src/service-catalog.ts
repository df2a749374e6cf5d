/**
 * The pipeline services, defined once: each one's name (its folder services/<name>), its package and the
 * factory that package exports, and whether several instances of it may run side by side. In start order:
 * the api first (the embedded gallery's one writer), the web page, then the stages from the end of the
 * pipeline back to the sources, so that what consumes is there before what produces; stopped in reverse.
 */

import type { ServiceFactory } from "./service-deps.ts";

export interface ServiceSpec {
  /** Its folder under services/ and its name in logs, metrics and `facetracker up`. */
  readonly name: string;
  /** Its package (`import()`-ed to run it in another process's, see loadServiceFactory). */
  readonly package: string;
  /** The ServiceFactory the package exports under this name. */
  readonly factory: string;
  /**
   * "many": instances share the work (a queue group, a shared durable consumer, or the cameras split by
   * leases: ingest, track, alert, clip-recorder, restream); "one": one at a time.
   */
  readonly instances: "one" | "many";
}

export const SERVICES = [
  { name: "api", package: "@facetracker/service-api", factory: "startApiService", instances: "one" },
  { name: "web", package: "@facetracker/service-web", factory: "startWebService", instances: "one" },
  { name: "embed", package: "@facetracker/service-embed", factory: "startEmbedService", instances: "many" },
  { name: "alert", package: "@facetracker/service-alert", factory: "startAlertService", instances: "many" },
  {
    name: "clip-recorder",
    package: "@facetracker/service-clip-recorder",
    factory: "startClipRecorderService",
    instances: "many",
  },
  { name: "track", package: "@facetracker/service-track", factory: "startTrackService", instances: "many" },
  {
    name: "detect",
    package: "@facetracker/service-detect",
    factory: "startDetectService",
    instances: "many",
  },
  {
    name: "restream",
    package: "@facetracker/service-restream",
    factory: "startRestreamService",
    instances: "many",
  },
  {
    name: "ingest",
    package: "@facetracker/service-ingest",
    factory: "startIngestService",
    instances: "many",
  },
] as const satisfies readonly ServiceSpec[];

export type ServiceName = (typeof SERVICES)[number]["name"];

/** The services' names, in start order. */
export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

/** The service named `name`. */
export function serviceSpec(name: ServiceName): ServiceSpec {
  return SERVICES.find((s) => s.name === name) as ServiceSpec;
}

/**
 * The factory of a service, to run it in this process: `importPackage` is the caller's `(p) => import(p)`,
 * so the package resolves from the caller's package, which depends on the services it runs (service-host
 * itself depends on none).
 */
export async function loadServiceFactory(
  name: ServiceName,
  importPackage: (specifier: string) => Promise<unknown>,
): Promise<ServiceFactory> {
  const spec = serviceSpec(name);
  const module = (await importPackage(spec.package)) as Record<string, unknown>;
  const factory = module[spec.factory];
  if (typeof factory !== "function") {
    throw new Error(`${spec.package} exports no service factory ${spec.factory}`);
  }
  return factory as ServiceFactory;
}
