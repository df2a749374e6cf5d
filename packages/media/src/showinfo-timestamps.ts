/**
 * Frame timestamps from ffmpeg's showinfo filter (the last filter of the decode chain, logging to stderr):
 * "config in time_base: 1/12800, ..." gives the time base, then each "n: 12 pts: 6144 ..." line the
 * timestamp of the next frame written to stdout, in order. The integer pts times the time base is exact
 * (pts_time is printed with only 6 significant digits). A filter graph rebuilt mid-stream (new resolution)
 * prints a new config line and restarts n, which the in-order queue does not mind.
 */

const CONFIG_LINE = /\[Parsed_showinfo_\d+ @ [^\]]*\] (?:\[\w+\] )?config in time_base: (\d+)\/(\d+)/;
const FRAME_LINE = /\[Parsed_showinfo_\d+ @ [^\]]*\] (?:\[\w+\] )?n: *\d+ pts: *(-?\d+|NOPTS)\b/;
const KEY_FLAG = / iskey:([01])\b/;

/** What showinfo says of a frame: its timestamp (seconds) and whether it is a key frame, when known. */
export interface FrameInfo {
  streamS: number | undefined;
  key: boolean | undefined;
}

/** True for the lines that showinfo writes (they are not warnings or errors). */
export function isShowinfoLine(line: string): boolean {
  return line.startsWith("[Parsed_showinfo_");
}

export class ShowinfoTimestamps {
  #timeBase: { num: number; den: number } | undefined;
  /** The frames' timestamps (seconds; undefined where none) and key flags, in decode order. */
  #queue: FrameInfo[] = [];
  #received = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  /** Feeds one stderr line (others than showinfo's are ignored). */
  addLine(line: string): void {
    if (!isShowinfoLine(line)) return;
    const frame = FRAME_LINE.exec(line);
    if (frame) {
      const pts = frame[1] === "NOPTS" ? undefined : Number(frame[1]);
      const tb = this.#timeBase;
      const key = KEY_FLAG.exec(line)?.[1];
      this.#queue.push({
        streamS: pts === undefined || tb === undefined ? undefined : (pts * tb.num) / tb.den,
        key: key === undefined ? undefined : key === "1",
      });
      this.#received++;
      this.#notify();
      return;
    }
    const config = CONFIG_LINE.exec(line);
    if (config) {
      const num = Number(config[1]);
      const den = Number(config[2]);
      this.#timeBase = num > 0 && den > 0 ? { num, den } : undefined;
    }
  }

  /** No more lines will come (stderr closed): pending and later next() calls resolve to undefined. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Number of frame lines received so far (the frames ffmpeg has written, or is writing). */
  get received(): number {
    return this.#received;
  }

  /** Number of timestamps received and not taken yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * The timestamp (seconds, in the stream's own timeline) of the next frame, waiting for its line if it has
   * not arrived yet; undefined when the frame has no timestamp or stderr ended first.
   */
  async next(): Promise<number | undefined> {
    return (await this.nextFrame()).streamS;
  }

  /** next(), with whether the frame is a key frame (undefined when not said or stderr ended first). */
  async nextFrame(): Promise<FrameInfo> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    return this.#queue.shift() ?? { streamS: undefined, key: undefined };
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
