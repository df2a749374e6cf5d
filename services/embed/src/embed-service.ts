import { EMBED_QUEUE, EMBED_SUBJECT, serveRequests } from "@facetracker/bus";
import { EmbedStage } from "@facetracker/pipeline";
import { EmbedRequest, EmbedResult } from "@facetracker/proto";
import { openConfiguredGallery, runtimeOptionsFrom } from "@facetracker/sdk";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import { FaceAnalyzer } from "@facetracker/vision";

/**
 * Embed worker: answers embed requests on ft.embed in the queue group "embed" (every worker added shares
 * the load, with no configuration): aligned crops → embeddings and their nearest gallery identities.
 */
export async function startEmbedService({
  bus,
  config,
  logger,
  metrics,
  gallery: shared,
}: ServiceDeps): Promise<PipelineService> {
  const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
  const gallery = shared ?? (await openConfiguredGallery(config));
  const stage = new EmbedStage(analyzer.embedder, gallery);
  const server = serveRequests(
    bus.nc,
    EMBED_SUBJECT,
    EMBED_QUEUE,
    EmbedRequest,
    EmbedResult,
    async (request) => {
      metrics.messagesIn.inc({ subject_kind: "embed" });
      const started = performance.now();
      const results = await metrics.time("embed", () =>
        stage.run(request.items.map((i) => ({ key: i.trackKey, alignedJpeg: i.alignedJpeg }))),
      );
      metrics.messagesOut.inc({ subject_kind: "embed" });
      return {
        items: results.map((r) => ({
          trackKey: r.key,
          vector: Array.from(r.vector),
          matches: r.matches,
          error: "",
        })),
        error: "",
        embedMs: performance.now() - started,
      };
    },
    { logger },
  );
  return {
    readiness: () => ({ gallery: true }),
    stop: async () => {
      await server.stop();
      if (!shared) await gallery.close();
    },
  };
}
