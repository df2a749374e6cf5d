/**
 * The gallery changes the page asks for (enroll a face or a photo, rename, delete a person or one face;
 * name a visitor, correct a track), and the face memory's answers it shows (a person's timeline, the
 * visitors), sent to the api service, the
 * gallery's one writer, over its gRPC API (with api.token when one is set). The api announces each change
 * on ft.gallery.changed. Its refusals become the HTTP errors the page shows, with the same text.
 */

import { connectHostOf, type FaceTrackerConfig, hostPort, listenHostOf } from "@facetracker/config";
import {
  type CorrectTrackRequest,
  type CorrectTrackResponse,
  type EnrollResponse,
  FaceTrackerApiClient,
  type IdentityInfo,
  type NameVisitorResponse,
  type PersonTimelineRequest,
  type PersonTimelineResponse,
  type UndoCorrectionResponse,
  type VisitorList,
} from "@facetracker/proto";
import { type CallOptions, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { HttpError } from "./http-helpers.ts";

/** How long one change may take (an enrollment embeds one face). */
const CALL_TIMEOUT_MS = 30_000;

/** The HTTP status of each refusal the api gives for a gallery change. */
const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.FAILED_PRECONDITION]: 422,
  [status.UNAVAILABLE]: 503,
};

export interface EnrollFaceRequest {
  name: string;
  /** JPEG of the aligned 112×112 face crop. */
  jpeg: Uint8Array;
  /** Where the face comes from, stored with the embedding ("alert <id>", "track <camera> #<id>"). */
  source: string;
  /** Enroll even when the face matches another identity. */
  force: boolean;
}

export interface EnrollFaceResult {
  identityId: string;
  name: string;
  /** True when the identity was created by this enrollment (false: a face added to an existing one). */
  created: boolean;
  embeddingId: string;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * Where the api's gRPC server is reached: api.address, else the api on this machine at the address it
 * binds (api.listen, else listen_host; loopback for 0.0.0.0 and ::).
 */
export const apiAddress = (config: FaceTrackerConfig): string =>
  config.api.address ?? hostPort(connectHostOf(listenHostOf(config, "api")), config.api.port);

export class GalleryWriter {
  readonly #client: FaceTrackerApiClient;
  readonly #token: string | undefined;

  constructor(address: string, token: string | undefined) {
    this.#client = new FaceTrackerApiClient(address, credentials.createInsecure());
    this.#token = token;
  }

  /** Enrolls a face the pipeline saw (gRPC EnrollFace: embedded, checked against the gallery, stored). */
  async enrollFace(request: EnrollFaceRequest): Promise<EnrollFaceResult> {
    return this.#call(this.#client.enrollFace.bind(this.#client), {
      name: request.name,
      alignedJpeg: Buffer.from(request.jpeg),
      source: request.source,
      force: request.force,
    });
  }

  /** Renames an identity (by ID or name); returns it as stored. */
  async rename(identity: string, newName: string): Promise<IdentityInfo> {
    return this.#call(this.#client.renameIdentity.bind(this.#client), { identity, newName });
  }

  /** Deletes an identity (by ID or name) and its embeddings; false when there was none. */
  async delete(identity: string): Promise<boolean> {
    return (await this.#call(this.#client.deleteIdentity.bind(this.#client), { identity })).deleted;
  }

  /** Deletes one enrolled face of an identity (gRPC DeleteFace); the identity stays. */
  async deleteFace(
    identity: string,
    embeddingId: string,
  ): Promise<{ deleted: boolean; embeddingCount: number }> {
    return this.#call(this.#client.deleteFace.bind(this.#client), { identity, embeddingId });
  }

  /**
   * Enrolls the subject face of an uploaded photo under `name` (gRPC Enroll: the enrollment checks apply);
   * a photo left out is an HttpError 422 with the api's reason.
   */
  async enrollPhoto(
    name: string,
    photo: Uint8Array,
    force: boolean,
  ): Promise<{ identityId: string; enrolled: number }> {
    const r = await this.#call(this.#client.enroll.bind(this.#client), {
      name,
      attributes: {},
      images: [Buffer.from(photo)],
      force,
    } as never);
    const response = r as unknown as EnrollResponse;
    if (response.enrolled === 0) {
      throw new HttpError(
        422,
        `the photo was not enrolled: ${response.problems.join("; ") || "no face found"}`,
      );
    }
    return { identityId: response.identityId, enrolled: response.enrolled };
  }

  /** Where a person was seen (gRPC PersonTimeline). */
  personTimeline(request: Partial<PersonTimelineRequest>): Promise<PersonTimelineResponse> {
    return this.#call(this.#client.personTimeline.bind(this.#client), {
      identity: "",
      visitorId: 0,
      camera: "",
      sinceMs: 0,
      untilMs: 0,
      limit: 0,
      withoutThumbnails: false,
      ...request,
    });
  }

  /** The face memory's visitors, with up to `thumbnails` faces each (gRPC ListVisitors). */
  listVisitors(thumbnails: number): Promise<VisitorList> {
    return this.#call(this.#client.listVisitors.bind(this.#client), { thumbnails } as never);
  }

  /** Names a visitor: its best faces enrolled as `name` (gRPC NameVisitor). */
  nameVisitor(visitorId: number, name: string, force: boolean): Promise<NameVisitorResponse> {
    return this.#call(this.#client.nameVisitor.bind(this.#client), { visitorId, name, force } as never);
  }

  /** Corrects a remembered track: "not" this person, or "is" NAME (gRPC CorrectTrack). */
  correctTrack(request: Partial<CorrectTrackRequest>): Promise<CorrectTrackResponse> {
    return this.#call(this.#client.correctTrack.bind(this.#client), {
      memoryId: 0,
      alertId: "",
      camera: "",
      trackId: 0,
      kind: "",
      name: "",
      force: false,
      ...request,
    } as never);
  }

  /** Undoes a correction (gRPC UndoCorrection). */
  undoCorrection(id: number): Promise<UndoCorrectionResponse> {
    return this.#call(this.#client.undoCorrection.bind(this.#client), { id } as never);
  }

  close(): void {
    this.#client.close();
  }

  #call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    const metadata = new Metadata();
    if (this.#token) metadata.set("authorization", `Bearer ${this.#token}`);
    return new Promise((resolve, reject) =>
      method(request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => {
        if (!error) resolve(response);
        else {
          const httpStatus = HTTP_STATUS[error.code];
          reject(
            httpStatus
              ? new HttpError(httpStatus, error.details)
              : new Error(`the api service answered ${status[error.code]}: ${error.details}`),
          );
        }
      }),
    );
  }
}
