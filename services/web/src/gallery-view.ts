/**
 * The gallery as the web page reads it. The page never writes it (changes go to the api service over
 * gRPC: gallery-writer.ts). In one process with the api (`up --single-process`) it reads the
 * shared instance; an embedded gallery in its own process is followed read-only (GalleryFollower, reloaded
 * on each ft.gallery.changed announcement and every 5 s in case one was missed, as the embed workers do);
 * a Qdrant gallery is read from the server.
 */

import type { TypedBus } from "@facetracker/bus";
import { type Gallery, GalleryFollower } from "@facetracker/gallery";
import { openConfiguredGallery } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";

/** A followed gallery is read again this often even without an announcement (a missed one). */
const GALLERY_POLL_MS = 5000;

export interface GalleryView {
  /** Read it only: a follower refuses changes. */
  readonly gallery: Gallery;
  /** Reloads a followed gallery now if it changed (a change made or announced): the next read shows it. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the gallery for reading, as the service's process can (see above). */
export async function openGalleryView({
  bus,
  config,
  logger,
  gallery: shared,
}: { bus: TypedBus } & Pick<ServiceDeps, "config" | "logger" | "gallery">): Promise<GalleryView> {
  if (shared) return { gallery: shared, refresh: async () => {}, close: async () => {} };
  if (config.gallery.backend !== "embedded") {
    const gallery = await openConfiguredGallery(config);
    return { gallery, refresh: async () => {}, close: () => gallery.close() };
  }
  const follower = await GalleryFollower.open(config.db_path);
  const refresh = (why: string) =>
    follower.refresh().then(
      (reloaded) => {
        if (reloaded) logger.info("gallery reloaded", { why, reloads: follower.reloads });
      },
      (error: unknown) => logger.warn("gallery reload failed", { why, error: (error as Error).message }),
    );
  const changes = bus.galleryChanged.subscribe(() => void refresh("announced"));
  const poll = setInterval(() => void refresh("poll"), GALLERY_POLL_MS);
  poll.unref();
  return {
    gallery: follower,
    refresh: () => refresh("on demand"),
    close: async () => {
      clearInterval(poll);
      changes.unsubscribe();
      await follower.close();
    },
  };
}
