/** The clip storage contract shared by the local-directory and S3 implementations. */

/** One stored object, as list() returns it. */
export interface StoredClipObject {
  /** Object key, e.g. "cam1/2024-05-17/080309-a1b2.mp4". */
  key: string;
  /** Size in bytes. */
  size: number;
  /** When it was last written. */
  lastModified: Date;
}

/**
 * Where alert clips are kept: a local directory (LocalClipStorage) or an S3 bucket (S3ClipStorage).
 * Keys are validated by every method (see validateKey): a bad key is an InvalidClipKeyError; storage
 * failures are ClipStorageError naming the storage, the operation and the key.
 */
export interface ClipStorage {
  /**
   * Stores the local file `file` under `key` (overwriting: storing the same key again is idempotent).
   * The object appears whole or not at all; `file` is left in place.
   */
  put(key: string, file: string, contentType: string): Promise<void>;
  /**
   * A URL to read the object: file:// for a local directory (NoSuchKey if the file is missing), a presigned
   * GET URL for S3 valid for its urlExpirationS (made offline: the object's existence is not checked).
   */
  url(key: string): Promise<string>;
  /** The object's bytes. */
  get(key: string): Promise<Uint8Array>;
  /** Writes the object to the local path `destPath` (atomically: a temporary file renamed into place). */
  download(key: string, destPath: string): Promise<void>;
  /** Objects whose key starts with `prefix` (default: all), sorted by key. */
  list(prefix?: string): Promise<StoredClipObject[]>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** For logs: the kind and location, never credentials. */
  describe(): string;
  /** Releases what the storage holds open (S3: its connections). The storage is not used after. */
  close?(): Promise<void>;
}

/** Options of ClipStorageError. */
export interface ClipStorageErrorOptions {
  /** What failed: an S3 error code ("NoSuchKey", "InvalidAccessKeyId"), an errno ("ENOENT"), "Unreachable". */
  code: string;
  /** The storage's describe(). */
  storage: string;
  /** The key concerned, if any. */
  key?: string;
  /** True when the storage could not be reached at all (connection refused, timeout, host not found). */
  unreachable?: boolean;
  cause?: unknown;
}

/** A storage operation that failed; the message names the storage, the operation, the key and the reason. */
export class ClipStorageError extends Error {
  override readonly name = "ClipStorageError";
  /** See ClipStorageErrorOptions.code; "NoSuchKey" for a missing object on every storage. */
  readonly code: string;
  readonly storage: string;
  readonly key: string | undefined;
  readonly unreachable: boolean;

  constructor(message: string, options: ClipStorageErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.storage = options.storage;
    this.key = options.key;
    this.unreachable = options.unreachable ?? false;
  }
}
