/**
 * Which camera sources a client may add at run time (gRPC AddCamera): network streams of an allowed
 * scheme (rtsp, rtsps, http, https) with a host, and local files or devices only under configured roots
 * (`api.media_roots`, `api.device_roots`), checked on the real path so that neither `..` nor a symbolic
 * link leaves a root. The configuration file's own cameras stay trusted and are not checked here.
 */

import { realpath } from "node:fs/promises";
import path from "node:path";
import { rootContaining } from "@facetracker/infra";
import { MediaError } from "./errors.ts";
import { maskCredentials } from "./source-spec.ts";

/** Where local sources may come from. An empty list refuses that kind of source. */
export interface SourceRoots {
  /** Folders whose video files may be camera sources. */
  mediaRoots: readonly string[];
  /** Folders whose devices may be camera sources (e.g. /dev for /dev/video0). */
  deviceRoots: readonly string[];
}

/** The network schemes a camera source may use. */
export const ALLOWED_STREAM_SCHEMES = ["rtsp", "rtsps", "http", "https"] as const;

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

function refuse(rule: string, message: string): never {
  throw new MediaError("INVALID_ARGUMENT", `camera source refused (${rule}): ${message}`);
}

/** The real path of `requested` when it lies inside one of `roots`; refuses naming the rule otherwise. */
async function insideRoots(
  requested: string,
  roots: readonly string[],
  what: string,
  key: string,
): Promise<string> {
  if (roots.length === 0) refuse(key, `${what} are not allowed as camera sources (no ${key} configured)`);
  let real: string;
  try {
    real = await realpath(requested);
  } catch {
    refuse(key, `${requested} does not exist`);
  }
  if ((await rootContaining(real, roots)) !== undefined) return real;
  refuse(
    key,
    `${requested} is outside ${key} (${roots.join(", ")})${real !== requested ? ` (it resolves to ${real})` : ""}`,
  );
}

/**
 * Checks a camera source given by a client; resolves with the source to store (a file or device as its
 * real path, a URL unchanged). Rejects with MediaError("INVALID_ARGUMENT") naming the broken rule: a
 * scheme outside the allowlist (file:, data:, concat: …), a URL without a host, a relative path, `..`,
 * a file or device outside its roots (symbolic links followed), control characters.
 */
export async function checkCameraSource(source: string, roots: SourceRoots): Promise<string> {
  const text = source.trim();
  if (text === "") refuse("empty", "the camera url is empty");
  if ([...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    refuse("control characters", "the camera url contains control characters");
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!(ALLOWED_STREAM_SCHEMES as readonly string[]).includes(scheme)) {
      refuse(
        "scheme",
        `${scheme}: is not allowed; use ${ALLOWED_STREAM_SCHEMES.join(", ")} or a path under api.media_roots`,
      );
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      refuse("url", `${maskCredentials(text)} is not a valid URL`);
    }
    if (url.hostname === "") refuse("url", `${maskCredentials(text)} has no host`);
    return text;
  }
  if (/^\d+$/.test(text)) return checkDevice(`/dev/video${Number(text)}`, roots);
  if (!path.isAbsolute(text)) refuse("absolute path", `${text} is not an absolute path`);
  if (text.split("/").includes("..")) refuse("no ..", `${text} contains ..`);
  if (text.startsWith("/dev/")) return checkDevice(text, roots);
  return insideRoots(text, roots.mediaRoots, "files", "api.media_roots");
}

async function checkDevice(device: string, roots: SourceRoots): Promise<string> {
  const real = await insideRoots(device, roots.deviceRoots, "devices", "api.device_roots");
  if (!/^\/dev\/video\d+$/.test(real)) refuse("device", `${device} is not a video device (/dev/videoN)`);
  return real;
}
