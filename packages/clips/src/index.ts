/**
 * Clip storage for alert clips: a local directory or an S3 bucket (MinIO), a durable outbox in front of it
 * so no clip is lost while S3 is down, and local retention.
 */
export {
  CLIP_SUFFIXES,
  type ClipKeyParts,
  clipBaseKey,
  clipKey,
  InvalidClipKeyError,
  isKeySegment,
  MAX_KEY_LENGTH,
  parseClipKey,
  validateKey,
  validatePrefix,
  validateSuffix,
} from "./clip-key.ts";
export {
  ClipOutbox,
  ClipOutboxError,
  type ClipOutboxErrorInfo,
  type ClipOutboxOptions,
} from "./clip-outbox.ts";
export {
  type ClipStorage,
  ClipStorageError,
  type ClipStorageErrorOptions,
  type StoredClipObject,
} from "./clip-storage.ts";
export { LocalClipStorage } from "./local-clip-storage.ts";
export {
  type ClipStorageConfig,
  ClipStorageConfigError,
  type OpenClipStorageOptions,
  openClipStorage,
} from "./open-clip-storage.ts";
export type {
  ClipOutboxEntry,
  ClipOutboxEntryFile,
  ClipOutboxFileInput,
  ClipOutboxRequest,
} from "./outbox-entry.ts";
export { type PrunedClip, type PruneLocalOptions, type PruneResult, pruneLocal } from "./retention.ts";
export { MAX_URL_EXPIRATION_S, S3ClipStorage, type S3ClipStorageOptions } from "./s3-clip-storage.ts";
export {
  type ClipReference,
  type FetchClipOptions,
  groupClipObjects,
  isClipReference,
  type ListClipsOptions,
  type LocalClipVideo,
  parseClipReference,
  type StoredClip,
  StoredClips,
  type StoredClipsOptions,
  videoKeyOf,
} from "./stored-clips.ts";
