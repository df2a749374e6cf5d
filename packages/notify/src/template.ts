/**
 * Notification templates: text with `${name}` placeholders, checked when compiled (so a wrong
 * configuration fails at start) and filled in when rendered. A line that uses a placeholder without a
 * value (e.g. `${url}` for an alert without a clip) is left out of the result.
 */

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${name}` in plain strings is the template syntax

/** Every placeholder a template may use. */
export const templatePlaceholders = [
  "time",
  "camera",
  "identity",
  "similarity",
  "track_id",
  "url",
  "count",
  "identities",
  "closest",
  "clip_url",
  "clip_key",
] as const;

/** A placeholder name. */
export type TemplatePlaceholder = (typeof templatePlaceholders)[number];

/** Values to fill in; a missing or empty value drops the lines that use it. */
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

/** A checked template. */
export interface CompiledTemplate {
  readonly source: string;
  /** The placeholders it uses, in order of first use. */
  readonly placeholders: readonly TemplatePlaceholder[];
  render(values: TemplateValues): string;
}

/** Title of a single-alert message. */
export const DEFAULT_TITLE_TEMPLATE = "FaceTracker: ${identity} on ${camera}";

/** Markdown body of a single-alert message. */
export const DEFAULT_BODY_TEMPLATE = [
  "**${identity}** seen on **${camera}**",
  "",
  "- Time: ${time}",
  "- Similarity: ${similarity}",
  "- Closest: ${closest}",
  "- Track: ${track_id}",
  "- Clip: [${url}](${url})",
  "- Clip: ${clip_key} (open it on the FaceTracker page)",
].join("\n");

/** Title of a grouped message (several alerts of one camera within the group window). */
export const DEFAULT_GROUP_TITLE_TEMPLATE = "FaceTracker: ${count} faces on ${camera}";

/** Markdown body of a grouped message. */
export const DEFAULT_GROUP_BODY_TEMPLATE = [
  "**${count} faces** seen on **${camera}**: ${identities}",
  "",
  "- Time: ${time}",
  "- Best similarity: ${similarity}",
  "- Closest: ${closest}",
  "- Tracks: ${track_id}",
  "- Clip: [${url}](${url})",
  "- Clip: ${clip_key} (open it on the FaceTracker page)",
].join("\n");

const KNOWN = new Set<string>(templatePlaceholders);
const PLACEHOLDER = /\$\{([^}]*)\}/g;

type Piece = string | TemplatePlaceholder;

/**
 * Checks `text` and returns a renderer. Throws an Error naming the template (`label`, for messages)
 * and the bad placeholder when `text` uses an unknown `${name}` or has an unclosed `${`.
 */
export function compileTemplate(text: string, label = "template"): CompiledTemplate {
  if (typeof text !== "string") throw new Error(`${label} must be a string, got ${typeof text}`);
  const lines: Piece[][] = text.split("\n").map((line, index) => {
    const pieces: Piece[] = [];
    let last = 0;
    for (const match of line.matchAll(PLACEHOLDER)) {
      const name = (match[1] ?? "").trim();
      if (!KNOWN.has(name)) {
        throw new Error(
          `${label}: unknown placeholder \${${match[1]}} on line ${index + 1}; known placeholders: ` +
            templatePlaceholders.map((p) => `\${${p}}`).join(", "),
        );
      }
      pieces.push(line.slice(last, match.index), name as TemplatePlaceholder);
      last = match.index + match[0].length;
    }
    const rest = line.slice(last);
    if (rest.includes("${")) {
      throw new Error(
        `${label}: unclosed placeholder "${rest.slice(rest.indexOf("${"))}" on line ${index + 1}`,
      );
    }
    pieces.push(rest);
    return pieces;
  });
  const placeholders = [
    ...new Set(lines.flatMap((pieces) => pieces.filter((_, i) => i % 2 === 1) as TemplatePlaceholder[])),
  ];
  return {
    source: text,
    placeholders,
    render(values: TemplateValues): string {
      const out: string[] = [];
      for (const pieces of lines) {
        let line = "";
        let missing = false;
        pieces.forEach((piece, i) => {
          if (i % 2 === 0) {
            line += piece;
            return;
          }
          const value = values[piece as TemplatePlaceholder];
          if (value === undefined || value === "") missing = true;
          else line += value;
        });
        if (!missing) out.push(line);
      }
      return out.join("\n");
    },
  };
}
