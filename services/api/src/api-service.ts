import { createHash, randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type MessageConsumer,
  type MessageKinds,
  openCameraRegistry,
  openCameraStatusBoard,
  validateCameraId,
} from "@facetracker/bus";
import { alertModes, hostPort, listenHostOf } from "@facetracker/config";
import type { IdentityInfo as GalleryIdentity } from "@facetracker/gallery";
import { checkCameraSource, maskCredentials } from "@facetracker/media";
import {
  describeDamage,
  enrollFromPhotos,
  enrollOutcomeToProto,
  faceChoiceFromProto,
  findVideoFaces,
  openConfiguredGallery,
  openConfiguredMemory,
  photoLabel,
  rememberVideoFaces,
  runtimeOptionsFrom,
  videoFileSource,
} from "@facetracker/pipeline";
import {
  Alert,
  type FaceTrackerApiServer,
  FaceTrackerApiService,
  GalleryChangeKind,
  type IdentityInfo,
  type WatchRequest,
} from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { checkImagePixels, FaceAnalyzer, ImageTooLargeError } from "@facetracker/vision";
import {
  type handleServerStreamingCall,
  type Metadata,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  type ServerWritableStream,
  status,
} from "@grpc/grpc-js";
import { correctTrackCall, listCorrectionsCall, undoCorrectionCall } from "./correction-calls.ts";
import { enrollFace } from "./enroll-face.ts";
import { galleryStatus, grpcError, isGrpcError } from "./grpc-errors.ts";
import { HeavyCallLimit } from "./heavy-call-limit.ts";
import { resolveInsideRoots } from "./media-roots.ts";
import { startMemoryRecorder } from "./memory-recorder.ts";
import { personTimeline } from "./person-timeline.ts";
import { searchFaces } from "./search-faces.ts";
import { addStandardServices } from "./standard-services.ts";
import { listVisitors, nameVisitor } from "./visitor-calls.ts";

type Callback<T> = (error: Partial<ServerErrorResponse> | null, value?: T) => void;

const toInfo = (i: GalleryIdentity): IdentityInfo => ({
  id: i.id,
  name: i.name,
  attributes: i.attributes,
  embeddingCount: i.embeddingCount,
  createdAtMs: Date.parse(i.createdAt),
  negativeCount: i.negativeCount,
});

/**
 * The gRPC API (FaceTrackerApi, proto/facetracker/v1/api.proto): enroll people from photos, list, rename
 * and delete identities, find faces in a file (a path inside api.media_roots, or uploaded bytes), and
 * watch track events and alerts (server streaming, resumable from a stream sequence). With api.token set,
 * every call must carry `authorization: Bearer <token>`. Gallery changes are broadcast on
 * ft.gallery.changed. Cameras are added, replaced and removed in the camera registry (NATS KV), which
 * the ingest service follows; ListCameras adds what ingest reports of each (KV ft_camera_status). The api is the gallery's one writer: the operators' web page (services/web)
 * reads it and sends its changes here (EnrollFace, RenameIdentity, DeleteIdentity). Images above
 * limits.max_image_pixels are refused from their header (INVALID_ARGUMENT), and at most
 * api.max_concurrent_heavy_calls heavy calls (Enroll, EnrollFace, FindFacesInFile, SearchFaces) run at
 * once (RESOURCE_EXHAUSTED beyond). The api also records every camera track in the face memory
 * (memory-recorder.ts) and searches it by a photo's face (SearchFaces); DeleteIdentity forgets the person's
 * remembered tracks.
 */
export async function startApiService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics, gallery: shared } = deps;
  const bus = serviceBus(deps);
  const analyzer = await FaceAnalyzer.create(runtimeOptionsFrom(config));
  const gallery = shared ?? (await openConfiguredGallery(config));
  const models = { config, analyzer, gallery };
  // The face memory (<db_path>/memory.sqlite): camera tracks recorded as their events come; SearchFaces.
  const memory = openConfiguredMemory(config);
  const recorder = await startMemoryRecorder(bus, memory, logger);
  const cameras = await openCameraRegistry(deps.bus.js);
  /** What ingest reports of each camera (state, since, last error, reconnects), joined in ListCameras. */
  const cameraStatus = await openCameraStatusBoard(deps.bus.nc);
  const watchers = new Set<MessageConsumer>();
  const token = config.api.token;

  const authorized = (metadata: Metadata): boolean =>
    !token || metadata.get("authorization")[0] === `Bearer ${token}`;
  const guard = <Req, Res>(
    name: string,
    fn: (request: Req) => Promise<Res>,
  ): ((call: { request: Req; metadata: Metadata }, callback: Callback<Res>) => void) => {
    return (call, callback) => {
      metrics.messagesIn.inc({ subject_kind: `api_${name}` });
      if (!authorized(call.metadata)) {
        callback(grpcError(status.UNAUTHENTICATED, "missing or wrong bearer token"));
        return;
      }
      fn(call.request).then(
        (value) => callback(null, value),
        (error: unknown) => {
          const e = isGrpcError(error) ? error : galleryStatus(error);
          logger.warn("api call failed", { call: name, error: e.details });
          callback(e);
        },
      );
    };
  };

  /** Heavy calls (decoding, analysis) at once: api.max_concurrent_heavy_calls, RESOURCE_EXHAUSTED beyond. */
  const heavy = new HeavyCallLimit(config.api.max_concurrent_heavy_calls);
  const limited =
    <Req, Res>(call: string, fn: (request: Req) => Promise<Res>) =>
    (request: Req): Promise<Res> =>
      heavy.run(call, () => fn(request));

  const announce = async (kind: GalleryChangeKind, identityId: string, name: string, embeddingId = "") => {
    bus.galleryChanged.publish({ kind, identityId, name, embeddingId, timeMs: Date.now() });
  };

  /**
   * A server stream of the kind's messages (one camera's, or every camera's), live or from a stored
   * sequence; WatchAlerts with include_updates also streams each "seen again" update, as an Alert with
   * seen_again set.
   */
  const watch =
    <K extends "tracks" | "alerts">(kind: K): handleServerStreamingCall<WatchRequest, MessageKinds[K]> =>
    (call: ServerWritableStream<WatchRequest, MessageKinds[K]>) => {
      if (!authorized(call.metadata)) {
        call.emit("error", grpcError(status.UNAUTHENTICATED, "missing or wrong bearer token"));
        return;
      }
      const { camera, fromSeq, includeUpdates } = call.request;
      const from = {
        ...(camera ? { camera } : {}),
        ...(fromSeq > 0 ? { startSeq: fromSeq } : { deliverPolicy: "new" as const }),
      };
      const started: Promise<MessageConsumer>[] = [
        bus.consume(kind, {
          ...from,
          handler: (value) => {
            call.write(value);
          },
        }),
      ];
      if (kind === "alerts" && includeUpdates) {
        started.push(
          bus.consume("alert_updates", {
            ...from,
            handler: (update) => {
              call.write(
                Alert.fromPartial({
                  id: update.alertId,
                  camera: update.alertCamera,
                  timeMs: update.alertTimeMs,
                  seenAgain: update,
                }) as MessageKinds[K],
              );
            },
          }),
        );
      }
      for (const start of started) {
        start.then(
          (consumer) => {
            watchers.add(consumer);
            call.on("cancelled", () => {
              watchers.delete(consumer);
              void consumer.stop();
            });
          },
          (error: Error) => call.emit("error", grpcError(status.UNAVAILABLE, error.message)),
        );
      }
    };

  const implementation: Partial<FaceTrackerApiServer> = {
    enroll: guard("enroll", async (r) => {
      if (!r.name.trim()) throw grpcError(status.INVALID_ARGUMENT, "name is empty");
      if (r.images.length === 0) throw grpcError(status.INVALID_ARGUMENT, "no image given");
      const images = r.images.map((b) => new Uint8Array(b));
      // From the headers, before any decoding and before taking a slot: too large is the caller's error.
      for (const [i, image] of images.entries()) {
        await checkImagePixels(image, photoLabel(image, i), config.limits.max_image_pixels).catch(
          (error: unknown) => {
            throw error instanceof ImageTooLargeError
              ? grpcError(status.INVALID_ARGUMENT, error.message)
              : error;
          },
        );
      }
      const face = faceChoiceFromProto(r.faceIndex, r.faceBox);
      const report = await heavy.run("Enroll", () =>
        enrollFromPhotos(models, r.name, images, { attributes: r.attributes, force: r.force, face }),
      );
      if (report.identityId && report.enrolled > 0)
        await announce(GalleryChangeKind.ENROLLED, report.identityId, report.name);
      return {
        identityId: report.identityId ?? "",
        enrolled: report.enrolled,
        problems: report.outcomes
          .filter((o) => o.status !== "enrolled")
          .map((o) => `${o.image}: ${"reason" in o ? o.reason : "no face found"}`),
        photos: report.outcomes.map(enrollOutcomeToProto),
      };
    }),
    enrollFace: guard("enroll_face", async (r) =>
      heavy.run("EnrollFace", () =>
        enrollFace(models, announce, {
          name: r.name,
          jpeg: new Uint8Array(r.alignedJpeg),
          source: r.source,
          force: r.force,
        }),
      ),
    ),
    listIdentities: guard("list_identities", async (r) => ({
      identities: (await gallery.list()).filter((i) => i.name.includes(r.nameContains)).map(toInfo),
    })),
    renameIdentity: guard("rename_identity", async (r) => {
      const renamed = await gallery.rename(r.identity, r.newName);
      await announce(GalleryChangeKind.RENAMED, renamed.id, renamed.name);
      return toInfo(renamed);
    }),
    deleteIdentity: guard("delete_identity", async (r) => {
      const found = await gallery.get(r.identity);
      // The person's remembered tracks go with them (first: a failure leaves the person to delete again).
      if (found) memory.forgetIdentity({ name: found.name, id: found.id });
      const deleted = await gallery.deleteIdentity(r.identity);
      if (deleted && found) await announce(GalleryChangeKind.DELETED, found.id, found.name);
      return { deleted };
    }),
    findFacesInFile: guard(
      "find_faces",
      limited("FindFacesInFile", async (r) => {
        let file: string;
        let temporary: string | undefined;
        if (r.source?.$case === "path") {
          const resolved = await resolveInsideRoots(r.source.value, config.api.media_roots);
          if ("error" in resolved) throw grpcError(status.PERMISSION_DENIED, resolved.error);
          file = resolved.path;
        } else if (r.source?.$case === "data") {
          temporary = path.join(os.tmpdir(), `ft-upload-${randomUUID()}`);
          await writeFile(temporary, r.source.value);
          file = temporary;
        } else throw grpcError(status.INVALID_ARGUMENT, "give a path or the file's bytes");
        try {
          const found = await findVideoFaces(config, models, file);
          const damage = describeDamage(found.stats);
          if (damage !== undefined && !r.allowDamaged) {
            const name = r.source.$case === "path" ? r.source.value : "the uploaded video";
            throw grpcError(
              status.DATA_LOSS,
              `${name}: damaged video: ${damage} (allow_damaged accepts a damaged video)`,
            );
          }
          if (r.remember !== false) {
            const source =
              r.source.$case === "path"
                ? videoFileSource(file)
                : {
                    kind: "file" as const,
                    name: `upload:${createHash("sha256").update(r.source.value).digest("hex").slice(0, 16)}`,
                  };
            rememberVideoFaces(memory, source, found.faces, { analysedAtMs: Date.now() });
          }
          return {
            tracks: found.faces.map((f) => ({
              trackId: f.trackId,
              ...(f.identity
                ? {
                    identity: {
                      id: f.identity.id,
                      name: f.identity.name,
                      attributes: f.identity.attributes,
                      similarity: f.identity.similarity,
                    },
                  }
                : {}),
              firstFrame: f.firstFrame,
              lastFrame: f.lastFrame,
              firstTime: f.firstTime,
              lastTime: f.lastTime,
              frames: f.frames,
              thumbnailJpeg: Buffer.from(f.thumbnail ?? new Uint8Array()),
              ...(f.closest && !f.identity ? { closest: { ...f.closest, attributes: {} } } : {}),
            })),
            stats: { ...found.stats },
          };
        } catch (error) {
          if (isGrpcError(error)) throw error;
          throw grpcError(status.INVALID_ARGUMENT, (error as Error).message);
        } finally {
          if (temporary) await rm(temporary, { force: true });
        }
      }),
    ),
    addCamera: guard("add_camera", async (c) => {
      try {
        validateCameraId(c.id);
      } catch (error) {
        throw grpcError(status.INVALID_ARGUMENT, (error as Error).message);
      }
      let url: string;
      try {
        // Sources added at run time are confined (schemes, media and device roots); see source-policy.ts.
        url = await checkCameraSource(c.url, {
          mediaRoots: config.api.media_roots,
          deviceRoots: config.api.device_roots,
        });
      } catch (error) {
        throw grpcError(status.INVALID_ARGUMENT, (error as Error).message);
      }
      if (c.alertMode && !(alertModes as readonly string[]).includes(c.alertMode)) {
        throw grpcError(
          status.INVALID_ARGUMENT,
          `alert_mode must be one of ${alertModes.join(", ")}, got '${c.alertMode}'`,
        );
      }
      await cameras.put({ ...c, url });
      const stored = (await cameras.get(c.id)) ?? { ...c, url };
      return { ...stored, url: maskCredentials(stored.url) };
    }),
    removeCamera: guard("remove_camera", async (c) => {
      await cameras.remove(c.id);
      return {};
    }),
    listCameras: guard("list_cameras", async () => {
      const [list, statuses] = await Promise.all([cameras.list(), cameraStatus.list()]);
      // Sources leave the api with their credentials masked (as on the web page).
      return {
        cameras: list.map((c) => ({ ...c, url: maskCredentials(c.url), status: statuses.get(c.id) })),
      };
    }),
    watchTracks: watch("tracks"),
    watchAlerts: watch("alerts"),
    searchFaces: guard(
      "search_faces",
      limited("SearchFaces", (r) => searchFaces(models, memory, r)),
    ),
    listVisitors: guard("list_visitors", async (r) => listVisitors(memory, r)),
    nameVisitor: guard("name_visitor", (r) => nameVisitor(models, memory, announce, r)),
    correctTrack: guard("correct_track", (r) => correctTrackCall(models, memory, announce, r)),
    undoCorrection: guard("undo_correction", (r) => undoCorrectionCall(gallery, memory, announce, r)),
    listCorrections: guard("list_corrections", async (r) => listCorrectionsCall(memory, r)),
    personTimeline: guard("person_timeline", (r) => personTimeline(gallery, memory, r)),
    deleteFace: guard("delete_face", async (r) => {
      const found = await gallery.get(r.identity);
      if (!found)
        throw grpcError(status.NOT_FOUND, `no identity ${JSON.stringify(r.identity)} in the gallery`);
      const own = (await gallery.embeddings(found.id)).some((e) => e.id === r.embeddingId);
      const deleted = own && (await gallery.deleteEmbedding(r.embeddingId));
      if (deleted) await announce(GalleryChangeKind.EMBEDDING_DELETED, found.id, found.name, r.embeddingId);
      const left = await gallery.get(found.id);
      return { deleted, embeddingCount: left?.embeddingCount ?? 0 };
    }),
  };

  const server = new Server({
    "grpc.max_receive_message_length": config.api.max_upload_bytes,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  server.addService(FaceTrackerApiService, implementation as FaceTrackerApiServer);
  // grpc.health.v1.Health (NOT_SERVING until ready) and server reflection: probes and grpcurl.
  const standard = addStandardServices(server);
  // api.listen, else listen_host: loopback unless the operator opens it.
  const host = listenHostOf(config, "api");
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(host, config.api.port), ServerCredentials.createInsecure(), (error, p) =>
      error
        ? reject(new Error(`gRPC API: cannot listen on ${hostPort(host, config.api.port)}: ${error.message}`))
        : resolve(p),
    ),
  );
  const address = hostPort(host, port);
  logger.info("gRPC API listening", { address, auth: token ? "bearer token" : "none" });
  // SERVING as /healthz says ready: the gallery is open (above) and the bus connected (followed).
  standard.ready(deps.bus.nc, { gallery: true });
  return {
    readiness: () => ({ grpc: true }),
    listening: () => ({ grpc: address }),
    port,
    stop: async () => {
      standard.close();
      for (const w of watchers) await w.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await recorder.stop();
      memory.close();
      if (!shared) await gallery.close();
    },
  } as PipelineService & { port: number };
}
