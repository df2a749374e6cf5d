/** The track stage's identification through the embed workers on the bus (one request per frame). */

import type { TypedBus } from "@facetracker/bus";
import type { RemoteIdentify } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";

/** How long the tracker waits for the embed workers before treating the faces as not identified. */
const EMBED_TIMEOUT_MS = 10_000;

/** Embeds a camera's aligned crops (raw RGB) and matches them against the gallery, three nearest each. */
export function remoteIdentify(
  bus: TypedBus,
  metrics: ServiceDeps["metrics"],
  camera: string,
): RemoteIdentify {
  return async (crops) => {
    const reply = await metrics.time("embed_request", () =>
      bus.embed.request(
        {
          camera,
          seq: 0,
          topK: 3,
          items: crops.map((c, k) => ({
            trackKey: k,
            alignedRgb: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length),
          })),
        },
        EMBED_TIMEOUT_MS,
      ),
    );
    if (reply.error) throw new Error(`embed workers: ${reply.error}`);
    return reply.items.map((item) => ({
      embedding: Float32Array.from(item.vector),
      matches: item.matches,
    }));
  };
}
