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

  /** The text of one progress report. */
  static line(label: string, done: number, total: number | undefined, fps: number, width = 30): string {
    const rate = `${fps.toFixed(1)} fps`;
    if (!total) return `${label}: ${done} frames, ${rate}`;
    const fraction = Math.min(1, done / total);
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const eta = fps > 0 ? formatDuration((total - done) / fps) : "--:--";
    return `${label}: ${bar} ${done}/${total} frames (${Math.round(fraction * 100)} %), ${rate}, ETA ${eta}`;
  }

  update(done: number, total: number | undefined, fps: number): void {
    const now = Date.now();
    if (now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    this.#draw(ProgressReporter.line(this.#label, done, total, fps));
  }

  finish(summary: string): void {
    if (this.#stream.isTTY && this.#drawn) this.#stream.write("\r\x1b[2K");
    this.#stream.write(`${this.#label}: ${summary}\n`);
  }

  #draw(text: string): void {
    this.#drawn = true;
    if (this.#stream.isTTY)
      this.#stream.write(`\r\x1b[2K${text.slice(0, (this.#stream.columns ?? 120) - 1)}`);
    else this.#stream.write(`${text}\n`);
  }
}
