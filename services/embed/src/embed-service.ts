import { type Gallery, GalleryFollower } from "@facetracker/gallery";
import {
  type EmbedItem,
  EmbedStage,
  MicroBatcher,
  openConfiguredGallery,
  runtimeOptionsFrom,
} from "@facetracker/pipeline";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { FaceAnalyzer } from "@facetracker/vision";

/** Requests a worker takes at once (they wait for the running batch and form the next). */
const REQUESTS_IN_HAND = 8;
/** Crops in one batch at most. */
const MAX_BATCH_ITEMS = 64;

/** A follower re-reads the embedded gallery this often even without an announcement (a missed one). */
const GALLERY_POLL_MS = 5000;

/**
 * Embed worker: answers embed requests on ft.embed in the queue group "embed" (every worker added shares
 * the load, with no configuration): aligned crops → embeddings and their nearest gallery identities.
 * Requests that wait while a batch runs are gathered into the next batch (MicroBatcher).
 * In its own process with an embedded gallery, the worker opens the directory read-only (the api service
 * and the CLI change it) and catches up on each ft.gallery.changed announcement (and before each search by
 * itself), so enrollments reach every worker without a restart; a Qdrant gallery is shared by the server.
 */
export async function startEmbedService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics, gallery: shared } = deps;
  const bus = serviceBus(deps);
  const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
  let follower: GalleryFollower | undefined;
  let gallery: Gallery;
  if (shared) gallery = shared;
  else if (config.gallery.backend === "embedded") {
    follower = await GalleryFollower.open(config.db_path);
    gallery = follower;
  } else gallery = await openConfiguredGallery(config);
  const refresh = (why: string) => {
    follower?.refresh().then(
      (reloaded) => {
        if (reloaded) logger.info("gallery reloaded", { why, reloads: follower?.reloads });
      },
      (error: unknown) => logger.warn("gallery reload failed", { why, error: (error as Error).message }),
    );
  };
  const changes = follower ? bus.galleryChanged.subscribe(() => refresh("announced")) : undefined;
  const poll = follower ? setInterval(() => refresh("poll"), GALLERY_POLL_MS) : undefined;
  poll?.unref();
  const stage = new EmbedStage(analyzer.embedder, gallery);
  // Requests that arrive while a batch runs are embedded and matched together in the next one.
  const batcher = new MicroBatcher((items: EmbedItem[]) => {
    metrics.queueDepth.set({ queue: "embed batch" }, items.length);
    return metrics.time("embed", () => stage.run(items));
  }, MAX_BATCH_ITEMS);
  const server = bus.embed.serve(
    async (request) => {
      const started = performance.now();
      const items = request.items.map((i) => ({ key: i.trackKey, alignedRgb: i.alignedRgb }));
      // A bad crop fails its own request only, not the batch it would join.
      for (const item of items) EmbedStage.check(item);
      const results = await batcher.submit(items);
      return {
        items: results.map((r) => ({
          trackKey: r.key,
          vector: Array.from(r.vector),
          embeddingNorm: r.norm,
          matches: r.matches,
          error: "",
        })),
        error: "",
        embedMs: performance.now() - started,
      };
    },
    { concurrency: REQUESTS_IN_HAND },
  );
  return {
    readiness: () => ({ gallery: true }),
    stop: async () => {
      clearInterval(poll);
      changes?.unsubscribe();
      await server.stop();
      if (!shared) await gallery.close();
    },
  };
}
