/** Safe, unique file names for notification attachments (used for temp files and multipart parts). */

import type { NotificationAttachment } from "./notification.ts";

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "video/mp4": ".mp4",
  "text/plain": ".txt",
  "application/json": ".json",
  "application/pdf": ".pdf",
};

/** The usual file extension for a MIME type (with the dot), or "" when unknown. */
export function extensionForMimeType(mimeType: string): string {
  return EXTENSIONS[mimeType.split(";")[0]?.trim().toLowerCase() ?? ""] ?? "";
}

function sanitize(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[.]+/, "")
    .slice(0, 100);
  return cleaned || "attachment";
}

/**
 * One file name per attachment, in order: path parts and unusual characters removed, the MIME type's
 * extension appended when the name lacks it (Apprise guesses the type from the extension), and
 * duplicates made unique with a `-2`, `-3`… suffix.
 */
export function attachmentFileNames(attachments: readonly NotificationAttachment[]): string[] {
  const used = new Set<string>();
  return attachments.map((attachment) => {
    let name = sanitize(attachment.name);
    const extension = extensionForMimeType(attachment.mimeType);
    if (
      extension &&
      !name.toLowerCase().endsWith(extension) &&
      !(extension === ".jpg" && /\.jpeg$/i.test(name))
    ) {
      name += extension;
    }
    const dot = name.lastIndexOf(".");
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : "";
    let unique = name;
    for (let n = 2; used.has(unique.toLowerCase()); n++) unique = `${stem}-${n}${ext}`;
    used.add(unique.toLowerCase());
    return unique;
  });
}
