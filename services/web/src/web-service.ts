import { openCameraRegistry, openCameraStatusBoard } from "@facetracker/bus";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { openGalleryView } from "./gallery-view.ts";
import { apiAddress, GalleryWriter } from "./gallery-writer.ts";
import { startWebServer } from "./web-server.ts";

/**
 * The operators' web page (web-server.ts) as a service: live view, tracks, alerts with their clips, the
 * gallery, and enrolling from a track's or an alert's face, on api.http_port with api.token. It reads the
 * bus, the camera registry, the cameras' status (ingest's reports) and the gallery; it never writes the gallery: enroll, rename and delete go to
 * the api service (its one writer) over gRPC at api.address.
 */
export async function startWebService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger } = deps;
  const bus = serviceBus(deps);
  const cameras = await openCameraRegistry(deps.bus.js);
  const cameraStatus = await openCameraStatusBoard(deps.bus.nc);
  const gallery = await openGalleryView({ ...deps, bus });
  const writer = new GalleryWriter(apiAddress(config), config.api.token);
  let web: Awaited<ReturnType<typeof startWebServer>>;
  try {
    web = await startWebServer({ bus, config, logger, cameras, cameraStatus, gallery, writer });
  } catch (error) {
    writer.close();
    await gallery.close();
    throw error;
  }
  return {
    // Not ready while the page is not served (its port could not be bound: logged with the fix).
    readiness: () => ({ page: web.port !== undefined }),
    listening: (): Record<string, string> => (web.url ? { web: web.url } : {}),
    /** Port of the page (api.http_port); undefined when it could not be bound (logged). */
    httpPort: web.port,
    stop: async () => {
      await web.close();
      writer.close();
      await gallery.close();
    },
  } as PipelineService & { httpPort: number | undefined };
}
