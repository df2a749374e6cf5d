/**
 * GalleryFollower: a read-only view of an embedded gallery that other processes change (the api service,
 * the CLI), for the embed workers and the web page. It is a read-only EmbeddedGallery, which notices
 * other processes' commits by itself before every read (PRAGMA data_version); refresh() does that check
 * now, so that a change announced on ft.gallery.changed is loaded before the next request comes.
 */

import { EmbeddedGallery } from "./embedded-gallery.ts";
import type {
  Attributes,
  EmbeddingInfo,
  Gallery,
  IdentityInfo,
  NegativeInfo,
  NewEmbedding,
  NewNegative,
  SearchHit,
} from "./types.ts";

export class GalleryFollower implements Gallery {
  readonly dimension: number;
  readonly directory: string;
  readonly #gallery: EmbeddedGallery;

  private constructor(gallery: EmbeddedGallery) {
    this.#gallery = gallery;
    this.dimension = gallery.dimension;
    this.directory = gallery.directory;
  }

  /** Opens a read-only view of the gallery in `dir` (empty until a gallery is created there). */
  static async open(dir: string, options: { dimension?: number } = {}): Promise<GalleryFollower> {
    return new GalleryFollower(await EmbeddedGallery.open(dir, { ...options, readOnly: true }));
  }

  /** How many times the view was reloaded (another process changed the gallery) since it was opened. */
  get reloads(): number {
    return this.#gallery.reloads;
  }

  /** Reloads the view now if the gallery changed since it was last read; resolves to whether it did. */
  refresh(): Promise<boolean> {
    return this.#gallery.refresh();
  }

  list(): Promise<IdentityInfo[]> {
    return this.#gallery.list();
  }
  get(idOrName: string): Promise<IdentityInfo | undefined> {
    return this.#gallery.get(idOrName);
  }
  embeddings(idOrName: string): Promise<EmbeddingInfo[]> {
    return this.#gallery.embeddings(idOrName);
  }
  thumbnail(embeddingId: string): Promise<Uint8Array | undefined> {
    return this.#gallery.thumbnail(embeddingId);
  }
  negatives(idOrName: string): Promise<NegativeInfo[]> {
    return this.#gallery.negatives(idOrName);
  }
  search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]> {
    return this.#gallery.search(vector, options);
  }
  size(): Promise<number> {
    return this.#gallery.size();
  }

  // Changes: the read-only gallery refuses them (GalleryError('READ_ONLY')).
  enroll(
    name: string,
    embeddings: NewEmbedding[],
    attributes?: Attributes,
  ): Promise<{ identity: IdentityInfo; embeddingIds: string[] }> {
    return this.#gallery.enroll(name, embeddings, attributes);
  }
  rename(idOrName: string, newName: string): Promise<IdentityInfo> {
    return this.#gallery.rename(idOrName, newName);
  }
  setAttributes(idOrName: string, attributes: Attributes): Promise<IdentityInfo> {
    return this.#gallery.setAttributes(idOrName, attributes);
  }
  deleteIdentity(idOrName: string): Promise<boolean> {
    return this.#gallery.deleteIdentity(idOrName);
  }
  deleteEmbedding(embeddingId: string): Promise<boolean> {
    return this.#gallery.deleteEmbedding(embeddingId);
  }
  addNegatives(
    idOrName: string,
    negatives: NewNegative[],
  ): Promise<{ identity: IdentityInfo; negativeIds: string[] }> {
    return this.#gallery.addNegatives(idOrName, negatives);
  }
  deleteNegative(negativeId: string): Promise<boolean> {
    return this.#gallery.deleteNegative(negativeId);
  }

  close(): Promise<void> {
    return this.#gallery.close();
  }
}
