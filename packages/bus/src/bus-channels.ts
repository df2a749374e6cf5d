/**
 * The core-NATS channels of the typed bus (not stored in a stream): the gallery-changed broadcast and
 * the embed workers' request/reply, each bound to its subject and protobuf types.
 */

import { EmbedRequest, EmbedResult, GalleryChanged } from "@facetracker/proto";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorText } from "./dead-letter.ts";
import type { BusLogger } from "./logger.ts";
import { type RequestServer, requestMessage, serveRequests } from "./request-reply.ts";
import { EMBED_QUEUE, EMBED_SUBJECT, GALLERY_CHANGED_SUBJECT } from "./subjects.ts";

/** The gallery-changed broadcast (ft.gallery.changed). */
export interface GalleryChanges {
  /** Announces a change to whoever listens now (nothing is stored). */
  publish(change: GalleryChanged): void;
  /** Calls `listener` with each change announced from now on; an undecodable one is logged and skipped. */
  subscribe(listener: (change: GalleryChanged) => void): { unsubscribe(): void };
}

/** The embed workers' requests (ft.embed, queue group "embed"). */
export interface EmbedRequests {
  /** Sends one request; throws RemoteError or RequestFailedError saying why it got no result. */
  request(request: EmbedRequest, timeoutMs: number): Promise<EmbedResult>;
  /**
   * Answers requests as a member of the queue group (every worker added shares the load); `concurrency`
   * requests at once (default 1).
   */
  serve(
    handler: (request: EmbedRequest) => EmbedResult | Promise<EmbedResult>,
    options?: { concurrency?: number },
  ): RequestServer;
}

/** Counting hooks of the channels (see TypedBusOptions). */
export interface ChannelHooks {
  logger: BusLogger;
  onConsumed?: ((kind: "embed") => void) | undefined;
  onPublished?: ((kind: "embed") => void) | undefined;
}

export function galleryChanges(nc: NatsConnection, { logger }: ChannelHooks): GalleryChanges {
  return {
    publish(change) {
      nc.publish(GALLERY_CHANGED_SUBJECT, GalleryChanged.encode(change).finish());
    },
    subscribe(listener) {
      return nc.subscribe(GALLERY_CHANGED_SUBJECT, {
        callback: (error, msg) => {
          if (error) return;
          let change: GalleryChanged;
          try {
            change = GalleryChanged.decode(msg.data);
          } catch (decodeError) {
            logger.warn("undecodable gallery change", { error: errorText(decodeError) });
            return;
          }
          listener(change);
        },
      });
    },
  };
}

/** Counts a served request in (decoded) and its reply out, around the handler. */
export function embedRequests(nc: NatsConnection, hooks: ChannelHooks): EmbedRequests {
  return {
    request: (request, timeoutMs) =>
      requestMessage(nc, EMBED_SUBJECT, EmbedRequest, EmbedResult, request, timeoutMs),
    serve: (handler, options = {}) =>
      serveRequests(
        nc,
        EMBED_SUBJECT,
        EMBED_QUEUE,
        EmbedRequest,
        EmbedResult,
        async (request) => {
          hooks.onConsumed?.("embed");
          const reply = await handler(request);
          hooks.onPublished?.("embed");
          return reply;
        },
        {
          logger: hooks.logger,
          ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
        },
      ),
  };
}
