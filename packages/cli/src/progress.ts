/**
 * Progress of long work on stderr: a bar redrawn in place on a terminal (frames, fps, ETA), plain lines
 * every few seconds otherwise (logs, CI).
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #intervalMs: number;
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string, stream: ProgressStream = process.stderr, intervalMs?: number) {
    this.#label = label;
    this.#stream = stream;
    this.#intervalMs = intervalMs ?? (stream.isTTY ? 100 : 2000);
  }

  /**
   * The text of one progress report, at most `columns` characters: the bar narrows (to 10) first, then
   * the label is shortened ("…" and its end), then the bar goes; the figures always stay whole.
   */
  static line(
    label: string,
    done: number,
    total: number | undefined,
    fps: number,
    width = 30,
    columns = Number.POSITIVE_INFINITY,
  ): string {
    const rate = `${fps.toFixed(1)} fps`;
    const fraction = total ? Math.min(1, done / total) : 0;
    const eta = total && fps > 0 ? formatDuration((total - done) / fps) : "--:--";
    const figures = total
      ? `${done}/${total} frames (${Math.round(fraction * 100)} %), ${rate}, ETA ${eta}`
      : `${done} frames, ${rate}`;
    const bar = (w: number) => {
      const filled = Math.round(fraction * w);
      return w > 0 && total ? `[${"#".repeat(filled)}${"-".repeat(w - filled)}] ` : "";
    };
    const compose = (name: string, w: number) => `${name}: ${bar(w)}${figures}`;
    let text = compose(label, width);
    if (text.length <= columns) return text;
    const narrow = Math.max(10, width - (text.length - columns));
    text = compose(label, Math.min(width, narrow));
    if (text.length <= columns) return text;
    for (const w of [Math.min(width, 10), 0]) {
      const room = columns - compose("", w).length;
      if (room >= 4) {
        const name = label.length <= room ? label : `…${label.slice(label.length - room + 1)}`;
        return compose(name, w);
      }
    }
    return figures.slice(0, columns);
  }

  update(done: number, total: number | undefined, fps: number): void {
    const now = Date.now();
    if (now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    // One line of the terminal (never its last column), 80 columns where the width is not known.
    const columns = (this.#stream.isTTY ? (this.#stream.columns ?? 80) : 80) - 1;
    this.#draw(ProgressReporter.line(this.#label, done, total, fps, 30, columns));
  }

  finish(summary: string): void {
    if (this.#stream.isTTY && this.#drawn) this.#stream.write("\r\x1b[2K");
    this.#stream.write(`${this.#label}: ${summary}\n`);
  }

  #draw(text: string): void {
    this.#drawn = true;
    if (this.#stream.isTTY) this.#stream.write(`\r\x1b[2K${text}`);
    else this.#stream.write(`${text}\n`);
  }
}
