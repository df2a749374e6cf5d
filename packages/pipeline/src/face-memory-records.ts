/**
 * The face memory as the configuration sets it up, and what an analysed video leaves in it: one record per
 * confirmed track of a file or stored clip (source, track ID, times in the video, identity evidence, best
 * thumbnail, the embeddings chosen for it), in place of what an earlier analysis of that source left.
 */

import path from "node:path";
import type { FaceMemory, TrackSource } from "@facetracker/face-memory";
import { maskCredentials } from "@facetracker/media";
import type { FaceSummary } from "./tracking-types.ts";

export { openConfiguredMemory } from "./configured-memory.ts";

/** A video file (its absolute path) or stream (its URL, credentials masked) as a source of tracks. */
export function videoFileSource(video: string): TrackSource {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(video);
  return { kind: "file", name: url ? maskCredentials(video) : path.resolve(video) };
}

/** A stored alert clip (its base key, whose first part is the camera) as a source of tracks. */
export function storedClipSource(clipKey: string): TrackSource {
  const camera = clipKey.split("/")[0];
  return { kind: "clip", name: clipKey, ...(camera ? { camera } : {}) };
}

/**
 * Remembers the faces of an analysed video (findVideoFaces' summaries) as the tracks of `source`, analysed
 * at `analysedAtMs`; `clip` is the stored clip's video they were found in. Returns their row IDs.
 */
export function rememberVideoFaces(
  memory: FaceMemory,
  source: TrackSource,
  faces: readonly FaceSummary[],
  options: { analysedAtMs: number; clip?: { key: string; url?: string } },
): number[] {
  return memory.rememberSource(
    source,
    faces.map((f) => ({
      trackId: f.trackId,
      firstMs: options.analysedAtMs,
      lastMs: options.analysedAtMs,
      firstS: f.firstTime,
      lastS: f.lastTime,
      identity: f.identity
        ? { id: f.identity.id, name: f.identity.name, similarity: f.identity.similarity }
        : null,
      closest: !f.identity && f.closest ? { ...f.closest } : null,
      undetermined: f.undetermined,
      thumbnail: f.thumbnail,
      embeddings: f.memoryEmbeddings,
      ...(options.clip ? { clip: options.clip } : {}),
    })),
  );
}
