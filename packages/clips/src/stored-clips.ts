/**
 * Stored alert clips as users see them: references to a clip (a storage key with or without its file
 * suffix, "clip:KEY", "s3://BUCKET/KEY"), the storage the configuration names, listings grouped by clip (a
 * clip's .mp4, .json and .annotated.mp4 together), download and removal of a clip's files, and a local copy
 * of a clip's video for analysis. Keys are read with clip-key.ts, which writes them.
 */

import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import {
  CLIP_SUFFIXES,
  clipBaseKey,
  InvalidClipKeyError,
  isKeySegment,
  parseClipKey,
  validateKey,
} from "./clip-key.ts";
import { type ClipStorage, ClipStorageError, type StoredClipObject } from "./clip-storage.ts";
import { LocalClipStorage } from "./local-clip-storage.ts";
import { type ClipStorageConfig, openClipStorage } from "./open-clip-storage.ts";
import { S3ClipStorage } from "./s3-clip-storage.ts";

/** A clip named by the user: the bucket of an s3:// URL (when one was given) and the key. */
export interface ClipReference {
  /** The bucket of an `s3://BUCKET/KEY` reference; undefined for a key of the configured storage. */
  bucket?: string;
  /** The key as given: a file's key ("….mp4", "….json", "….annotated.mp4") or the clip's base key. */
  key: string;
}

/** One clip: the files stored under one base key. */
export interface StoredClip {
  /** The base key, e.g. "cam1/2026-11-24/101500-a1b2" (the files' keys without their suffix). */
  key: string;
  /** The camera: the key's first segment (undefined for a key without '/'). */
  camera: string | undefined;
  /** The alert time the key carries (`<camera>/<YYYY-MM-DD>/<HHMMSS>-…`, UTC), else the newest file's time. */
  time: Date;
  /** Total size of the files, bytes. */
  size: number;
  /** The files: the video first, then the results, the annotated video, any others by key. */
  files: StoredClipObject[];
}

/** Options of StoredClips.open. */
export interface StoredClipsOptions {
  /** Directory a relative local endpoint is resolved against (default: the working directory). */
  baseDir?: string;
}

/** Options of StoredClips.list. */
export interface ListClipsOptions {
  /** Only this camera's clips. */
  camera?: string;
  /** Only clips from this time on. */
  since?: Date;
}

/** Options of StoredClips.withVideo. */
export interface FetchClipOptions {
  /** Where a remote clip is downloaded to (a temporary folder is made in it; default the OS's). */
  tempDir?: string;
  /** Called before a remote clip's video is downloaded. */
  onDownload?: (info: { key: string; storage: string }) => void;
}

/** A clip's video as a local file, for the time of a withVideo callback. */
export interface LocalClipVideo {
  /** A readable local file: the stored file itself (local directory) or a temporary download (S3). */
  path: string;
  /** How to name the video in results and messages: `s3://BUCKET/KEY`, or the local file. */
  source: string;
  /** The video's key. */
  key: string;
  /** The storage's describe(). */
  storage: string;
}

/** The settings openClipStorage takes (the configuration's `storage` also has spool and retention keys). */
const STORAGE_SETTINGS = [
  "endpoint",
  "bucket",
  "access_key",
  "secret_key",
  "region",
  "public_endpoint",
  "url_expiration_s",
] as const;

/** Clip file suffixes, longest first (".annotated.mp4" before ".mp4"). */
const SUFFIX_ORDER: string[] = [CLIP_SUFFIXES.video, CLIP_SUFFIXES.results, CLIP_SUFFIXES.annotated];

/** Whether `spec` names a stored clip rather than a file: "clip:KEY" or "s3://BUCKET/KEY". */
export function isClipReference(spec: string): boolean {
  return spec.startsWith("clip:") || /^s3:\/\//i.test(spec);
}

/**
 * Parses "s3://BUCKET/KEY", "clip:KEY" or a plain KEY. Throws InvalidClipKeyError for an empty or unsafe
 * key (see validateKey) or an s3:// URL without bucket or key.
 */
export function parseClipReference(ref: string): ClipReference {
  if (typeof ref !== "string" || ref.trim() === "") {
    throw new InvalidClipKeyError("no clip given: expected a key, clip:KEY or s3://BUCKET/KEY");
  }
  const s3 = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(ref);
  if (s3) {
    const [, bucket = "", key = ""] = s3;
    if (bucket === "" || key === "") {
      throw new InvalidClipKeyError(`invalid clip URL "${ref}": expected s3://BUCKET/KEY`);
    }
    validateKey(key);
    return { bucket, key };
  }
  const key = ref.startsWith("clip:") ? ref.slice("clip:".length) : ref;
  validateKey(key);
  return { key };
}

/** The key of the video a key names: itself for a ".mp4" key, else the clip's `<base>.mp4`. */
export function videoKeyOf(key: string): string {
  return key.endsWith(CLIP_SUFFIXES.video) ? key : `${clipBaseKey(key)}${CLIP_SUFFIXES.video}`;
}

function fileRank(clipKey: string, fileKey: string): number {
  const rank = SUFFIX_ORDER.indexOf(fileKey.slice(clipKey.length));
  return rank < 0 ? SUFFIX_ORDER.length : rank;
}

/** Groups stored objects by clip (clipBaseKey); clips sorted by time, then key. */
export function groupClipObjects(objects: readonly StoredClipObject[]): StoredClip[] {
  const groups = new Map<string, StoredClipObject[]>();
  for (const object of objects) {
    const base = clipBaseKey(object.key);
    const files = groups.get(base);
    if (files) files.push(object);
    else groups.set(base, [object]);
  }
  const clips: StoredClip[] = [];
  for (const [key, files] of groups) {
    files.sort((a, b) => fileRank(key, a.key) - fileRank(key, b.key) || (a.key < b.key ? -1 : 1));
    const newest = Math.max(...files.map((f) => f.lastModified.getTime()));
    const slash = key.indexOf("/");
    clips.push({
      key,
      camera: slash > 0 ? key.slice(0, slash) : undefined,
      time: parseClipKey(key)?.time ?? new Date(newest),
      size: files.reduce((sum, f) => sum + f.size, 0),
      files,
    });
  }
  return clips.sort((a, b) => a.time.getTime() - b.time.getTime() || (a.key < b.key ? -1 : 1));
}

/** The suffix of a clip file ("<base>.json" → ".json"). */
export function fileSuffix(clip: StoredClip, file: StoredClipObject): string {
  return file.key.slice(clip.key.length);
}

function pickSettings(settings: ClipStorageConfig): ClipStorageConfig {
  const source = settings as unknown as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const name of STORAGE_SETTINGS) {
    if (source[name] !== undefined && source[name] !== null) picked[name] = source[name];
  }
  return picked as unknown as ClipStorageConfig;
}

/**
 * The stored clips of one configured storage (a local directory or an S3 bucket). Read and manage only:
 * an S3 bucket is never created (a wrong bucket name is a NoSuchBucket error, not a new empty bucket).
 * Errors are ClipStorageError (a missing clip has code "NoSuchKey" and says "no clip KEY in STORAGE"; an
 * S3 endpoint that is down has `unreachable` set), InvalidClipKeyError for a malformed reference, and
 * ClipStorageConfigError for storage settings that cannot work.
 */
export class StoredClips {
  /** The configured storage. */
  readonly storage: ClipStorage;
  readonly #settings: ClipStorageConfig;
  /** Storages of other buckets on the configured S3 endpoint (s3:// references), by bucket. */
  readonly #buckets = new Map<string, S3ClipStorage>();

  private constructor(storage: ClipStorage, settings: ClipStorageConfig) {
    this.storage = storage;
    this.#settings = settings;
  }

  /**
   * The storage `settings` describe (the configuration's `storage` section: endpoint, bucket, keys,
   * region; spool and retention keys are ignored). Nothing is contacted here.
   */
  static open(settings: ClipStorageConfig, options: StoredClipsOptions = {}): StoredClips {
    const picked = pickSettings(settings);
    // openClipStorage checks the settings (its errors name them); S3 is then opened without bucket creation.
    const checked = openClipStorage(
      picked,
      options.baseDir === undefined ? {} : { baseDir: options.baseDir },
    );
    if (!(checked instanceof S3ClipStorage)) return new StoredClips(checked, picked);
    void checked.close();
    return new StoredClips(StoredClips.#s3(picked, picked.bucket as string), picked);
  }

  static #s3(settings: ClipStorageConfig, bucket: string): S3ClipStorage {
    return new S3ClipStorage({
      endpoint: settings.endpoint,
      bucket,
      accessKey: settings.access_key as string,
      secretKey: settings.secret_key as string,
      ...(settings.region === undefined ? {} : { region: settings.region }),
      ...(settings.public_endpoint === undefined ? {} : { publicEndpoint: settings.public_endpoint }),
      ...(settings.url_expiration_s === undefined ? {} : { urlExpirationS: settings.url_expiration_s }),
      createBucket: false,
    });
  }

  /** The configured storage, for messages ("S3 http://minio:9000 bucket "clips" …", "local directory …"). */
  describe(): string {
    return this.storage.describe();
  }

  /**
   * The storage and key a reference names. An s3:// URL must name an S3 bucket: the configured one, or
   * another bucket on the configured endpoint (read with the configured keys).
   */
  locate(ref: string): { storage: ClipStorage; key: string; bucket?: string } {
    const { bucket, key } = parseClipReference(ref);
    if (bucket === undefined) {
      return this.storage instanceof S3ClipStorage
        ? { storage: this.storage, key, bucket: this.storage.bucket }
        : { storage: this.storage, key };
    }
    if (!(this.storage instanceof S3ClipStorage)) {
      throw new ClipStorageError(
        `cannot read ${ref}: the configured clip storage is a ${this.storage.describe()}; set storage.endpoint ` +
          "to the S3 endpoint (with storage.bucket, access_key and secret_key) to read s3:// clips",
        { code: "NotS3", storage: this.storage.describe(), key },
      );
    }
    if (bucket === this.storage.bucket) return { storage: this.storage, key, bucket };
    let other = this.#buckets.get(bucket);
    if (!other) {
      try {
        other = StoredClips.#s3(this.#settings, bucket);
      } catch (error) {
        throw new InvalidClipKeyError(
          `invalid clip URL "${ref}": ${(error as Error).message.replace(/^S3ClipStorage: /, "")}`,
        );
      }
      this.#buckets.set(bucket, other);
    }
    return { storage: other, key, bucket };
  }

  /** Clips, grouped (a clip's .mp4/.json/.annotated.mp4 as one), sorted by time. */
  async list(options: ListClipsOptions = {}): Promise<StoredClip[]> {
    let prefix = "";
    if (options.camera !== undefined) {
      if (!isKeySegment(options.camera)) {
        throw new InvalidClipKeyError(
          `invalid camera id "${options.camera}": use letters, digits, '.', '_' or '-'`,
        );
      }
      prefix = `${options.camera}/`;
    }
    const clips = groupClipObjects(await this.storage.list(prefix));
    const since = options.since?.getTime();
    return since === undefined ? clips : clips.filter((c) => c.time.getTime() >= since);
  }

  /** The clip a reference names, with all its files; ClipStorageError "NoSuchKey" when it has none. */
  async clip(ref: string): Promise<StoredClip> {
    return (await this.#find(ref)).clip;
  }

  /** The clip a reference names and the storage that holds it. */
  async #find(ref: string): Promise<{ storage: ClipStorage; clip: StoredClip }> {
    const { storage, key } = this.locate(ref);
    const clip = await StoredClips.#clipIn(storage, clipBaseKey(key));
    if (!clip) throw noSuchClip(storage, key);
    return { storage, clip };
  }

  static async #clipIn(storage: ClipStorage, base: string): Promise<StoredClip | undefined> {
    const objects = (await storage.list(base)).filter((o) => clipBaseKey(o.key) === base);
    return groupClipObjects(objects)[0];
  }

  /**
   * Downloads every file of the clip into `directory` (created when missing) under its file name
   * (`101500-a1b2.mp4`, `.json`, `.annotated.mp4`), each atomically; returns the clip and the paths written.
   */
  async download(ref: string, directory: string): Promise<{ clip: StoredClip; paths: string[] }> {
    const { storage, clip } = await this.#find(ref);
    const paths: string[] = [];
    for (const file of clip.files) {
      const dest = join(resolve(directory), basename(file.key));
      await storage.download(file.key, dest);
      paths.push(dest);
    }
    return { clip, paths };
  }

  /**
   * Removes every file of the clip, the video first (so a reader that finds the video still finds its
   * results while this runs); returns the clip as it was.
   */
  async delete(ref: string): Promise<StoredClip> {
    const { storage, clip } = await this.#find(ref);
    for (const file of clip.files) await storage.delete(file.key);
    return clip;
  }

  /**
   * Runs `use` with the clip's video as a local file: the stored file itself for a local directory, a
   * download into a temporary folder for S3 (removed afterwards, whatever `use` does). A missing video is
   * a ClipStorageError "NoSuchKey" ("no clip KEY in STORAGE", or which files the clip has instead).
   */
  async withVideo<T>(
    ref: string,
    use: (video: LocalClipVideo) => Promise<T>,
    options: FetchClipOptions = {},
  ): Promise<T> {
    const { storage, key: given, bucket } = this.locate(ref);
    const key = videoKeyOf(given);
    const described = storage.describe();
    if (storage instanceof LocalClipStorage) {
      const path = storage.pathOf(key);
      try {
        if (!(await stat(path)).isFile()) throw Object.assign(new Error("not a file"), { code: "ENOENT" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
          throw new ClipStorageError(`cannot read ${key} in ${described}: ${(error as Error).message}`, {
            code: (error as NodeJS.ErrnoException).code ?? "EIO",
            storage: described,
            key,
            cause: error,
          });
        }
        throw await this.#missingVideo(storage, given, key, error);
      }
      return use({ path, source: path, key, storage: described });
    }
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "facetracker-clip-"));
    try {
      const path = join(dir, basename(key));
      options.onDownload?.({ key, storage: described });
      try {
        await storage.download(key, path);
      } catch (error) {
        if (error instanceof ClipStorageError && error.code === "NoSuchKey") {
          throw await this.#missingVideo(storage, given, key, error);
        }
        throw error;
      }
      const source = bucket === undefined ? key : `s3://${bucket}/${key}`;
      try {
        return await use({ path, source, key, storage: described });
      } catch (error) {
        // Name the clip, not the temporary file, in messages (e.g. "…: not a video").
        if (error instanceof Error && error.message.includes(path)) {
          error.message = error.message.replaceAll(path, source);
        }
        throw error;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The error for a missing video: "no clip …", or what the clip has instead when it has other files. */
  async #missingVideo(
    storage: ClipStorage,
    given: string,
    key: string,
    cause: unknown,
  ): Promise<ClipStorageError> {
    let clip: StoredClip | undefined;
    try {
      clip = await StoredClips.#clipIn(storage, clipBaseKey(key));
    } catch {
      clip = undefined; // the listing is only for a better message
    }
    if (!clip) return noSuchClip(storage, given, cause);
    const has = clip.files.map((f) => fileSuffix(clip, f)).join(", ");
    return new ClipStorageError(
      `clip ${clip.key} in ${storage.describe()} has no video ${key} (its files: ${has})`,
      { code: "NoSuchKey", storage: storage.describe(), key, cause },
    );
  }

  /** Closes the storages' connections. */
  async close(): Promise<void> {
    const storages = [this.storage, ...this.#buckets.values()];
    this.#buckets.clear();
    await Promise.all(storages.map((s) => s.close?.()));
  }
}

function noSuchClip(storage: ClipStorage, key: string, cause?: unknown): ClipStorageError {
  return new ClipStorageError(`no clip ${key} in ${storage.describe()}`, {
    code: "NoSuchKey",
    storage: storage.describe(),
    key,
    ...(cause === undefined ? {} : { cause }),
  });
}
