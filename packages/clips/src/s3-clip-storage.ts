/** ClipStorage on an S3 bucket (AWS S3, MinIO, …) with @aws-sdk/client-s3; URLs are presigned GETs. */

import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  type CreateBucketCommandInput,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { errnoCode, errnoReason, fsyncDirectory, fsyncFile, temporaryPathFor } from "@facetracker/infra";
import { validateKey, validatePrefix } from "./clip-key.ts";
import { type ClipStorage, ClipStorageError, type StoredClipObject } from "./clip-storage.ts";
import { s3Error } from "./s3-errors.ts";

/** Longest validity of a presigned URL allowed by SigV4: 7 days. */
export const MAX_URL_EXPIRATION_S = 604_800;

/** Options of S3ClipStorage. */
export interface S3ClipStorageOptions {
  /** http(s):// URL of the S3 endpoint, e.g. "http://minio:9000". */
  endpoint: string;
  /**
   * The endpoint as the readers of url()'s presigned URLs reach it (e.g. "https://files.example.org", a
   * proxy in front of `endpoint` that passes the Host header on); default `endpoint`. Only presigning
   * uses it: nothing is sent there.
   */
  publicEndpoint?: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** Default "us-east-1" (what MinIO expects unless configured otherwise). */
  region?: string;
  /** Validity of url()'s presigned URLs, seconds (default 3600, at most 604800). */
  urlExpirationS?: number;
  /** Path-style URLs (http://host/bucket/key) as MinIO needs; default true. */
  forcePathStyle?: boolean;
  /** Create the bucket on first use when it does not exist; default true. */
  createBucket?: boolean;
  /** Give up connecting after this many ms (default 3000), so a down endpoint fails fast. */
  connectTimeoutMs?: number;
  /** Give up on a connection idle this many ms mid-request (default 30000). */
  idleTimeoutMs?: number;
  /** Attempts per call by the SDK (default 2; uploads are not retried by the SDK: ClipOutbox retries). */
  maxAttempts?: number;
}

/** The SDK warns through console when a streaming upload fails; errors are reported by us instead. */
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The endpoint URL without credentials, query or trailing slash, for messages. */
function publicEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/$/, "");
}

function checkPositive(name: string, value: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0 && value <= max)) {
    throw new TypeError(`S3ClipStorage: ${name} must be a positive integer (at most ${max}), got ${value}`);
  }
}

/**
 * Clips in an S3 bucket. Uploads stream the file with its length (PUT is atomic: a reader sees the old
 * object or the new one); url() presigns a GET valid `urlExpirationS`. Short connect/idle timeouts and few
 * SDK attempts make a down endpoint fail in seconds with a ClipStorageError whose `unreachable` is true and
 * whose message says "unreachable (connection refused)". Other failures name the endpoint, the bucket and
 * the S3 error code (e.g. InvalidAccessKeyId, NoSuchBucket). Retention: use the bucket's lifecycle rules
 * (e.g. `mc ilm rule add --expire-days 30 site/facetracker-clips`); pruneLocal does not apply here.
 */
export class S3ClipStorage implements ClipStorage {
  /** The endpoint without credentials. */
  readonly endpoint: string;
  /** The endpoint presigned URLs name, without credentials (= endpoint unless publicEndpoint is given). */
  readonly publicEndpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly urlExpirationS: number;
  readonly #client: S3Client;
  /** The client presigned URLs are made with when publicEndpoint differs from endpoint. */
  readonly #presigner: S3Client | undefined;
  readonly #createBucket: boolean;
  #bucketReady: Promise<void> | undefined;

  constructor(options: S3ClipStorageOptions) {
    const { endpoint, bucket, accessKey, secretKey } = options;
    if (typeof endpoint !== "string" || !/^https?:\/\/[^/]/i.test(endpoint)) {
      throw new TypeError(
        `S3ClipStorage: endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`,
      );
    }
    try {
      this.endpoint = publicEndpoint(endpoint);
    } catch {
      throw new TypeError(`S3ClipStorage: endpoint ${JSON.stringify(endpoint)} is not a valid URL`);
    }
    const presignAt = options.publicEndpoint ?? endpoint;
    if (typeof presignAt !== "string" || !/^https?:\/\/[^/]/i.test(presignAt)) {
      throw new TypeError(
        `S3ClipStorage: publicEndpoint must be an http:// or https:// URL, got ${JSON.stringify(presignAt)}`,
      );
    }
    try {
      this.publicEndpoint = publicEndpoint(presignAt);
    } catch {
      throw new TypeError(`S3ClipStorage: publicEndpoint ${JSON.stringify(presignAt)} is not a valid URL`);
    }
    if (typeof bucket !== "string" || !BUCKET_NAME.test(bucket) || bucket.includes("..")) {
      throw new TypeError(
        `S3ClipStorage: bucket ${JSON.stringify(bucket)} is not a valid bucket name ` +
          "(3–63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit)",
      );
    }
    if (typeof accessKey !== "string" || accessKey === "") {
      throw new TypeError(
        `S3ClipStorage: accessKey is empty (endpoint ${this.endpoint}, bucket "${bucket}")`,
      );
    }
    if (typeof secretKey !== "string" || secretKey === "") {
      throw new TypeError(
        `S3ClipStorage: secretKey is empty (endpoint ${this.endpoint}, bucket "${bucket}")`,
      );
    }
    checkPositive("urlExpirationS", options.urlExpirationS, MAX_URL_EXPIRATION_S);
    checkPositive("connectTimeoutMs", options.connectTimeoutMs);
    checkPositive("idleTimeoutMs", options.idleTimeoutMs);
    checkPositive("maxAttempts", options.maxAttempts, 10);
    this.bucket = bucket;
    this.region = options.region || "us-east-1";
    this.urlExpirationS = options.urlExpirationS ?? 3600;
    this.#createBucket = options.createBucket ?? true;
    const forcePathStyle = options.forcePathStyle ?? true;
    const credentials = { accessKeyId: accessKey, secretAccessKey: secretKey };
    // Presigning is offline (no request): a client of its own names the public endpoint in the URLs.
    this.#presigner =
      options.publicEndpoint === undefined
        ? undefined
        : new S3Client({
            endpoint: presignAt,
            region: this.region,
            forcePathStyle,
            credentials,
            logger: quietLogger,
          });
    this.#client = new S3Client({
      endpoint,
      region: this.region,
      forcePathStyle,
      credentials,
      maxAttempts: options.maxAttempts ?? 2,
      // Plain PUTs with Content-Length: no aws-chunked bodies with trailing checksums, which S3-compatible
      // servers (MinIO versions, s3rver) do not all accept.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 3000,
        socketTimeout: options.idleTimeoutMs ?? 30_000,
      },
      logger: quietLogger,
    });
  }

  async put(key: string, file: string, contentType: string): Promise<void> {
    validateKey(key);
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EISDIR" });
      size = info.size;
    } catch (error) {
      throw new ClipStorageError(
        `cannot store ${key} in ${this.describe()}: cannot read ${file}: ${errnoReason(error)}`,
        {
          code: errnoCode(error) ?? "EIO",
          storage: this.describe(),
          key,
          cause: error,
        },
      );
    }
    await this.#ensureBucket();
    const body = createReadStream(file);
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: size,
          ContentType: contentType,
        }),
      );
    } catch (error) {
      throw this.#error(error, "PutObject", key);
    } finally {
      body.destroy();
    }
  }

  async url(key: string): Promise<string> {
    validateKey(key);
    try {
      return await getSignedUrl(
        this.#presigner ?? this.#client,
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        {
          expiresIn: this.urlExpirationS,
        },
      );
    } catch (error) {
      throw this.#error(error, "presign GetObject", key);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    validateKey(key);
    await this.#ensureBucket();
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!response.Body) throw new Error("the response has no body");
      return await response.Body.transformToByteArray();
    } catch (error) {
      throw this.#error(error, "GetObject", key);
    }
  }

  async download(key: string, destPath: string): Promise<void> {
    validateKey(key);
    await this.#ensureBucket();
    const dest = resolve(destPath);
    let body: unknown;
    try {
      body = (await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body;
      if (!(body instanceof Readable)) throw new Error("the response has no readable body");
    } catch (error) {
      throw this.#error(error, "GetObject", key);
    }
    const tmp = temporaryPathFor(dest);
    try {
      await mkdir(dirname(dest), { recursive: true });
      await pipeline(body, createWriteStream(tmp, { flags: "wx" }));
      await fsyncFile(tmp);
      await rename(tmp, dest);
      await fsyncDirectory(dirname(dest));
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => {});
      if (isNetworkError(error)) throw this.#error(error, "GetObject", key);
      throw new ClipStorageError(
        `cannot download ${key} from ${this.describe()} to ${destPath}: ${errnoReason(error)}`,
        {
          code: errnoCode(error) ?? "EIO",
          storage: this.describe(),
          key,
          cause: error,
        },
      );
    }
  }

  async list(prefix = ""): Promise<StoredClipObject[]> {
    validatePrefix(prefix);
    await this.#ensureBucket();
    const objects: StoredClipObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page: ListObjectsV2CommandOutput = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          objects.push({
            key: item.Key,
            size: item.Size ?? 0,
            lastModified: item.LastModified ?? new Date(0),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.#error(error, `ListObjectsV2${prefix ? ` "${prefix}"` : ""}`);
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.#ensureBucket();
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw this.#error(error, "DeleteObject", key);
    }
  }

  describe(): string {
    const links = this.publicEndpoint === this.endpoint ? "" : `, links at ${this.publicEndpoint}`;
    return `S3 ${this.endpoint} bucket "${this.bucket}" (region ${this.region}${links})`;
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    this.#client.destroy();
    this.#presigner?.destroy();
  }

  /** Checks (once; again after a failure) that the bucket exists, creating it when allowed. */
  #ensureBucket(): Promise<void> {
    if (!this.#createBucket) return Promise.resolve();
    if (!this.#bucketReady) {
      this.#bucketReady = this.#checkOrCreateBucket().catch((error: unknown) => {
        this.#bucketReady = undefined;
        throw error;
      });
    }
    return this.#bucketReady;
  }

  async #checkOrCreateBucket(): Promise<void> {
    // A one-key listing rather than HeadBucket: HEAD answers carry no body, so their errors have no S3 code
    // (a 403 would not say InvalidAccessKeyId vs AccessDenied). Both need the same s3:ListBucket permission.
    // ListObjects (v1): s3rver cannot truncate a v2 listing on Node >= 17 (its continuation tokens use DES).
    try {
      await this.#client.send(new ListObjectsCommand({ Bucket: this.bucket, MaxKeys: 1 }));
      return;
    } catch (error) {
      const code = error instanceof Error ? error.name : "";
      if (code !== "NoSuchBucket" && httpStatus(error) !== 404) {
        throw this.#error(error, "ListObjects (bucket check)");
      }
    }
    const input: CreateBucketCommandInput = { Bucket: this.bucket };
    if (this.region !== "us-east-1") {
      input.CreateBucketConfiguration = { LocationConstraint: this.region as BucketLocationConstraint };
    }
    try {
      await this.#client.send(new CreateBucketCommand(input));
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      // Created meanwhile by someone else (another service, `mc mb`): fine.
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
        throw this.#error(error, "CreateBucket");
      }
    }
  }

  #error(error: unknown, operation: string, key?: string): ClipStorageError {
    return s3Error(error, {
      storage: this.describe(),
      endpoint: this.endpoint,
      bucket: this.bucket,
      operation,
      ...(key === undefined ? {} : { key }),
    });
  }
}

/** The HTTP status of an SDK service error (undefined for network errors). */
function httpStatus(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isNetworkError(error: unknown): boolean {
  const code = errnoCode(error);
  return (
    code !== undefined && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/.test(code)
  );
}
