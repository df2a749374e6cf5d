/**
 * The labels of a video's frames as an ASS script (Advanced SubStation Alpha), for ffmpeg's ass filter
 * (libass) to draw over a copy of the video while it encodes it: no frame goes through JavaScript. Each
 * label is drawn as on photos (annotate.ts: the same outline width, font size, colours and places): the box
 * outline, then the label's box in the kind's colour holding the text in white.
 *
 * A frame's labels show from halfway since the previous frame to halfway to the next one, at most one
 * frame interval either side (a gap in the frames, e.g. a damaged part of a file, stays unlabelled), so
 * that every frame of the video gets the labels of the frame analysed at its time. ASS times are in
 * centiseconds: frames less than 20 ms apart (above 50 frames/s) may show a neighbour's labels.
 */

import { type Label, labelMetrics, labelPlace } from "./annotate.ts";

/** "#d73027" → "&H2730D7&" (ASS colours are blue, green, red). */
export function assColor(css: string): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (!match) throw new Error(`a label colour must be #rrggbb, got ${JSON.stringify(css)}`);
  const [, r, g, b] = match as unknown as [string, string, string, string];
  return `&H${b}${g}${r}&`.toUpperCase();
}

/** Seconds → ASS time "H:MM:SS.CC" (centiseconds, rounded; negative times are 0). */
export function assTime(seconds: number): string {
  const cs = Math.max(0, Math.round(seconds * 100));
  const h = Math.floor(cs / 360_000);
  const m = Math.floor(cs / 6000) % 60;
  const s = Math.floor(cs / 100) % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${h}:${two(m)}:${two(s)}.${two(cs % 100)}`;
}

/**
 * A label's text as ASS dialogue text: braces start ASS override blocks and a backslash starts a
 * command, so they become parentheses and a slash; line breaks become spaces.
 */
export function assText(text: string): string {
  return text
    .replace(/[{]/g, "(")
    .replace(/[}]/g, ")")
    .replace(/\\/g, "/")
    .replace(/[\r\n]+/g, " ");
}

/** An ASS drawing number: whole pixels (the boxes are rounded as on photos). */
const px = (n: number) => String(Math.round(n));

export interface OverlayScriptOptions {
  /** Size of the frames the boxes are given in (the analysed frames): the script's coordinate space. */
  width: number;
  height: number;
  /** Nominal frame rate: a frame's labels show at most one frame interval around its time. */
  fps: number;
}

/**
 * Builds the script frame by frame, in time order: header(), then frame() for each frame (it returns the
 * lines of the frame before, whose end time the new frame decides), then end() for the last frame's lines.
 */
export class OverlayScript {
  readonly #width: number;
  readonly #height: number;
  readonly #intervalS: number;
  readonly #stroke: number;
  readonly #font: number;
  #previous: { timeS: number; labels: readonly Label[] } | undefined;
  #startS = 0;

  constructor(options: OverlayScriptOptions) {
    const { width, height, fps } = options;
    if (!(Number.isSafeInteger(width) && width > 0 && Number.isSafeInteger(height) && height > 0)) {
      throw new Error(`overlay size must be positive integers, got ${width}×${height}`);
    }
    if (!(Number.isFinite(fps) && fps > 0)) throw new Error(`overlay fps must be positive, got ${fps}`);
    this.#width = width;
    this.#height = height;
    this.#intervalS = 1 / fps;
    ({ stroke: this.#stroke, font: this.#font } = labelMetrics(width, height));
  }

  /**
   * The script's header: its coordinate space is the analysed frame size (libass scales it to the video's
   * size), one style for the drawings and one for the labels' text (DejaVu Sans, as on photos).
   */
  header(): string {
    return [
      "[Script Info]",
      "; Face labels burnt into an annotated copy by ffmpeg's ass filter (FaceTracker)",
      "ScriptType: v4.00+",
      `PlayResX: ${this.#width}`,
      `PlayResY: ${this.#height}`,
      "WrapStyle: 2",
      "ScaledBorderAndShadow: yes",
      "",
      "[V4+ Styles]",
      "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
      "Style: Box,DejaVu Sans,20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1",
      `Style: Text,DejaVu Sans,${this.#textSize()},&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1`,
      "",
      "[Events]",
      "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
      "",
    ].join("\n");
  }

  /**
   * The labels of the frame at `timeS` (seconds on the video's timeline, increasing). Returns the script
   * lines of the previous frame (empty when it had no label).
   */
  frame(timeS: number, labels: readonly Label[]): string {
    const previous = this.#previous;
    let lines = "";
    if (previous) {
      if (!(timeS > previous.timeS)) {
        throw new Error(`overlay frames must come in time order: ${timeS} s after ${previous.timeS} s`);
      }
      const endS = Math.min((previous.timeS + timeS) / 2, previous.timeS + this.#intervalS);
      lines = this.#events(this.#startS, endS, previous.labels);
      this.#startS = Math.max(endS, timeS - this.#intervalS);
    } else {
      this.#startS = Math.max(0, timeS - this.#intervalS / 2);
    }
    this.#previous = { timeS, labels };
    return lines;
  }

  /** The last frame's lines (it shows one frame interval after its time at most: half of it). */
  end(): string {
    const previous = this.#previous;
    this.#previous = undefined;
    return previous ? this.#events(this.#startS, previous.timeS + this.#intervalS / 2, previous.labels) : "";
  }

  /**
   * ASS font size of the labels' text: libass sizes a font by its line height (ascender + descender,
   * 1.164 em for DejaVu Sans), SVG by its em; this makes the text as large as on photos.
   */
  #textSize(): number {
    return Math.round(this.#font * 1.164);
  }

  #events(startS: number, endS: number, labels: readonly Label[]): string {
    if (labels.length === 0 || Math.round(endS * 100) <= Math.round(startS * 100)) return "";
    const start = assTime(startS);
    const end = assTime(endS);
    const s = this.#stroke;
    const font = this.#font;
    // The text's line box (libass sizes a font by its line height) centred in the label's box.
    const textTop = Math.round((font + 6 - this.#textSize()) / 2);
    let out = "";
    for (const { box, text, color } of labels) {
      const [x1, y1, x2, y2] = box.map(Math.round) as [number, number, number, number];
      const colour = assColor(color);
      // The outline straddles the box edge as an SVG stroke does: outer contour clockwise, inner one
      // counter-clockwise (a hole under the non-zero fill rule).
      const o = s / 2;
      const outline =
        `m ${px(x1 - o)} ${px(y1 - o)} l ${px(x2 + o)} ${px(y1 - o)} ${px(x2 + o)} ${px(y2 + o)} ${px(x1 - o)} ${px(y2 + o)} ` +
        `m ${px(x1 + o)} ${px(y1 + o)} l ${px(x1 + o)} ${px(y2 - o)} ${px(x2 - o)} ${px(y2 - o)} ${px(x2 - o)} ${px(y1 + o)}`;
      // Inside the frame: moved left at the right edge, below or inside the box at the top edge.
      const { x, y, width: tw, height: th } = labelPlace(box, text, font, this.#width, this.#height);
      const tag = `m ${x} ${y} l ${x + tw} ${y} ${x + tw} ${y + th} ${x} ${y + th}`;
      out +=
        `Dialogue: 0,${start},${end},Box,,0,0,0,,{\\an7\\pos(0,0)\\1c${colour}\\p1}${outline}\n` +
        `Dialogue: 1,${start},${end},Box,,0,0,0,,{\\an7\\pos(0,0)\\1c${colour}\\p1}${tag}\n` +
        `Dialogue: 2,${start},${end},Text,,0,0,0,,{\\an7\\pos(${x + 4},${y + textTop})}${assText(text)}\n`;
    }
    return out;
  }
}
