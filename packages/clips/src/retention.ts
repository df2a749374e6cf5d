/**
 * Retention for clips kept in a local directory: the oldest clips go first, a clip's files (.mp4, .json,
 * .annotated.mp4) together. For S3, use the bucket's lifecycle rules instead (e.g. MinIO:
 * `mc ilm rule add --expire-days 30 site/facetracker-clips`): they run inside the store, need no lister, and
 * treat every object the same way.
 */

import { CLIP_SUFFIXES, clipBaseKey } from "./clip-key.ts";
import type { ClipStorage } from "./clip-storage.ts";
import { LocalClipStorage } from "./local-clip-storage.ts";

/** Options of pruneLocal: where (directory or storage) and the limits (at least one). */
export interface PruneLocalOptions {
  /** The clip directory (as LocalClipStorage's). */
  directory?: string;
  /** Or the storage itself: must be a LocalClipStorage. */
  storage?: ClipStorage;
  /** Remove clips whose newest file is older than this. */
  maxAgeMs?: number;
  /** Then remove the oldest clips until the files left total at most this. */
  maxTotalBytes?: number;
  /** The current time, ms (default Date.now()). */
  now?: number;
}

/** A clip pruneLocal removed. */
export interface PrunedClip {
  /** The clip's base key (key without ".mp4" / ".json" / ".annotated.mp4"). */
  clip: string;
  /** The keys of its files that were removed. */
  keys: string[];
  bytes: number;
  /** Its newest file's modification time. */
  lastModified: Date;
  reason: "age" | "size";
}

/** What pruneLocal did. */
export interface PruneResult {
  removed: PrunedClip[];
  removedBytes: number;
  keptClips: number;
  keptBytes: number;
}

interface ClipGroup {
  clip: string;
  keys: string[];
  bytes: number;
  newest: number;
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`pruneLocal: ${name} must be a number >= 0, got ${String(value)}`);
  }
}

/**
 * Removes, from a local clip directory, the clips older than `maxAgeMs` and then the oldest until the rest
 * fit in `maxTotalBytes`. A clip's age is its newest file's modification time (when it was stored). Files
 * being written are never seen (they are hidden temporaries until renamed). Returns what was removed,
 * oldest first. Throws for an S3 storage (use bucket lifecycle rules) or when no limit is given.
 */
export async function pruneLocal(options: PruneLocalOptions): Promise<PruneResult> {
  const { maxAgeMs, maxTotalBytes } = options;
  checkLimit("maxAgeMs", maxAgeMs);
  checkLimit("maxTotalBytes", maxTotalBytes);
  if (maxAgeMs === undefined && maxTotalBytes === undefined) {
    throw new TypeError("pruneLocal: give maxAgeMs, maxTotalBytes or both");
  }
  let storage: LocalClipStorage;
  if (options.storage !== undefined) {
    if (!(options.storage instanceof LocalClipStorage)) {
      throw new TypeError(
        `pruneLocal works on a local directory, not ${options.storage.describe()}: for S3 set an expiry ` +
          "lifecycle rule on the bucket",
      );
    }
    storage = options.storage;
  } else if (typeof options.directory === "string" && options.directory !== "") {
    storage = new LocalClipStorage(options.directory);
  } else {
    throw new TypeError("pruneLocal: give the clip directory or its LocalClipStorage");
  }

  const groups = new Map<string, ClipGroup>();
  for (const object of await storage.list()) {
    const clip = clipBaseKey(object.key);
    let group = groups.get(clip);
    if (!group) {
      group = { clip, keys: [], bytes: 0, newest: 0 };
      groups.set(clip, group);
    }
    group.keys.push(object.key);
    group.bytes += object.size;
    group.newest = Math.max(group.newest, object.lastModified.getTime());
  }
  const oldestFirst = [...groups.values()].sort((a, b) => a.newest - b.newest || (a.clip < b.clip ? -1 : 1));

  const now = options.now ?? Date.now();
  const removed: PrunedClip[] = [];
  const kept: ClipGroup[] = [];
  for (const group of oldestFirst) {
    if (maxAgeMs !== undefined && now - group.newest > maxAgeMs) {
      removed.push(await removeClip(storage, group, "age"));
    } else {
      kept.push(group);
    }
  }
  let keptBytes = kept.reduce((sum, group) => sum + group.bytes, 0);
  while (maxTotalBytes !== undefined && keptBytes > maxTotalBytes && kept.length > 0) {
    const group = kept.shift() as ClipGroup;
    removed.push(await removeClip(storage, group, "size"));
    keptBytes -= group.bytes;
  }
  return {
    removed,
    removedBytes: removed.reduce((sum, clip) => sum + clip.bytes, 0),
    keptClips: kept.length,
    keptBytes,
  };
}

async function removeClip(
  storage: LocalClipStorage,
  group: ClipGroup,
  reason: PrunedClip["reason"],
): Promise<PrunedClip> {
  // The video first, as uploads write it last: whoever finds a clip's .mp4 finds its .json too.
  const video = group.clip + CLIP_SUFFIXES.video;
  const keys = [...group.keys].sort((a, b) => Number(b === video) - Number(a === video));
  for (const key of keys) await storage.delete(key);
  return {
    clip: group.clip,
    keys: group.keys,
    bytes: group.bytes,
    lastModified: new Date(group.newest),
    reason,
  };
}
