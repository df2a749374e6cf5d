import type { Gallery } from "@facetracker/gallery";
import type { GalleryMatch } from "@facetracker/sdk";
import type { FaceEmbedder } from "@facetracker/vision";
import { ALIGNED_RGB_BYTES, alignedImage } from "./aligned-crop.ts";

export interface EmbedItem {
  /** Opaque key the caller uses to pair results with requests. */
  key: number;
  /** 112×112 aligned crop, raw RGB24. */
  alignedRgb: Uint8Array;
}

export interface EmbedItemResult {
  key: number;
  vector: Float32Array;
  matches: GalleryMatch[];
}

/** Embed stage: aligned face crops (raw RGB) → L2-normalised embeddings and their nearest gallery identities. */
export class EmbedStage {
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
      const vector = await this.#embedder.embed(alignedImage(item.alignedRgb));
      const hits = await this.#gallery.search(vector, { k: this.#k });
      out.push({
        key: item.key,
        vector,
        matches: hits.map((h) => ({
          identityId: h.identityId,
          name: h.name,
          attributes: h.attributes,
          similarity: h.similarity,
        })),
      });
    }
    return out;
  }
}
