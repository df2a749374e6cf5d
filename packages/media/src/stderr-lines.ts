/** Splits ffmpeg's stderr into lines and keeps the last warnings and errors for messages. */

const MAX_PARTIAL_LINE = 64 * 1024;

/** Accumulates text chunks and hands out complete lines (\n, \r\n or \r terminated). */
export class LineSplitter {
  #partial = "";

  /** The complete lines in `chunk` (with what was left over from the previous chunks). */
  push(chunk: string): string[] {
    const text = this.#partial + chunk;
    const lines = text.split(/\r\n|\n|\r/);
    this.#partial = lines.pop() ?? "";
    if (this.#partial.length > MAX_PARTIAL_LINE) this.#partial = this.#partial.slice(-MAX_PARTIAL_LINE);
    return lines;
  }

  /** The unterminated last line, if any. */
  end(): string[] {
    const rest = this.#partial;
    this.#partial = "";
    return rest === "" ? [] : [rest];
  }
}

/**
 * Warnings ffmpeg prints about the way this package runs it, which say nothing about the source: kept out
 * of error messages.
 */
const BENIGN_WARNINGS: readonly RegExp[] = [
  // swscale converting to yuvj420p, the full-range format of the mjpeg encoder (the range is set explicitly).
  /deprecated pixel format used, make sure you did set range correctly/,
];

/**
 * The last `limit` warning/error lines of an ffmpeg run with `-loglevel level+...` ("[error] ..."), without
 * the level tags; lines without a level tag (ffprobe's plain `-v error` output) are kept too.
 */
export class StderrTail {
  readonly #limit: number;
  #lines: string[] = [];

  constructor(limit = 12) {
    this.#limit = limit;
  }

  add(line: string): void {
    const levelled = /^(?:\[([^\]@]+?) @ 0x[0-9a-f]+\] )?\[(\w+)\] ?(.*)$/.exec(line);
    let text = line;
    if (levelled) {
      const level = levelled[2];
      if (level !== "warning" && level !== "error" && level !== "fatal" && level !== "panic") return;
      text = levelled[1] === undefined ? (levelled[3] ?? "") : `${levelled[1]}: ${levelled[3] ?? ""}`;
    }
    text = text.trim();
    if (text === "" || BENIGN_WARNINGS.some((pattern) => pattern.test(text))) return;
    this.#lines.push(text.length > 400 ? `${text.slice(0, 400)}...` : text);
    if (this.#lines.length > this.#limit) this.#lines.shift();
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** The kept lines, joined with "; " ("" when none). */
  toString(): string {
    return this.#lines.join("; ");
  }
}
