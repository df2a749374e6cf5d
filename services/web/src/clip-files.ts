/**
 * Alert clips for the page's <video>: GET /api/clips/<key>. From a local clip directory the file is
 * streamed with Range support (seeking); from S3 the browser is redirected to a presigned URL (valid for
 * storage.url_expiration_s). Only clip videos (.mp4) and their results (.json) are served, and only from
 * inside the clip directory: the storage resolves the real path, and a file that leads outside it (a
 * symbolic link to /etc/passwd) is refused with 403, its content never read.
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { StoredClips } from "@facetracker/clips";
import { HttpError } from "./http-helpers.ts";

const TYPES: Record<string, string> = { ".mp4": "video/mp4", ".json": "application/json" };

/** A byte range of a file of `size` bytes, from a Range header; "unsatisfiable" for a range outside it. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // several ranges or another unit: the whole file
  const [, from = "", to = ""] = match;
  if (from === "" && to === "") return undefined;
  let start: number;
  let end: number;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

/** Serves the clip file `key` of the configured storage. */
export async function serveClip(
  clips: StoredClips,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = Object.entries(TYPES).find(([suffix]) => key.endsWith(suffix))?.[1];
  if (!type) throw new HttpError(404, `no clip file ${key}: only .mp4 videos and .json results are served`);
  let url: string;
  try {
    url = await clips.storage.url(key);
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.name === "InvalidClipKeyError") throw new HttpError(400, e.message);
    if (e.code === "EOUTSIDEROOT") {
      throw new HttpError(403, `clip ${key} leads outside the clip storage (a symbolic link?): refused`);
    }
    if (e.code === "NoSuchKey" || e.code === "ENOENT") {
      throw new HttpError(404, `clip ${key} is not (or no longer) in the clip storage`);
    }
    throw new HttpError(502, `the clip storage cannot give ${key}: ${e.message}`);
  }
  if (!url.startsWith("file:")) {
    res.writeHead(302, { location: url, "cache-control": "no-store" });
    res.end();
    return;
  }
  const file = fileURLToPath(url);
  const { size } = await stat(file);
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    res.writeHead(416, { "content-range": `bytes */${size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, {
    "content-type": type,
    "content-length": size === 0 ? 0 : end - start + 1,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=3600",
    ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(file, { start, end });
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}
