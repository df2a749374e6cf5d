import type { Gallery } from "@facetracker/gallery";
import type { FaceEmbedder, RgbImage } from "@facetracker/vision";
import { ALIGNED_RGB_BYTES, alignedImage } from "./aligned-crop.ts";
import type { GalleryMatch, Identification } from "./tracking-session.ts";

export interface EmbedItem {
  /** Opaque key the caller uses to pair results with requests. */
  key: number;
  /** 112×112 aligned crop, raw RGB24. */
  alignedRgb: Uint8Array;
}

export interface EmbedItemResult {
  key: number;
  vector: Float32Array;
  /** Norm of the embedding before L2 normalisation (a face-quality signal). */
  norm: number;
  matches: GalleryMatch[];
}

/** Milliseconds spent embedding and searching the gallery, accumulated over calls. */
export interface EmbedStageTimes {
  embed: number;
  match: number;
}

/**
 * Embed stage: aligned face crops → L2-normalised embeddings and their nearest gallery identities (k, 3 by
 * default). `run` takes raw RGB crops as they travel on the bus (the embed service); `identify` takes crop
 * images (an in-process TrackingSession's Identify).
 */
export class EmbedStage {
  readonly times: EmbedStageTimes = { embed: 0, match: 0 };
  readonly #embedder: FaceEmbedder;
  readonly #gallery: Gallery;
  readonly #k: number;

  constructor(embedder: FaceEmbedder, gallery: Gallery, k = 3) {
    this.#embedder = embedder;
    this.#gallery = gallery;
    this.#k = k;
  }

  /** Throws, naming the item, when it is not an aligned crop. */
  static check(item: EmbedItem): void {
    if (item.alignedRgb.length !== ALIGNED_RGB_BYTES) {
      throw new Error(
        `item ${item.key}: aligned face must be 112×112 RGB (${ALIGNED_RGB_BYTES} bytes), got ${item.alignedRgb.length} bytes`,
      );
    }
  }

  async run(items: EmbedItem[]): Promise<EmbedItemResult[]> {
    const out: EmbedItemResult[] = [];
    for (const item of items) {
      EmbedStage.check(item);
      const { embedding, norm, matches } = await this.#identify(alignedImage(item.alignedRgb));
      out.push({ key: item.key, vector: embedding, norm: norm ?? 0, matches });
    }
    return out;
  }

  /** Each aligned crop's embedding and nearest identities, in order (TrackingSession's Identify). */
  async identify(faces: RgbImage[]): Promise<Identification[]> {
    const out: Identification[] = [];
    for (const face of faces) out.push(await this.#identify(face));
    return out;
  }

  async #identify(face: RgbImage): Promise<Identification> {
    let t = performance.now();
    const { embedding, norm } = await this.#embedder.embedWithNorm(face);
    this.times.embed += performance.now() - t;
    t = performance.now();
    const hits = await this.#gallery.search(embedding, { k: this.#k });
    this.times.match += performance.now() - t;
    const matches: GalleryMatch[] = hits.map((h) => ({
      identityId: h.identityId,
      name: h.name,
      attributes: h.attributes,
      similarity: h.similarity,
    }));
    return { embedding, norm, matches };
  }
}
