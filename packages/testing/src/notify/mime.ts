/** A minimal MIME reader for tests: headers, nested multipart parts, base64/quoted-printable bodies. */

/** One MIME entity. Header names are lower-case. */
export interface MimePart {
  headers: Map<string, string>;
  /** Raw body text (still transfer-encoded). */
  rawBody: string;
  parts: MimePart[];
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, " ");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Parses a message (or part) recursively. */
export function parseMime(text: string): MimePart {
  const match = /\r?\n\r?\n/.exec(text);
  const headerBlock = match ? text.slice(0, match.index) : text;
  const rawBody = match ? text.slice(match.index + match[0].length) : "";
  const headers = parseHeaders(headerBlock);
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts: MimePart[] = [];
  if (type.toLowerCase().startsWith("multipart/") && boundary) {
    const sections = rawBody.split(`--${boundary}`);
    for (const section of sections.slice(1)) {
      if (section.startsWith("--")) break;
      parts.push(parseMime(section.replace(/^\r?\n/, "")));
    }
  }
  return { headers, rawBody, parts };
}

/** Every leaf part, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leafParts);
}

/** The decoded body of a leaf part. */
export function decodeBody(part: MimePart): Buffer {
  const encoding = (part.headers.get("content-transfer-encoding") ?? "").toLowerCase();
  if (encoding === "base64") return Buffer.from(part.rawBody.replace(/\s+/g, ""), "base64");
  if (encoding === "quoted-printable") {
    const text = part.rawBody.replace(/=\r?\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const hex = text.slice(i + 1, i + 3);
      if (text[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(text[i] as string, "utf8"));
      }
    }
    return Buffer.from(bytes);
  }
  return Buffer.from(part.rawBody, "utf8");
}
