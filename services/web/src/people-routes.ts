/**
 * People on the page: a person's view (their enrolled faces, delete one, add a photo; where they were seen:
 * the face memory's timeline with their alerts and clips), the visitors (unknown people the memory
 * groups; naming one enrolls it), and corrections of a remembered track ("not this person", "this is X",
 * undo). Faces are read from the gallery here (gallery-view.ts); the rest goes to the api service
 * (gallery-writer.ts), which holds the memory and writes the gallery.
 */

import type { Correction, CorrectTrackResponse, PersonTimelineResponse } from "@facetracker/proto";
import { hitView, type SearchHit } from "./face-search.ts";
import { galleryHttpError } from "./gallery-routes.ts";
import type { GalleryView } from "./gallery-view.ts";
import type { GalleryWriter } from "./gallery-writer.ts";
import { HttpError } from "./http-helpers.ts";

/** One enrolled face of a person. */
export interface FaceView {
  id: string;
  source: string | null;
  createdAt: string;
  /** The page's URL of its picture, or null (enrolled without one). */
  picture: string | null;
}

export interface PersonView {
  id: string;
  name: string;
  attributes: Record<string, string>;
  createdAt: string;
  faces: FaceView[];
  /** Negative examples (faces that are not this person, from corrections). */
  negatives: number;
}

export interface TimelineView {
  name: string;
  identityId: string;
  visitorId: number;
  total: number;
  cameras: { camera: string; sightings: number; first: string; last: string }[];
  sightings: SearchHit[];
}

export interface VisitorView {
  id: number;
  name: string | null;
  firstSeen: string;
  lastSeen: string;
  visits: number;
  cameras: string[];
  /** Best faces as data: URLs (JPEG). */
  faces: string[];
}

export interface CorrectionView {
  id: number;
  kind: string;
  memoryId: number;
  camera: string;
  trackId: number;
  before: string | null;
  after: string | null;
  time: string;
  undone: string | null;
}

/** Faces the visitors' list shows of each. */
const VISITOR_FACES = 3;
const iso = (ms: number | bigint) => new Date(Number(ms)).toISOString();
const jpegUrl = (jpeg: Uint8Array) => `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}`;

export function timelineView(r: PersonTimelineResponse): TimelineView {
  return {
    name: r.name,
    identityId: r.identityId,
    visitorId: r.visitorId,
    total: r.total,
    cameras: r.cameras.map((c) => ({
      camera: c.camera,
      sightings: c.sightings,
      first: iso(c.firstTimeMs),
      last: iso(c.lastTimeMs),
    })),
    sightings: r.sightings.map(hitView),
  };
}

export function correctionView(c: Correction): CorrectionView {
  return {
    id: Number(c.id),
    kind: c.kind,
    memoryId: Number(c.memoryId),
    camera: c.camera,
    trackId: c.trackId,
    before: c.beforeIdentity?.name || null,
    after: c.afterIdentity?.name || null,
    time: iso(c.timeMs),
    undone: Number(c.undoneMs) > 0 ? iso(c.undoneMs) : null,
  };
}

export class PeopleRoutes {
  readonly #view: GalleryView;
  readonly #writer: GalleryWriter;

  constructor(view: GalleryView, writer: GalleryWriter) {
    this.#view = view;
    this.#writer = writer;
  }

  /** A person of the gallery (by ID or name) with their faces; 404 when absent. */
  async person(identity: string): Promise<PersonView> {
    const gallery = this.#view.gallery;
    try {
      const found = await gallery.get(identity);
      if (!found) throw new HttpError(404, `no identity ${identity} in the gallery (deleted?)`);
      const faces = await gallery.embeddings(found.id);
      const base = `/api/gallery/${encodeURIComponent(found.id)}/faces`;
      return {
        id: found.id,
        name: found.name,
        attributes: found.attributes,
        createdAt: found.createdAt,
        negatives: (found as { negativeCount?: number }).negativeCount ?? 0,
        faces: faces.map((f) => ({
          id: f.id,
          source: f.source ?? null,
          createdAt: f.createdAt,
          picture: f.hasThumbnail ? `${base}/${encodeURIComponent(f.id)}.jpg` : null,
        })),
      };
    } catch (error) {
      throw galleryHttpError(error);
    }
  }

  /** The picture of one face of a person; 404 when it is not theirs or has none. */
  async facePicture(identity: string, embeddingId: string): Promise<Uint8Array> {
    const gallery = this.#view.gallery;
    try {
      const own = (await gallery.embeddings(identity)).some((e) => e.id === embeddingId);
      const jpeg = own ? await gallery.thumbnail(embeddingId) : undefined;
      if (!jpeg) throw new HttpError(404, "no such face picture of this person");
      return jpeg;
    } catch (error) {
      throw galleryHttpError(error);
    }
  }

  async deleteFace(identity: string, embeddingId: string): Promise<{ deleted: boolean; faces: number }> {
    const r = await this.#writer.deleteFace(identity, embeddingId);
    await this.#view.refresh();
    return { deleted: r.deleted, faces: r.embeddingCount };
  }

  /** Adds the subject face of an uploaded photo to a person. */
  async addPhoto(
    identity: string,
    photo: Uint8Array,
    force: boolean,
  ): Promise<{ enrolled: number; name: string }> {
    const person = await this.person(identity);
    const r = await this.#writer.enrollPhoto(person.name, photo, force);
    await this.#view.refresh();
    return { enrolled: r.enrolled, name: person.name };
  }

  async timeline(
    who: { identity: string } | { visitorId: number },
    filters: { camera?: string; sinceMs?: number; untilMs?: number; limit?: number },
  ): Promise<TimelineView> {
    return timelineView(await this.#writer.personTimeline({ ...who, ...filters }));
  }

  async visitors(): Promise<VisitorView[]> {
    const { visitors } = await this.#writer.listVisitors(VISITOR_FACES);
    return visitors.map((v) => ({
      id: v.id,
      name: v.name || null,
      firstSeen: iso(v.firstSeenMs),
      lastSeen: iso(v.lastSeenMs),
      visits: v.visits,
      cameras: v.cameras,
      faces: v.thumbnails.map(jpegUrl),
    }));
  }

  async nameVisitor(
    visitorId: number,
    name: string,
    force: boolean,
  ): Promise<{ name: string; identityId: string; enrolled: number; tracksNamed: number }> {
    const r = await this.#writer.nameVisitor(visitorId, name, force);
    await this.#view.refresh();
    return { name: r.name, identityId: r.identityId, enrolled: r.enrolled, tracksNamed: r.tracksNamed };
  }

  async correct(request: {
    alertId?: string;
    memoryId?: number;
    kind: string;
    name?: string;
    force?: boolean;
  }): Promise<{ correction: CorrectionView; enrolled: number; leftOut: string[] }> {
    if (request.kind !== "not" && request.kind !== "is")
      throw new HttpError(400, '"kind" must be "not" (not this person) or "is" (this is NAME)');
    if (!request.alertId && !request.memoryId)
      throw new HttpError(400, 'name the track: "alertId" or "memoryId"');
    const r: CorrectTrackResponse = await this.#writer.correctTrack({
      ...(request.alertId ? { alertId: request.alertId } : {}),
      ...(request.memoryId ? { memoryId: request.memoryId } : {}),
      kind: request.kind,
      name: request.name ?? "",
      force: request.force === true,
    });
    await this.#view.refresh();
    if (!r.correction) throw new Error("the api service answered a correction without it");
    return { correction: correctionView(r.correction), enrolled: r.enrolled, leftOut: r.leftOut };
  }

  async undo(id: number): Promise<{ correction: CorrectionView; trackRestored: boolean }> {
    const r = await this.#writer.undoCorrection(id);
    await this.#view.refresh();
    if (!r.correction) throw new Error("the api service answered an undo without the correction");
    return { correction: correctionView(r.correction), trackRestored: r.trackRestored };
  }
}
