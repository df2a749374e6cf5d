/**
 * The decoding trouble ffmpeg reports on stderr while it decodes a file (`-loglevel level+info`), each
 * placed by the number of frames written before it: a packet that failed to decode (its frame is lost), a
 * frame decoded with errors (the decoder concealed the damaged parts), or another error from the demuxer
 * or decoder (a partial file, an invalid NAL unit …) that says the file is damaged without naming a frame.
 */

import { isShowinfoLine } from "./showinfo-timestamps.ts";

export type DecodeTroubleKind = "failed" | "corrupt" | "error";

export interface DecodeTrouble {
  kind: DecodeTroubleKind;
  /** Frames written before the line came: a "corrupt" frame is the next one, frame `beforeFrame`. */
  beforeFrame: number;
}

/** A packet that did not decode: "Error while decoding stream #0:0: …" (ffmpeg ≤ 6), "Decoding error: …" (7). */
const FAILED = /Error while decoding stream #\d+:\d+|\bDecoding error:/i;
/** A frame the decoder flagged after concealing errors ("corrupt decoded frame in stream 0"). */
const CORRUPT = /corrupt decoded frame/i;
/** Warnings that speak of damaged input ("corrupt input packet", "Packet corrupt", "partial file" …). */
const DAMAGE_WARNING = /corrupt|partial file|prematurely|truncat/i;
const LEVEL = /^(?:\[[^\]]+?\] )?\[(\w+)\] /;

/** The kind of trouble a stderr line of `-loglevel level+info` reports, or undefined for other lines. */
export function decodeTroubleKind(line: string): DecodeTroubleKind | undefined {
  if (isShowinfoLine(line)) return undefined;
  const level = LEVEL.exec(line)?.[1];
  const severe = level === "error" || level === "fatal" || level === "panic";
  if (!severe && level !== "warning") return undefined;
  if (FAILED.test(line)) return "failed";
  if (CORRUPT.test(line)) return "corrupt";
  return severe || DAMAGE_WARNING.test(line) ? "error" : undefined;
}

/** At most this many troubles are kept with their place (a wrecked file can print millions of lines). */
const MAX_KEPT = 100_000;

/** The troubles of one ffmpeg run, in the order they came. */
export class DecodeTroubleLog {
  readonly #troubles: DecodeTrouble[] = [];
  #count = 0;

  /** Feeds one stderr line, `framesSoFar` frame lines (showinfo) having come before it. */
  addLine(line: string, framesSoFar: number): void {
    const kind = decodeTroubleKind(line);
    if (kind === undefined) return;
    this.#count++;
    if (this.#troubles.length < MAX_KEPT) this.#troubles.push({ kind, beforeFrame: framesSoFar });
  }

  /** The troubles kept (see MAX_KEPT), in order. */
  get troubles(): readonly DecodeTrouble[] {
    return this.#troubles;
  }

  /** Every trouble line seen. */
  get count(): number {
    return this.#count;
  }
}
