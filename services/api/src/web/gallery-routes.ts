/** The face gallery as the page manages it: list, face picture, rename, delete (changes announced). */

import { GalleryError } from "@facetracker/gallery";
import { GalleryChangeKind } from "@facetracker/proto";
import type { FaceTracker } from "@facetracker/sdk";
import type { Announce } from "./enroll-face.ts";
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

export class GalleryRoutes {
  readonly #tracker: FaceTracker;
  readonly #announce: Announce;

  constructor(tracker: FaceTracker, announce: Announce) {
    this.#tracker = tracker;
    this.#announce = announce;
  }

  /** Every identity, sorted by name. */
  async list(): Promise<IdentityView[]> {
    return (await this.#tracker.gallery.list()).map((i) => ({
      id: i.id,
      name: i.name,
      attributes: i.attributes,
      embeddingCount: i.embeddingCount,
      createdAt: i.createdAt,
    }));
  }

  /** The first stored face picture of an identity; undefined when it has none. */
  async face(identity: string): Promise<Uint8Array | undefined> {
    const gallery = this.#tracker.gallery;
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

  async rename(identity: string, newName: string): Promise<IdentityView> {
    try {
      const renamed = await this.#tracker.gallery.rename(identity, newName);
      await this.#announce(GalleryChangeKind.RENAMED, renamed.id, renamed.name);
      return renamed;
    } catch (error) {
      throw galleryHttpError(error);
    }
  }

  async delete(identity: string): Promise<{ deleted: boolean }> {
    const gallery = this.#tracker.gallery;
    try {
      const found = await gallery.get(identity);
      if (!found) throw new HttpError(404, `no identity ${identity} in the gallery (deleted already?)`);
      const deleted = await gallery.deleteIdentity(found.id);
      if (deleted) await this.#announce(GalleryChangeKind.DELETED, found.id, found.name);
      return { deleted };
    } catch (error) {
      throw galleryHttpError(error);
    }
  }
}
