/** Turns AWS SDK errors into ClipStorageErrors that name the endpoint, the bucket, the key and the S3 code. */

import { ClipStorageError } from "./clip-storage.ts";

/** Network error codes meaning "the endpoint could not be reached", with words for them. */
const UNREACHABLE_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNABORTED: "connection aborted",
};

/** Where a failed call was going, for the error message. */
export interface S3ErrorContext {
  /** The storage's describe() (endpoint without credentials, bucket). */
  storage: string;
  endpoint: string;
  bucket: string;
  /** The S3 operation, e.g. "PutObject". */
  operation: string;
  key?: string;
}

function field(error: unknown, name: string): unknown {
  return error !== null && typeof error === "object" ? (error as Record<string, unknown>)[name] : undefined;
}

/** The network error code of `error`, its cause or (AggregateError from happy eyeballs) its inner errors. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 3 || error === null || typeof error !== "object") return undefined;
  const code = field(error, "code");
  if (typeof code === "string" && code in UNREACHABLE_REASONS) return code;
  const inner = field(error, "errors");
  if (Array.isArray(inner)) {
    for (const item of inner) {
      const found = networkCode(item, depth + 1);
      if (found) return found;
    }
  }
  return networkCode(field(error, "cause"), depth + 1);
}

/** A ClipStorageError for an error thrown by the S3 client (a ClipStorageError is returned as is). */
export function s3Error(error: unknown, context: S3ErrorContext): ClipStorageError {
  if (error instanceof ClipStorageError) return error;
  const what = `S3 ${context.operation}${context.key === undefined ? "" : ` of "${context.key}"`}`;
  const where = `endpoint ${context.endpoint}, bucket "${context.bucket}"`;
  const message = error instanceof Error ? error.message : String(error);
  const keyOption = context.key === undefined ? {} : { key: context.key };

  const metadata = field(error, "$metadata");
  const status = field(metadata, "httpStatusCode");
  const name = error instanceof Error ? error.name : undefined;
  const netCode = networkCode(error);
  if (typeof status !== "number" && (netCode !== undefined || name === "TimeoutError")) {
    const reason = netCode === undefined ? "timed out" : UNREACHABLE_REASONS[netCode];
    return new ClipStorageError(
      `S3 endpoint ${context.endpoint} is unreachable (${reason}): ${what} in bucket "${context.bucket}" ` +
        `not done (${message})`,
      { code: "Unreachable", storage: context.storage, unreachable: true, cause: error, ...keyOption },
    );
  }
  if (typeof status === "number") {
    const rawCode = field(error, "Code") ?? name;
    // Answers without a body (HEAD, some proxies) come back as "Unknown"/"UnknownError": use the status.
    const known = typeof rawCode === "string" && !["", "Error", "Unknown", "UnknownError"].includes(rawCode);
    const code = known ? (rawCode as string) : `HTTP${status}`;
    const text =
      known && message && message !== code && message !== "UnknownError" ? message : statusHint(status);
    return new ClipStorageError(
      `${what} failed (${where}): ${code} (HTTP ${status})${text ? `: ${text}` : ""}`,
      {
        code: code === "NotFound" || (code === "HTTP404" && context.key !== undefined) ? "NoSuchKey" : code,
        storage: context.storage,
        cause: error,
        ...keyOption,
      },
    );
  }
  return new ClipStorageError(
    `${what} failed (${where}): ${name && name !== "Error" ? `${name}: ` : ""}${message}`,
    {
      code: typeof field(error, "code") === "string" ? (field(error, "code") as string) : (name ?? "Error"),
      storage: context.storage,
      cause: error,
      ...keyOption,
    },
  );
}

/** Words for an HTTP status that came without an S3 error body. */
function statusHint(status: number): string {
  if (status === 403) return "access denied (check the access key and secret key, and the bucket's policy)";
  if (status === 404) return "not found";
  if (status === 301 || status === 307) return "the bucket is in another region or needs another endpoint";
  if (status >= 500) return "the S3 server failed";
  return "";
}
