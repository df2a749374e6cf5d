/** Turns what ffprobe / ffmpeg printed when opening a source failed into a MediaError code and reason. */

import type { MediaErrorCode } from "./errors.ts";
import { isLiveSource, maskCredentials, type SourceKind } from "./source-spec.ts";

export interface Failure {
  code: MediaErrorCode;
  /** Human-readable cause, e.g. "connection refused". */
  reason: string;
}

const RULES: { pattern: RegExp; code: MediaErrorCode | "LIVE_UNREACHABLE"; reason: string }[] = [
  { pattern: /\b(401 Unauthorized|403 Forbidden)\b/i, code: "UNAUTHORIZED", reason: "access refused ($1)" },
  { pattern: /\b404 Not Found\b/i, code: "NOT_FOUND", reason: "not found on the server (404)" },
  { pattern: /No such file or directory/i, code: "NOT_FOUND", reason: "no such file or directory" },
  { pattern: /Permission denied/i, code: "NOT_FOUND", reason: "permission denied" },
  {
    pattern: /moov atom not found/i,
    code: "DECODE",
    reason: "incomplete or damaged file (moov atom not found)",
  },
  { pattern: /Connection refused/i, code: "LIVE_UNREACHABLE", reason: "connection refused" },
  {
    pattern: /Connection timed out|timed out|Operation timed out/i,
    code: "LIVE_UNREACHABLE",
    reason: "timed out",
  },
  {
    pattern: /Network is unreachable|No route to host|Host is unreachable/i,
    code: "LIVE_UNREACHABLE",
    reason: "host unreachable",
  },
  {
    pattern: /Failed to resolve hostname|Name or service not known|Temporary failure in name resolution/i,
    code: "LIVE_UNREACHABLE",
    reason: "unknown host",
  },
  { pattern: /Connection reset by peer/i, code: "LIVE_UNREACHABLE", reason: "connection reset" },
  { pattern: /Server returned (5\d\d[^\r\n]*)/i, code: "LIVE_UNREACHABLE", reason: "server error ($1)" },
  { pattern: /Invalid data found when processing input/i, code: "NOT_VIDEO", reason: "not a media file" },
  { pattern: /No such device/i, code: "NOT_FOUND", reason: "no such device" },
  { pattern: /Device or resource busy/i, code: "LIVE_UNREACHABLE", reason: "device busy" },
];

/** The last non-empty line of `stderr`, credentials masked (ffmpeg prints URLs as given). */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return maskCredentials(lines.at(-1) ?? "");
}

/**
 * Classifies a failure to open `kind` from the error output. Network and camera failures that are not
 * about credentials, a missing resource or bad data are UNREACHABLE; anything unrecognised on a file is
 * FFMPEG_FAILED with ffmpeg's last line as the reason.
 */
export function classifyFailure(kind: SourceKind, stderr: string): Failure {
  for (const rule of RULES) {
    const match = rule.pattern.exec(stderr);
    if (!match) continue;
    const reason = rule.reason.replace("$1", match[1] ?? "");
    if (rule.code !== "LIVE_UNREACHABLE") return { code: rule.code, reason };
    if (isLiveSource(kind)) return { code: "UNREACHABLE", reason };
  }
  const detail = lastLine(stderr) || "no error output";
  return isLiveSource(kind)
    ? { code: "UNREACHABLE", reason: detail }
    : { code: "FFMPEG_FAILED", reason: detail };
}
