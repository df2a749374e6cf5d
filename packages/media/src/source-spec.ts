/** What a video source specification (camera index, device path, URL or file path) designates. */

import { resolve } from "node:path";
import { MediaError } from "./errors.ts";

export type SourceKind = "file" | "rtsp" | "http" | "device";

export interface ParsedVideoSource {
  kind: SourceKind;
  /** File path (absolute), device path or URL, as given to ffmpeg (after the `file:` prefix for files). */
  input: string;
}

/**
 * A number or a digit string is a camera index (`/dev/video<N>`); `/dev/videoN` a V4L2 device;
 * `rtsp://`, `rtsps://` an RTSP stream; `http://`, `https://` an HTTP stream; anything else a file path
 * (made absolute).
 */
export function parseVideoSource(spec: string | number): ParsedVideoSource {
  if (typeof spec === "number") {
    if (!Number.isSafeInteger(spec) || spec < 0) {
      throw new MediaError("INVALID_ARGUMENT", `camera index must be a non-negative integer, got ${spec}`);
    }
    return { kind: "device", input: `/dev/video${spec}` };
  }
  if (typeof spec !== "string" || spec.trim() === "") {
    throw new MediaError(
      "INVALID_ARGUMENT",
      `video source must be a camera index, a device, a URL or a file path, got ${JSON.stringify(spec)}`,
    );
  }
  const text = spec.trim();
  if (/^\d+$/.test(text)) return { kind: "device", input: `/dev/video${Number(text)}` };
  if (/^\/dev\/video\d+$/.test(text)) return { kind: "device", input: text };
  if (/^rtsps?:\/\//i.test(text)) return { kind: "rtsp", input: text };
  if (/^https?:\/\//i.test(text)) return { kind: "http", input: text };
  return { kind: "file", input: resolve(spec) };
}

/** Network streams and cameras: they reconnect when lost, instead of ending. */
export function isLiveSource(kind: SourceKind): boolean {
  return kind !== "file";
}

/** Query parameters of a URL that carry a secret (camera and streaming servers' usual names). */
const SECRET_PARAMS =
  "token|access_token|auth|key|api_key|apikey|password|passwd|pwd|pass|secret|signature|sig";

/**
 * The URL with its password (or token-like user info) and its secret query parameters (`?token=`,
 * `&password=` …) replaced by `***`, for messages and logs.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):([^/@\s]*)@/gi, "$1$2:***@")
    .replace(new RegExp(`([?&](?:${SECRET_PARAMS})=)[^&#\\s]*`, "gi"), "$1***");
}

/** How messages name a source: "video file /x.mp4", "RTSP stream rtsp://cam/x", "camera /dev/video0". */
export function describeSource(source: ParsedVideoSource): string {
  switch (source.kind) {
    case "file":
      return `video file ${source.input}`;
    case "rtsp":
      return `RTSP stream ${maskCredentials(source.input)}`;
    case "http":
      return `HTTP stream ${maskCredentials(source.input)}`;
    case "device":
      return `camera ${source.input}`;
  }
}
