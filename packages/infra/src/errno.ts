/** Reading Node's system errors: the errno code and the reason without the path Node appends. */

/** The errno code ("ENOENT", …) of a Node error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** A Node fs error's reason without the path Node appends ("EACCES: permission denied"). */
export function errnoReason(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  return raw.replace(/,\s*\w+\s+'[^']*'(?:\s*->\s*'[^']*')?$/, "");
}
