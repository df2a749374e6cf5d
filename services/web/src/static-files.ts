/**
 * The page's static files (services/web/public: HTML, CSS, plain ES modules), served as they are: no build
 * step, no bundler. Only plain file names of known types are served (no directories, no "..").
 */

import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { faceColorsCss } from "@facetracker/vision";

/** services/web/public, next to this service's src/. */
export const WEB_ROOT = fileURLToPath(new URL("../public/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]*\.[a-z]+$/;

/**
 * Files made at start rather than read from WEB_ROOT: face-labels.css holds the face colours (--known,
 * --unknown, --identifying, --lost) of @facetracker/vision's table, so the page draws with the same
 * colours as the restream, the clips and the CLI.
 */
const GENERATED: Record<string, string> = { "face-labels.css": faceColorsCss() };

/** A static file of the page: its bytes and content type; undefined when there is no such file. */
export async function staticFile(
  name: string,
  root = WEB_ROOT,
): Promise<{ body: Uint8Array; type: string } | undefined> {
  if (!SAFE_NAME.test(name)) return undefined;
  const type = TYPES[path.extname(name)];
  if (!type) return undefined;
  const generated = GENERATED[name];
  if (generated !== undefined) return { body: Buffer.from(generated), type };
  try {
    return { body: await readFile(path.join(root, name)), type };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Security headers of every page response: no framing by other sites, no MIME sniffing, and a content
 * security policy that allows the page's own scripts and styles, JPEG frames drawn from blob: URLs and
 * thumbnails, and frames of a MediaMTX player (another origin, only when the operator opens it).
 */
export const PAGE_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: https: http:; " +
    "frame-src http: https:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
};
