/**
 * The track stage's identification through the embed workers on the bus (one request per frame), and
 * what it does when none answers: the request's failure (no responders, no reply in time, the bus down)
 * becomes IdentificationUnavailableError, which the tracking session takes as "no evidence" (the tracks
 * go on, those not identified yet stay identifying, and the faces are asked for again on a later frame).
 * Meanwhile the workers are asked again with backoff, not on every frame: a worker that hangs would
 * otherwise hold every frame for the whole request timeout. A request that times out while the workers
 * answered until then is sent again once at once: its worker most likely died holding it, and the others
 * can answer.
 */

import { RequestFailedError, type TypedBus } from "@facetracker/bus";
import { type BackoffOptions, backoffDelayMs } from "@facetracker/infra";
import { IdentificationUnavailableError, type RemoteIdentify } from "@facetracker/pipeline";
import type { ServiceDeps } from "@facetracker/service-host";
import { Counter, Gauge } from "prom-client";

/** How long the tracker waits for the embed workers before treating the faces as not identified yet. */
export const EMBED_TIMEOUT_MS = 10_000;

/** After a request no worker answered, the next one goes after 0.5 s, doubling, at most 5 s. */
export const EMBED_RETRY_BACKOFF: BackoffOptions = { initialMs: 500, factor: 2, maxMs: 5000 };

export interface EmbedWorkersOptions {
  timeoutMs?: number;
  backoff?: BackoffOptions;
}

/**
 * The embed workers as the track service sees them, shared by its cameras: one request per frame while
 * they answer; after one got no answer, frames are tracked without identification until the backoff
 * delay passed, then a request tries again. The outage is logged once when it starts and once when it
 * ends, and counted in facetracker_identifications_deferred_total (frames whose identification waited)
 * and facetracker_embed_workers_answering (0 during an outage).
 */
export class EmbedWorkers {
  readonly #bus: TypedBus;
  readonly #deps: Pick<ServiceDeps, "logger" | "metrics">;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffOptions;
  readonly #deferred: Counter;
  readonly #answering: Gauge;
  /** Requests in a row that got no answer (0: the workers answer). */
  #failures = 0;
  #retryAt = 0;
  #outageSince = 0;

  constructor(
    bus: TypedBus,
    deps: Pick<ServiceDeps, "logger" | "metrics">,
    options: EmbedWorkersOptions = {},
  ) {
    this.#bus = bus;
    this.#deps = deps;
    this.#timeoutMs = options.timeoutMs ?? EMBED_TIMEOUT_MS;
    this.#backoff = options.backoff ?? EMBED_RETRY_BACKOFF;
    const registry = deps.metrics.registry;
    this.#deferred =
      (registry.getSingleMetric("facetracker_identifications_deferred_total") as Counter | undefined) ??
      new Counter({
        name: "facetracker_identifications_deferred_total",
        help: "Frames whose identification waited because no embed worker answered (the faces stay identifying).",
        registers: [registry],
      });
    this.#answering =
      (registry.getSingleMetric("facetracker_embed_workers_answering") as Gauge | undefined) ??
      new Gauge({
        name: "facetracker_embed_workers_answering",
        help: "1 while the embed workers answer the track service's requests, 0 during an outage.",
        registers: [registry],
      });
    this.#answering.set(1);
  }

  /** Embeds a camera's aligned crops (raw RGB) and matches them against the gallery, three nearest each. */
  identify(camera: string): RemoteIdentify {
    return async (crops) => {
      const now = Date.now();
      if (this.#failures > 0 && now < this.#retryAt) {
        this.#deferred.inc();
        throw new IdentificationUnavailableError(
          `no embed worker answered; asking again in ${this.#retryAt - now} ms`,
        );
      }
      const request = () =>
        this.#deps.metrics.time("embed_request", () =>
          this.#bus.embed.request(
            {
              camera,
              seq: 0,
              topK: 3,
              items: crops.map((c, k) => ({
                trackKey: k,
                alignedRgb: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length),
              })),
            },
            this.#timeoutMs,
          ),
        );
      let reply: Awaited<ReturnType<TypedBus["embed"]["request"]>>;
      try {
        reply = await request().catch((error: unknown) => {
          // The worker that had the request may have died with it (SIGKILL): the bus dropped its
          // subscription meanwhile, so while the workers answered until now, another one is asked at
          // once. Without this the frame's faces would wait for the backoff, and a file that ends in
          // that time would leave them identifying for good.
          if (error instanceof RequestFailedError && error.reason === "timeout" && this.#failures === 0) {
            this.#deps.logger.info("an embed request got no answer in time: asking the workers again", {
              camera,
              timeoutMs: this.#timeoutMs,
            });
            return request();
          }
          throw error;
        });
      } catch (error) {
        if (!(error instanceof RequestFailedError)) throw error;
        throw this.#unanswered(camera, error);
      }
      this.#answered();
      if (reply.error) throw new Error(`embed workers: ${reply.error}`);
      return reply.items.map((item) => ({
        embedding: Float32Array.from(item.vector),
        ...(item.embeddingNorm > 0 ? { norm: item.embeddingNorm } : {}),
        matches: item.matches,
      }));
    };
  }

  #unanswered(camera: string, error: RequestFailedError): IdentificationUnavailableError {
    this.#failures++;
    const delay = backoffDelayMs(this.#failures, this.#backoff);
    this.#retryAt = Date.now() + delay;
    this.#deferred.inc();
    if (this.#failures === 1) {
      this.#outageSince = Date.now();
      this.#answering.set(0);
      this.#deps.logger.warn(
        "no embed worker answers: tracking goes on, faces not identified yet stay identifying, identification is asked again with backoff",
        { camera, error: error.message, retryInMs: delay },
      );
    }
    return new IdentificationUnavailableError(error.message, { cause: error });
  }

  #answered(): void {
    if (this.#failures === 0) return;
    this.#deps.logger.info("the embed workers answer again: identification resumes", {
      outageMs: Date.now() - this.#outageSince,
      unansweredRequests: this.#failures,
    });
    this.#failures = 0;
    this.#answering.set(1);
  }
}
