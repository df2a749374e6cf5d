/** Small HTTP helpers of the operators' web page: JSON replies, errors with a status, bounded JSON bodies. */

import type { IncomingMessage, ServerResponse } from "node:http";
import { validateCameraId } from "@facetracker/bus";
import { fromWireJson, toWireJson } from "./wire-json.ts";

/** An error the page shows as is: `status` is the HTTP status, `message` says what went wrong and what to do. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Largest JSON request body accepted, bytes (names, IDs: a few hundred bytes in practice). */
export const MAX_JSON_BODY = 16 * 1024;

/** Sends `value` as JSON with `status` (no caching: the page always wants the current state). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(toWireJson(value));
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/** Sends `{ error: message }` with the status of an HttpError, 500 for anything else. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, status, { error: message });
}

/** Sends bytes with a content type (JPEG thumbnails, static files). */
export function sendBytes(
  res: ServerResponse,
  contentType: string,
  body: Uint8Array,
  cacheControl = "no-cache",
): void {
  res.writeHead(200, {
    "content-type": contentType,
    "content-length": body.byteLength,
    "cache-control": cacheControl,
  });
  res.end(body);
}

/** Reads and parses a JSON object body (at most MAX_JSON_BODY bytes); HttpError 400/413/415 otherwise. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "send the request body as JSON (content-type: application/json)");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, `request body above ${MAX_JSON_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  // snake_case keys (the API's style) or camelCase: both are taken.
  return fromWireJson(value) as Record<string, unknown>;
}

/** Reads an application/x-www-form-urlencoded body (the login form), at most MAX_JSON_BODY bytes. */
export async function readFormBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, `request body above ${MAX_JSON_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** A string field of a JSON body, trimmed; HttpError 400 naming the field when missing or not a string. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string" || value.trim() === "") {
    throw new HttpError(400, `"${name}" is missing: give it as a non-empty string`);
  }
  return value.trim();
}

/** A URL path segment, decoded; HttpError 400 for a malformed escape. */
export function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `malformed URL segment ${JSON.stringify(raw)}`);
  }
}

/** A camera ID as given; HttpError 400 saying what is allowed when it is not one. */
export function cameraIdOf(id: string): string {
  try {
    return validateCameraId(id);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
}
