/** Builds the right ClipStorage from the configuration's plain `clips` settings (snake_case, as in YAML). */

import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClipStorage } from "./clip-storage.ts";
import { LocalClipStorage } from "./local-clip-storage.ts";
import { MAX_URL_EXPIRATION_S, S3ClipStorage } from "./s3-clip-storage.ts";

/**
 * Clip storage settings as the YAML configuration holds them.
 * `endpoint`: a local directory (absolute, relative to `baseDir`, or file://) or an http(s):// S3 URL;
 * `bucket`, `access_key` and `secret_key` are required for S3 and refused for a directory.
 */
export interface ClipStorageConfig {
  endpoint: string;
  bucket?: string;
  access_key?: string;
  secret_key?: string;
  /** S3 region, default "us-east-1". */
  region?: string;
  /** S3: the http(s):// endpoint presigned URLs name (what their readers reach); default `endpoint`. */
  public_endpoint?: string;
  /** Validity of presigned URLs, seconds (default 3600). */
  url_expiration_s?: number;
}

/** Options of openClipStorage. */
export interface OpenClipStorageOptions {
  /** Directory a relative local endpoint is resolved against (default: the working directory). */
  baseDir?: string;
}

/** A clip storage configuration that cannot work; the message names the setting and what to write. */
export class ClipStorageConfigError extends Error {
  override readonly name = "ClipStorageConfigError";
}

const KNOWN_SETTINGS = [
  "endpoint",
  "bucket",
  "access_key",
  "secret_key",
  "region",
  "public_endpoint",
  "url_expiration_s",
];

function optionalString(config: Record<string, unknown>, name: string): string | undefined {
  const value = config[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new ClipStorageConfigError(`clip storage: "${name}" must be a string, got ${typeof value}`);
  }
  return value.trim() === "" ? undefined : value;
}

/**
 * The storage `config` describes: S3ClipStorage for an http(s):// endpoint, LocalClipStorage otherwise.
 * Nothing is contacted here (an S3 bucket is checked/created on first use). Throws ClipStorageConfigError
 * for an unknown setting, an S3 endpoint without bucket or keys, keys given for a directory, a
 * "host:port" endpoint without http://, or a bad url_expiration_s.
 */
export function openClipStorage(
  config: ClipStorageConfig,
  options: OpenClipStorageOptions = {},
): ClipStorage {
  if (config === null || typeof config !== "object") {
    throw new ClipStorageConfigError("clip storage: the configuration must be an object with an endpoint");
  }
  const settings = config as unknown as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((name) => !KNOWN_SETTINGS.includes(name));
  if (unknown.length > 0) {
    throw new ClipStorageConfigError(
      `clip storage: unknown setting${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")} ` +
        `(known: ${KNOWN_SETTINGS.join(", ")})`,
    );
  }
  const endpoint = optionalString(settings, "endpoint");
  if (endpoint === undefined) {
    throw new ClipStorageConfigError(
      'clip storage: "endpoint" is required: a local directory or an http(s):// S3 URL (e.g. http://minio:9000)',
    );
  }
  const bucket = optionalString(settings, "bucket");
  const accessKey = optionalString(settings, "access_key");
  const secretKey = optionalString(settings, "secret_key");
  const region = optionalString(settings, "region");
  const publicEndpoint = optionalString(settings, "public_endpoint");
  if (publicEndpoint !== undefined && !/^https?:\/\/[^/]/i.test(publicEndpoint)) {
    throw new ClipStorageConfigError(
      `clip storage: "public_endpoint" must be an http:// or https:// URL (what the readers of presigned ` +
        `URLs reach, e.g. https://files.example.org), got ${JSON.stringify(safeEndpoint(publicEndpoint))}`,
    );
  }
  const expiration = settings.url_expiration_s;
  if (
    expiration !== undefined &&
    !(
      typeof expiration === "number" &&
      Number.isInteger(expiration) &&
      expiration > 0 &&
      expiration <= MAX_URL_EXPIRATION_S
    )
  ) {
    throw new ClipStorageConfigError(
      `clip storage: "url_expiration_s" must be a whole number of seconds from 1 to ${MAX_URL_EXPIRATION_S} (7 days), ` +
        `got ${JSON.stringify(expiration)}`,
    );
  }

  if (/^https?:\/\//i.test(endpoint)) {
    const missing = [
      bucket === undefined ? "bucket" : undefined,
      accessKey === undefined ? "access_key" : undefined,
      secretKey === undefined ? "secret_key" : undefined,
    ].filter((name) => name !== undefined);
    if (missing.length > 0) {
      throw new ClipStorageConfigError(
        `clip storage: the S3 endpoint ${safeEndpoint(endpoint)} needs ${missing.map((n) => `"${n}"`).join(", ")}`,
      );
    }
    try {
      return new S3ClipStorage({
        endpoint,
        bucket: bucket as string,
        accessKey: accessKey as string,
        secretKey: secretKey as string,
        ...(region === undefined ? {} : { region }),
        ...(publicEndpoint === undefined ? {} : { publicEndpoint }),
        ...(expiration === undefined ? {} : { urlExpirationS: expiration as number }),
      });
    } catch (error) {
      throw new ClipStorageConfigError(
        `clip storage: ${(error as Error).message.replace(/^S3ClipStorage: /, "")}`,
        {
          cause: error,
        },
      );
    }
  }

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== "file") {
    throw new ClipStorageConfigError(
      `clip storage: endpoint ${safeEndpoint(endpoint)} has an unsupported scheme "${scheme}://": use an ` +
        "http(s):// S3 URL (e.g. http://minio:9000) or a local directory",
    );
  }
  if (scheme === undefined && /^[A-Za-z0-9.-]+:\d+(\/.*)?$/.test(endpoint)) {
    throw new ClipStorageConfigError(
      `clip storage: endpoint "${endpoint}" looks like host:port; write http://${endpoint} for S3 ` +
        "(or ./ before it for a local directory)",
    );
  }
  const given = [
    bucket === undefined ? undefined : "bucket",
    accessKey === undefined ? undefined : "access_key",
    secretKey === undefined ? undefined : "secret_key",
    publicEndpoint === undefined ? undefined : "public_endpoint",
  ].filter((name) => name !== undefined);
  if (given.length > 0) {
    throw new ClipStorageConfigError(
      `clip storage: endpoint "${endpoint}" is a local directory, but ${given.map((n) => `"${n}"`).join(", ")} ` +
        `${given.length > 1 ? "are" : "is"} for S3: use an http(s):// endpoint, or remove ${given.length > 1 ? "them" : "it"}`,
    );
  }
  let directory: string;
  try {
    directory = scheme === undefined ? endpoint : fileURLToPath(endpoint);
  } catch (error) {
    throw new ClipStorageConfigError(`clip storage: endpoint "${endpoint}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new LocalClipStorage(
    isAbsolute(directory) ? directory : resolve(options.baseDir ?? process.cwd(), directory),
  );
}

/** The endpoint for messages: credentials in the URL are masked. */
function safeEndpoint(endpoint: string): string {
  return endpoint.replace(/\/\/[^/@]*@/, "//***@");
}
