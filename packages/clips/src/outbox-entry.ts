/** ClipOutbox entries: what enqueue takes, what the spool's manifest.json holds, and its validation. */

import { join } from "node:path";
import { CLIP_SUFFIXES, validateKey, validateSuffix } from "./clip-key.ts";

/** One file of a clip handed to ClipOutbox.enqueue. */
export interface ClipOutboxFileInput {
  /** Appended to the entry's key to make the object key: ".mp4", ".json", ".annotated.mp4". */
  suffix: string;
  /** Local path of the file (moved into the spool unless `keepSource`). */
  path: string;
  /** MIME type stored with the object, e.g. "video/mp4", "application/json". */
  contentType: string;
}

/** A clip handed to ClipOutbox.enqueue. */
export interface ClipOutboxRequest {
  /** The clip's base key (see clipKey with ext ""), e.g. "cam1/2024-05-17/080309-a1b2". */
  key: string;
  /** Its files, one per suffix. */
  files: ClipOutboxFileInput[];
  /** JSON-serializable data given back to onStored (alert id, camera, times, …). */
  meta?: Record<string, unknown>;
  /** Copy the files into the spool and leave them in place (default: move them). */
  keepSource?: boolean;
}

/** A spooled file of an entry. */
export interface ClipOutboxEntryFile {
  suffix: string;
  /** Object key: the entry's key + suffix. */
  key: string;
  contentType: string;
  size: number;
  /** Its path in the spool (gone once the entry is stored). */
  path: string;
}

/** A spooled clip, as pending(), onStored and onError see it. */
export interface ClipOutboxEntry {
  /** Spool id; orders entries by enqueue time. */
  id: string;
  /** The clip's base key. */
  key: string;
  /** The key url() is made for in onStored: the ".mp4" file's (else the first file's). */
  primaryKey: string;
  /** In upload order: the ".mp4" file last. */
  files: ClipOutboxEntryFile[];
  meta: Record<string, unknown>;
  enqueuedAt: Date;
}

/** manifest.json, version 1. */
export interface OutboxManifest {
  version: 1;
  id: string;
  key: string;
  enqueuedAt: string;
  meta: Record<string, unknown>;
  files: { suffix: string; name: string; contentType: string; size: number }[];
}

/** The name a file of `suffix` has in its entry directory. */
export function spoolFileName(suffix: string): string {
  return `clip${suffix}`;
}

/** Files in upload order: the clip's ".mp4" last, so a reader that finds it finds the other files too. */
export function uploadOrder<T extends { suffix: string }>(files: T[]): T[] {
  return [
    ...files.filter((file) => file.suffix !== CLIP_SUFFIXES.video),
    ...files.filter((file) => file.suffix === CLIP_SUFFIXES.video),
  ];
}

/** Checks a request's key, suffixes, content types and meta; throws a TypeError naming the problem. */
export function validateRequest(request: ClipOutboxRequest): void {
  if (request === null || typeof request !== "object")
    throw new TypeError("enqueue: expected { key, files, meta }");
  validateKey(request.key);
  if (!Array.isArray(request.files) || request.files.length === 0) {
    throw new TypeError(`enqueue ${request.key}: "files" must list at least one file`);
  }
  const seen = new Set<string>();
  for (const file of request.files) {
    validateSuffix(file?.suffix);
    if (seen.has(file.suffix))
      throw new TypeError(`enqueue ${request.key}: suffix "${file.suffix}" given twice`);
    seen.add(file.suffix);
    validateKey(request.key + file.suffix);
    if (typeof file.path !== "string" || file.path === "") {
      throw new TypeError(`enqueue ${request.key}: the "${file.suffix}" file has no path`);
    }
    if (typeof file.contentType !== "string" || file.contentType === "") {
      throw new TypeError(`enqueue ${request.key}: the "${file.suffix}" file has no contentType`);
    }
  }
  if (
    request.meta !== undefined &&
    (request.meta === null || typeof request.meta !== "object" || Array.isArray(request.meta))
  ) {
    throw new TypeError(`enqueue ${request.key}: "meta" must be an object`);
  }
}

/** The entry a manifest describes, its files in `dir`. */
export function entryFromManifest(manifest: OutboxManifest, dir: string): ClipOutboxEntry {
  const files = uploadOrder(
    manifest.files.map((file) => ({
      suffix: file.suffix,
      key: manifest.key + file.suffix,
      contentType: file.contentType,
      size: file.size,
      path: join(dir, file.name),
    })),
  );
  const primary = files.find((file) => file.suffix === CLIP_SUFFIXES.video) ?? files[0];
  return {
    id: manifest.id,
    key: manifest.key,
    primaryKey: primary?.key ?? manifest.key,
    files,
    meta: manifest.meta,
    enqueuedAt: new Date(manifest.enqueuedAt),
  };
}

/** Parses and checks manifest.json text; throws an Error saying what is wrong. */
export function parseManifest(text: string, expectedId: string): OutboxManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`manifest.json is not valid JSON: ${(error as Error).message}`);
  }
  const m = value as Partial<OutboxManifest> | null;
  if (m === null || typeof m !== "object" || m.version !== 1)
    throw new Error("manifest.json: not a version 1 manifest");
  if (m.id !== expectedId)
    throw new Error(`manifest.json: id ${JSON.stringify(m.id)} does not match its directory`);
  if (typeof m.key !== "string") throw new Error("manifest.json: no key");
  validateKey(m.key);
  if (typeof m.enqueuedAt !== "string" || Number.isNaN(Date.parse(m.enqueuedAt))) {
    throw new Error("manifest.json: bad enqueuedAt");
  }
  if (m.meta === null || typeof m.meta !== "object") throw new Error("manifest.json: meta is not an object");
  if (!Array.isArray(m.files) || m.files.length === 0) throw new Error("manifest.json: no files");
  for (const file of m.files) {
    validateSuffix(file?.suffix);
    validateKey(m.key + file.suffix);
    if (file.name !== spoolFileName(file.suffix))
      throw new Error(`manifest.json: bad file name ${file.name}`);
    if (typeof file.contentType !== "string" || !Number.isSafeInteger(file.size) || file.size < 0) {
      throw new Error(`manifest.json: bad entry for the "${file.suffix}" file`);
    }
  }
  return m as OutboxManifest;
}
