/** Gallery IO errors that name the action, the path and the reason. */

import { errnoCode, errnoReason } from "@facetracker/infra";
import { GalleryError } from "./types.ts";

/** GalleryError('IO') naming the action, the path and the reason (e.g. "EACCES: permission denied"). */
export function ioError(action: string, path: string, error: unknown): GalleryError {
  if (error instanceof GalleryError) return error;
  const code = errnoCode(error);
  // Node messages look like "EACCES: permission denied, open '/x'": keep the reason, we name the path ourselves.
  const reason = errnoReason(error);
  const text = code && !reason.startsWith(code) ? `${code}: ${reason}` : reason;
  return new GalleryError("IO", `cannot ${action} ${path}: ${text}`, { cause: error });
}
