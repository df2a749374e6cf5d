/**
 * The face gallery as the page manages it: list and face pictures read here (gallery-view.ts); enroll,
 * rename and delete sent to the api service, the gallery's writer (gallery-writer.ts), which announces
 * them. After a change the view is reloaded, so the page's next read shows it.
 */

import { GalleryError, type IdentityInfo } from "@facetracker/gallery";
import type { GalleryView } from "./gallery-view.ts";
import type { EnrollFaceRequest, EnrollFaceResult, GalleryWriter } from "./gallery-writer.ts";
import { HttpError } from "./http-helpers.ts";

export interface IdentityView {
  id: string;
  name: string;
  attributes: Record<string, string>;
  embeddingCount: number;
  createdAt: string;
}

/** A gallery error as the HTTP error the page shows (its message names the identity and the problem). */
export function galleryHttpError(error: unknown): unknown {
  if (!(error instanceof GalleryError)) return error;
  const status =
    error.code === "NOT_FOUND"
      ? 404
      : error.code === "NAME_TAKEN"
        ? 409
        : error.code === "INVALID"
          ? 400
          : 503;
  return new HttpError(status, error.message);
}

const view = (i: IdentityInfo): IdentityView => ({
  id: i.id,
  name: i.name,
  attributes: i.attributes,
  embeddingCount: i.embeddingCount,
  createdAt: i.createdAt,
});

export class GalleryRoutes {
  readonly #view: GalleryView;
  readonly #writer: GalleryWriter;

  constructor(view: GalleryView, writer: GalleryWriter) {
    this.#view = view;
    this.#writer = writer;
  }

  /** Every identity, sorted by name. */
  async list(): Promise<IdentityView[]> {
    return (await this.#view.gallery.list()).map(view);
  }

  /** The first stored face picture of an identity; undefined when it has none. */
  async face(identity: string): Promise<Uint8Array | undefined> {
    const gallery = this.#view.gallery;
    let embeddings: Awaited<ReturnType<typeof gallery.embeddings>>;
    try {
      embeddings = await gallery.embeddings(identity);
    } catch (error) {
      throw galleryHttpError(error);
    }
    for (const e of embeddings) {
      if (!e.hasThumbnail) continue;
      const jpeg = await gallery.thumbnail(e.id);
      if (jpeg) return jpeg;
    }
    return undefined;
  }

  /** Enrolls a face the pipeline saw (see enroll-source.ts for which one). */
  async enroll(request: EnrollFaceRequest): Promise<EnrollFaceResult> {
    const result = await this.#writer.enrollFace(request);
    await this.#view.refresh();
    return result;
  }

  async rename(identity: string, newName: string): Promise<IdentityView> {
    const renamed = await this.#writer.rename(identity, newName);
    await this.#view.refresh();
    return view({ ...renamed, createdAt: new Date(renamed.createdAtMs).toISOString() });
  }

  async delete(identity: string): Promise<{ deleted: boolean }> {
    let found: IdentityInfo | undefined;
    try {
      found = await this.#view.gallery.get(identity);
    } catch (error) {
      throw galleryHttpError(error);
    }
    if (!found) throw new HttpError(404, `no identity ${identity} in the gallery (deleted already?)`);
    const deleted = await this.#writer.delete(found.id);
    await this.#view.refresh();
    return { deleted };
  }
}
