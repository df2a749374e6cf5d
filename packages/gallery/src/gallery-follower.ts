/**
 * GalleryFollower: a read-only view of an embedded gallery that another process writes (the api service),
 * for embed workers running as separate processes. An embedded gallery directory has one writer (it holds
 * the LOCK); followers read its journal without a lock and reload when it changed: call refresh() when a
 * change is announced (ft.gallery.changed) and, as a fallback for a missed announcement, now and then.
 */

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode } from "@facetracker/infra";
import { EmbeddedGallery } from "./embedded-gallery.ts";
import { ioError } from "./io-error.ts";
import type { Attributes, EmbeddingInfo, Gallery, IdentityInfo, SearchHit } from "./types.ts";
import { GalleryError } from "./types.ts";

/** What identifies one version of the files: a change of any part means the gallery changed. */
function versionOf(s: { ino: number; size: number; mtimeMs: number } | undefined): string {
  return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : "absent";
}

export class GalleryFollower implements Gallery {
  readonly dimension: number;
  readonly directory: string;
  #current: EmbeddedGallery;
  #version: string;
  #refreshing: Promise<boolean> | undefined;
  #again = false;
  #reloads = 0;

  private constructor(current: EmbeddedGallery, version: string) {
    this.#current = current;
    this.#version = version;
    this.dimension = current.dimension;
    this.directory = current.directory;
  }

  /** Opens a read-only view of the gallery in `dir` (empty until the writer creates it). */
  static async open(dir: string, options: { dimension?: number } = {}): Promise<GalleryFollower> {
    const version = await GalleryFollower.#versionAt(dir);
    const gallery = await EmbeddedGallery.open(dir, { ...options, readOnly: true });
    return new GalleryFollower(gallery, version);
  }

  /** How many times the view was reloaded since it was opened. */
  get reloads(): number {
    return this.#reloads;
  }

  /**
   * Reloads the view when the gallery's files changed since the last load; resolves to whether it did.
   * Calls made while a reload runs are coalesced into one more reload after it.
   */
  refresh(): Promise<boolean> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    const run = async (): Promise<boolean> => {
      let reloaded = false;
      do {
        this.#again = false;
        const version = await GalleryFollower.#versionAt(this.directory);
        if (version === this.#version) continue;
        const next = await EmbeddedGallery.open(this.directory, {
          dimension: this.dimension,
          readOnly: true,
        });
        const previous = this.#current;
        this.#current = next;
        this.#version = version;
        this.#reloads++;
        reloaded = true;
        await previous.close();
      } while (this.#again);
      return reloaded;
    };
    this.#refreshing = run().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  static async #versionAt(dir: string): Promise<string> {
    const parts: string[] = [];
    for (const name of ["meta.json", "journal.log"]) {
      const path = join(dir, name);
      try {
        parts.push(versionOf(await stat(path)));
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw ioError("stat", path, error);
        parts.push(versionOf(undefined));
      }
    }
    return parts.join("/");
  }

  // ---- reads: the current view

  list(): Promise<IdentityInfo[]> {
    return this.#current.list();
  }
  get(idOrName: string): Promise<IdentityInfo | undefined> {
    return this.#current.get(idOrName);
  }
  embeddings(idOrName: string): Promise<EmbeddingInfo[]> {
    return this.#current.embeddings(idOrName);
  }
  thumbnail(embeddingId: string): Promise<Uint8Array | undefined> {
    return this.#current.thumbnail(embeddingId);
  }
  search(
    vector: Float32Array,
    options?: { k?: number; minSimilarity?: number; perIdentity?: boolean },
  ): Promise<SearchHit[]> {
    return this.#current.search(vector, options);
  }
  size(): Promise<number> {
    return this.#current.size();
  }

  // ---- changes: refused

  #readOnly(): Promise<never> {
    return Promise.reject(
      new GalleryError(
        "READ_ONLY",
        `the gallery at ${this.directory} is followed read-only here (changes go through its writer, the api service)`,
      ),
    );
  }
  enroll(): Promise<{ identity: IdentityInfo; embeddingIds: string[] }> {
    return this.#readOnly();
  }
  rename(): Promise<IdentityInfo> {
    return this.#readOnly();
  }
  setAttributes(_idOrName: string, _attributes: Attributes): Promise<IdentityInfo> {
    return this.#readOnly();
  }
  deleteIdentity(): Promise<boolean> {
    return this.#readOnly();
  }
  deleteEmbedding(): Promise<boolean> {
    return this.#readOnly();
  }

  async close(): Promise<void> {
    await this.#refreshing?.catch(() => false);
    await this.#current.close();
  }
}
