/**
 * The operators' web page, served by the web service on api.http_port: live view of each camera (JPEG
 * frames with their tracks drawn, or the MediaMTX player of the restream), current tracks, the alert
 * timeline with clips, the face gallery, enrolling a person from a track's or an alert's face, and search
 * by face in the face memory (face-search.ts).
 * Plain files from services/web/public plus a JSON/SSE API under /api (see routes in handle()). With
 * api.token set, everything but the login form needs the token (see web-auth.ts).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CameraRegistry, CameraStatusBoard, TypedBus } from "@facetracker/bus";
import { StoredClips } from "@facetracker/clips";
import { type FaceTrackerConfig, linkSigner, listenHostOf } from "@facetracker/config";
import type { ServiceDeps } from "@facetracker/service-host";
import { ActivityFeed } from "./activity-feed.ts";
import { AlertLinkViews } from "./alert-links.ts";
import { alertQuery } from "./alert-query.ts";
import { listCameras } from "./camera-list.ts";
import { serveClip } from "./clip-files.ts";
import { enrollSource } from "./enroll-source.ts";
import {
  FaceSearch,
  faceAsPhoto,
  MAX_SEARCH_PHOTO_BYTES,
  readPhotoBody,
  searchFilters,
} from "./face-search.ts";
import { GalleryRoutes } from "./gallery-routes.ts";
import type { GalleryView } from "./gallery-view.ts";
import { apiAddress, type GalleryWriter } from "./gallery-writer.ts";
import {
  cameraIdOf,
  HttpError,
  pathSegment,
  readJsonBody,
  sendBytes,
  sendError,
  sendJson,
  stringField,
} from "./http-helpers.ts";
import { LiveFeeds } from "./live-feed.ts";
import { loginRoutes } from "./login-page.ts";
import { PeopleRoutes } from "./people-routes.ts";
import { crossSiteRefusal } from "./same-origin.ts";
import { SseClient } from "./sse.ts";
import { PAGE_HEADERS, staticFile } from "./static-files.ts";
import { clearedTokenCookie, TokenCheck } from "./web-auth.ts";

/** Live frames sent to one browser per second, at most (and at most live_stream.max_fps). */
export const LIVE_MAX_FPS = 10;

export interface WebServerOptions {
  bus: TypedBus;
  config: FaceTrackerConfig;
  logger: ServiceDeps["logger"];
  cameras: CameraRegistry;
  /** What ingest reports of each camera (state, since, last error, reconnects). */
  cameraStatus: CameraStatusBoard;
  /** The gallery, read only (see gallery-view.ts). */
  gallery: GalleryView;
  /** Gallery changes, sent to the api service, its writer. */
  writer: GalleryWriter;
}

export interface WebServer {
  /** The port the page is served on; undefined when it could not be bound (logged). */
  readonly port: number | undefined;
  /** The page's URL at the address actually bound (web.listen, else listen_host); undefined when not bound. */
  readonly url?: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const JPEG = "image/jpeg";

/** Starts serving the page; resolves once it listens (or once it is known that it cannot). */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { bus, config, logger, cameras, cameraStatus } = options;
  const port = config.api.http_port;
  const healthPort = process.env.FACETRACKER_HTTP_PORT;
  if (port !== 0 && healthPort !== undefined && Number(healthPort) === port) {
    logger.error("web page not served: api.http_port is also FACETRACKER_HTTP_PORT (health and metrics)", {
      port,
      fix: "set api.http_port (FACETRACKER_API__HTTP_PORT) to another port",
    });
    return { port: undefined, close: async () => {} };
  }

  const auth = new TokenCheck(config.api.token);
  const activity = await ActivityFeed.start({ bus, logger, refreshGallery: () => options.gallery.refresh() });
  const live = new LiveFeeds({
    bus,
    logger,
    maxFps: Math.min(LIVE_MAX_FPS, config.live_stream.max_fps),
    hasFace: (camera, trackId) => activity.trackFace(camera, trackId) !== undefined,
  });
  const gallery = new GalleryRoutes(options.gallery, options.writer);
  const people = new PeopleRoutes(options.gallery, options.writer);
  const faceSearch = new FaceSearch(apiAddress(config), config.api.token);
  const maxPhotoBytes = Math.min(MAX_SEARCH_PHOTO_BYTES, config.api.max_upload_bytes - 1024);
  let clips: StoredClips | undefined;
  const clipStore = () => {
    clips ??= StoredClips.open(config.storage);
    return clips;
  };
  // The views notifications link to (alert-links.ts): signed links open them without a session.
  const linkViews = new AlertLinkViews({ signer: linkSigner(config), activity, clips: clipStore });
  const streams = new Set<SseClient>();
  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    const client = new SseClient(req, res);
    streams.add(client);
    client.onClose(() => streams.delete(client));
    return client;
  };

  const routes: Route[] = [
    {
      method: "GET",
      pattern: /^\/api\/session$/,
      handler: async (_req, res) => sendJson(res, 200, { tokenRequired: auth.required }),
    },
    {
      method: "GET",
      pattern: /^\/api\/cameras$/,
      handler: async (req, res) =>
        sendJson(res, 200, { cameras: await listCameras(config, cameras, req.headers.host, cameraStatus) }),
    },
    {
      method: "GET",
      pattern: /^\/api\/live\/([^/]+)$/,
      handler: async (req, res, [camera = ""], url) => {
        const id = cameraIdOf(pathSegment(camera));
        const fps = Number(url.searchParams.get("fps") ?? "0");
        const client = openStream(req, res);
        try {
          await live.watch(id, client, Number.isFinite(fps) ? fps : 0);
        } catch (error) {
          client.send("failure", {
            error: `the live view of ${id} cannot start: ${(error as Error).message}`,
          });
          client.close();
        }
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/events$/,
      handler: async (req, res) => activity.follow(openStream(req, res)),
    },
    {
      method: "GET",
      // A page of alerts, newest first, from the alerts stream: ?before=SEQ&limit=N&camera=&person=&known=
      // known|unknown&since=&until=&unacknowledged=1 (alert-pages.ts); `next` is the following page's before.
      pattern: /^\/api\/alerts$/,
      handler: async (_req, res, _params, url) => sendJson(res, 200, await activity.page(alertQuery(url))),
    },
    {
      // Acknowledge an alert ({"acknowledged": true}) or withdraw it (false): shared by every page.
      method: "POST",
      pattern: /^\/api\/alerts\/([^/]+)\/ack$/,
      handler: async (req, res, [id = ""]) => {
        const body = await readJsonBody(req);
        const acknowledged = await activity.acknowledge(pathSegment(id), body.acknowledged !== false);
        sendJson(res, 200, { id: pathSegment(id), acknowledged });
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/alerts\/([^/]+)\/face\.jpg$/,
      handler: async (_req, res, [id = ""], url) => {
        const seq = Number(url.searchParams.get("seq") ?? "");
        const face = await activity.alertFace(
          pathSegment(id),
          Number.isSafeInteger(seq) && seq > 0 ? seq : undefined,
        );
        if (!face) throw new HttpError(404, "no face picture kept for this alert");
        sendBytes(res, JPEG, face, "private, max-age=86400");
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/tracks\/([^/]+)\/(\d+)\/face\.jpg$/,
      handler: async (_req, res, [camera = "", trackId = ""]) => {
        const face = activity.trackFace(cameraIdOf(pathSegment(camera)), Number(trackId));
        if (!face) throw new HttpError(404, `no face picture of track ${trackId} on ${camera} (yet)`);
        sendBytes(res, JPEG, face, "no-cache");
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/gallery$/,
      handler: async (_req, res) => sendJson(res, 200, { identities: await gallery.list() }),
    },
    {
      method: "GET",
      pattern: /^\/api\/gallery\/([^/]+)\/face\.jpg$/,
      handler: async (_req, res, [id = ""]) => {
        const face = await gallery.face(pathSegment(id));
        if (!face) throw new HttpError(404, "this identity has no face picture");
        sendBytes(res, JPEG, face, "no-cache");
      },
    },
    {
      method: "PATCH",
      pattern: /^\/api\/gallery\/([^/]+)$/,
      handler: async (req, res, [id = ""]) => {
        const body = await readJsonBody(req);
        sendJson(res, 200, await gallery.rename(pathSegment(id), stringField(body, "name")));
      },
    },
    {
      method: "DELETE",
      pattern: /^\/api\/gallery\/([^/]+)$/,
      handler: async (_req, res, [id = ""]) => sendJson(res, 200, await gallery.delete(pathSegment(id))),
    },
    {
      method: "GET",
      pattern: /^\/api\/people\/([^/]+)$/,
      handler: async (_req, res, [id = ""]) => sendJson(res, 200, await people.person(pathSegment(id))),
    },
    {
      method: "GET",
      pattern: /^\/api\/gallery\/([^/]+)\/faces\/([^/]+)\.jpg$/,
      handler: async (_req, res, [id = "", face = ""]) =>
        sendBytes(
          res,
          JPEG,
          await people.facePicture(pathSegment(id), pathSegment(face)),
          "private, max-age=86400",
        ),
    },
    {
      method: "DELETE",
      pattern: /^\/api\/gallery\/([^/]+)\/faces\/([^/]+)$/,
      handler: async (_req, res, [id = "", face = ""]) =>
        sendJson(res, 200, await people.deleteFace(pathSegment(id), pathSegment(face))),
    },
    {
      // A photo to add to a person (its subject face, as Enroll takes it): image/* body, ?force=1.
      method: "POST",
      pattern: /^\/api\/gallery\/([^/]+)\/photos$/,
      handler: async (req, res, [id = ""], url) => {
        if (!/^image\/(jpeg|png|webp)$/i.test(req.headers["content-type"] ?? "")) {
          throw new HttpError(415, "send the photo as image/jpeg, image/png or image/webp");
        }
        const photo = await readPhotoBody(req, maxPhotoBytes);
        const force = url.searchParams.get("force") === "1";
        sendJson(res, 200, await people.addPhoto(pathSegment(id), photo, force));
      },
    },
    {
      // Where a person was seen: ?identity=ID or ?visitor=N, with the search's filters.
      method: "GET",
      pattern: /^\/api\/timeline$/,
      handler: async (_req, res, _params, url) => {
        const filters = searchFilters(url);
        const identity = url.searchParams.get("identity")?.trim();
        const visitor = Number(url.searchParams.get("visitor") ?? "");
        if (!identity && !(Number.isInteger(visitor) && visitor >= 1)) {
          throw new HttpError(400, 'name the person: "identity" (ID or name) or "visitor" (its number)');
        }
        const who = identity ? { identity } : { visitorId: visitor };
        sendJson(res, 200, await people.timeline(who, { limit: 200, ...filters }));
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/visitors$/,
      handler: async (_req, res) => sendJson(res, 200, { visitors: await people.visitors() }),
    },
    {
      method: "POST",
      pattern: /^\/api\/visitors\/(\d+)\/name$/,
      handler: async (req, res, [id = ""]) => {
        const body = await readJsonBody(req);
        const result = await people.nameVisitor(Number(id), stringField(body, "name"), body.force === true);
        logger.info("visitor named from the web page", { visitor: Number(id), name: result.name });
        sendJson(res, 200, result);
      },
    },
    {
      // "Not this person" / "this is NAME" on a remembered track: {"alertId"} or {"memoryId"}, "kind", "name".
      method: "POST",
      pattern: /^\/api\/corrections$/,
      handler: async (req, res) => {
        const body = await readJsonBody(req);
        const result = await people.correct({
          ...(typeof body.alertId === "string" ? { alertId: body.alertId } : {}),
          ...(typeof body.memoryId === "number" ? { memoryId: body.memoryId } : {}),
          kind: String(body.kind ?? ""),
          ...(typeof body.name === "string" ? { name: body.name } : {}),
          force: body.force === true,
        });
        logger.info("track corrected from the web page", { ...result.correction });
        sendJson(res, 200, result);
      },
    },
    {
      method: "POST",
      pattern: /^\/api\/corrections\/(\d+)\/undo$/,
      handler: async (_req, res, [id = ""]) => sendJson(res, 200, await people.undo(Number(id))),
    },
    {
      method: "POST",
      pattern: /^\/api\/enroll$/,
      handler: async (req, res) => {
        const body = await readJsonBody(req);
        const name = stringField(body, "name");
        const face = await enrollSource(body, activity);
        const result = await gallery.enroll({ name, ...face, force: body.force === true });
        logger.info("enrolled from the web page", { name: result.name, source: face.source });
        sendJson(res, 200, result);
      },
    },
    {
      // Search by face (face-search.ts): an uploaded photo (image/*), or a face the page keeps (JSON:
      // "identity", "alertId", or "camera" and "trackId"); filters in the query string.
      method: "POST",
      pattern: /^\/api\/search$/,
      handler: async (req, res, _params, url) => {
        const filters = searchFilters(url);
        let photo: Uint8Array;
        if (/^image\//i.test(req.headers["content-type"] ?? "")) {
          photo = await readPhotoBody(req, maxPhotoBytes);
        } else {
          const body = await readJsonBody(req);
          if (typeof body.identity === "string" && body.identity) {
            const face = await gallery.face(body.identity);
            if (!face)
              throw new HttpError(404, "this person has no face picture to search with: upload a photo");
            photo = await faceAsPhoto(face);
          } else {
            let face: Uint8Array;
            try {
              face = (await enrollSource(body, activity)).jpeg;
            } catch (error) {
              if (error instanceof HttpError && error.status === 404) {
                throw new HttpError(404, "this face picture is no longer kept: search with a photo instead");
              }
              throw error;
            }
            photo = await faceAsPhoto(face);
          }
        }
        sendJson(res, 200, await faceSearch.search(photo, filters));
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/clips\/(.+)$/,
      handler: async (req, res, [key = ""]) => serveClip(clipStore(), pathSegment(key), req, res),
    },
    {
      method: "HEAD",
      pattern: /^\/api\/clips\/(.+)$/,
      handler: async (req, res, [key = ""]) => serveClip(clipStore(), pathSegment(key), req, res),
    },
    ...["GET", "HEAD"].flatMap((method) =>
      [/^\/alerts\/[^/]+(?:\/face\.jpg)?$/, /^\/clips\/.+$/].map((pattern) => ({
        // The views notifications link to (alert-links.ts), for a logged-in session.
        method,
        pattern,
        handler: async (req: IncomingMessage, res: ServerResponse, _params: string[], url: URL) => {
          await linkViews.serve(req, res, url);
        },
      })),
    ),
    {
      method: "POST",
      pattern: /^\/logout$/,
      handler: async (_req, res) => {
        res.writeHead(303, { location: "/login", "set-cookie": clearedTokenCookie() });
        res.end();
      },
    },
    {
      method: "GET",
      pattern: /^\/(?:([a-z0-9][a-z0-9_-]*\.[a-z]+))?$/,
      handler: async (_req, res, [name = "index.html"]) => {
        // Browsers ask for /favicon.ico whatever the page links: the SVG icon.
        const file = await staticFile(name === "favicon.ico" ? "favicon.svg" : name);
        if (!file) throw new HttpError(404, `no page file ${name}`);
        res.setHeader("cache-control", "no-cache");
        for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
        sendBytes(res, file.type, file.body);
      },
    },
  ];

  const login = loginRoutes(auth, { publicUrl: config.web.public_url });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://page");
    const crossSite = crossSiteRefusal(req, config.web.public_url);
    if (crossSite) throw new HttpError(403, crossSite);
    if (await login.handle(req, res, url)) return;
    if (await linkViews.handleSigned(req, res, url)) return;
    if (!(await login.authorize(req, res, url))) return;
    let allowed: string[] = [];
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      if (route.method !== req.method) {
        allowed.push(route.method);
        continue;
      }
      await route.handler(req, res, match.slice(1), url);
      return;
    }
    allowed = [...new Set(allowed)];
    if (allowed.length > 0) {
      res.setHeader("allow", allowed.join(", "));
      throw new HttpError(405, `${req.method} is not allowed here (${allowed.join(", ")})`);
    }
    throw new HttpError(404, `nothing at ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof HttpError)) {
        logger.warn("web request failed", { path: req.url, error: (error as Error).message });
      }
      sendError(res, error);
    });
  });
  server.keepAliveTimeout = 5000;

  const bound = await new Promise<number | undefined>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") {
        logger.error("web page not served: cannot listen on api.http_port", {
          port,
          error: error.message,
          fix: "free the port, or set api.http_port (FACETRACKER_API__HTTP_PORT) to another one (0 = any free)",
        });
        resolve(undefined);
      } else reject(error);
    });
    // web.listen, else listen_host: loopback unless the operator opens it.
    server.listen(port, listenHostOf(config, "web"), () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
  if (bound === undefined) {
    await activity.close();
    await live.close();
    faceSearch.close();
    return { port: undefined, close: async () => {} };
  }
  server.on("error", (error) => logger.error("web page server error", { error: error.message }));
  const { address, family } = server.address() as AddressInfo;
  const url = `http://${family === "IPv6" ? `[${address}]` : address}:${bound}/`;
  logger.info("web page listening", { url, auth: auth.required ? "token" : "none" });

  return {
    port: bound,
    url,
    close: async () => {
      for (const client of streams) client.close();
      await activity.close();
      await live.close();
      faceSearch.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await clips?.close();
    },
  };
}
