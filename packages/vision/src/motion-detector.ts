import type { Box, Point } from "./geometry.ts";
import type { RgbImage } from "./image.ts";

/**
 * Motion on a small grey copy of a camera's frames: where something moved since the background, in frame
 * pixels. Each frame is reduced to a thumbnail about MOTION_WIDTH pixels wide (box averages: camera noise
 * mostly cancels out), compared with a running-average background of the camera, and the pixels that differ
 * by more than `threshold` grey levels form regions (connected, isolated specks removed, smaller than
 * `minArea` frame pixels dropped). A change of the whole picture's brightness (a lighting ramp, a cloud,
 * the camera's auto exposure) is not motion: the median difference is taken out before thresholding, and
 * the background follows it at once. Motion inside a mask is ignored. When most of the picture changed
 * (lights switched, the camera moved) the frame is reported `global` and the background starts again from
 * it. Costs about 0.1 ms a frame for the comparison (14,400 samples) plus the thumbnail.
 */
export interface MotionOptions {
  /** Grey-level difference (0…255) from the background above which a thumbnail pixel moved. */
  threshold: number;
  /** Moving regions smaller than this many frame pixels are noise (a leaf, a compression artefact). */
  minArea: number;
  /** Polygons [[x, y], …] in frame pixels where motion is ignored (a screen, a road, swaying trees). */
  masks: readonly (readonly Point[])[];
  /** How fast the background follows the picture, per frame (0…1); moving pixels follow 4× slower. */
  learningRate: number;
  /** Fraction of the (unmasked) picture above which the change is global, not motion. */
  globalFraction: number;
}

export const DEFAULT_MOTION: MotionOptions = {
  threshold: 20,
  minArea: 400,
  masks: [],
  learningRate: 0.05,
  globalFraction: 0.6,
};

/** Width of the motion thumbnail (its height keeps the frame's aspect). */
export const MOTION_WIDTH = 160;

/** A grey image, one byte per pixel, row-major: the motion thumbnail of a frame. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** Size of the frame it was taken from. */
  frameWidth: number;
  frameHeight: number;
}

export interface MotionResult {
  /** Moving regions, frame pixels, largest first. */
  regions: Box[];
  /** Fraction of the unmasked thumbnail that moved (after removing specks). */
  movingFraction: number;
  /** Most of the picture changed at once: the background was reset to this frame. */
  global: boolean;
  /** First frame (or first after a size change): nothing to compare with yet. */
  first: boolean;
}

/**
 * The motion thumbnail of a frame: about `width` pixels wide, each pixel the mean grey (BT.601 luma) of up to
 * 2×2 samples spread over its cell of the frame (camera noise halves; 4×4 samples cost 4× for little more).
 */
export function motionThumbnail(frame: RgbImage, width = MOTION_WIDTH): GreyImage {
  const w = Math.max(1, Math.min(width, frame.width));
  const h = Math.max(1, Math.round((w * frame.height) / frame.width));
  const out = new Uint8Array(w * h);
  // Sampled from the frame's detection copy when it has one (the same picture, already averaged down).
  const source = frame.detectionCopy ?? frame;
  const { data } = source;
  const fw = source.width;
  const cellW = source.width / w;
  const cellH = source.height / h;
  const sx = Math.max(1, Math.min(2, Math.floor(cellW)));
  const sy = Math.max(1, Math.min(2, Math.floor(cellH)));
  const xs = new Int32Array(w * sx);
  for (let tx = 0; tx < w; tx++) {
    for (let k = 0; k < sx; k++)
      xs[tx * sx + k] = Math.min(fw - 1, Math.floor((tx + (k + 0.5) / sx) * cellW)) * 3;
  }
  const scale = 1 / (256 * sx * sy);
  const acc = new Uint32Array(w);
  for (let ty = 0; ty < h; ty++) {
    acc.fill(0);
    for (let k = 0; k < sy; k++) {
      const y = Math.min(source.height - 1, Math.floor((ty + (k + 0.5) / sy) * cellH));
      const row = y * fw * 3;
      for (let tx = 0; tx < w; tx++) {
        let sum = 0;
        for (let j = 0; j < sx; j++) {
          const o = row + (xs[tx * sx + j] as number);
          // BT.601 luma in integer arithmetic (weights sum to 256).
          sum += 77 * (data[o] as number) + 150 * (data[o + 1] as number) + 29 * (data[o + 2] as number);
        }
        acc[tx] = (acc[tx] as number) + sum;
      }
    }
    for (let tx = 0; tx < w; tx++) out[ty * w + tx] = Math.round((acc[tx] as number) * scale);
  }
  return { width: w, height: h, data: out, frameWidth: frame.width, frameHeight: frame.height };
}

/** Whether point (x, y) is inside the polygon (even-odd rule). */
export function insidePolygon(x: number, y: number, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** One camera's background model and motion detection (feed it the camera's frames in order). */
export class MotionDetector {
  readonly #options: MotionOptions;
  #background: Float32Array | undefined;
  /** The last two thumbnails (frame-to-frame change, see changeIn). */
  #current: GreyImage | undefined;
  #previous: GreyImage | undefined;
  #width = 0;
  #height = 0;
  /** 1 where motion counts (outside every mask), per thumbnail pixel. */
  #active: Uint8Array = new Uint8Array(0);
  #activeCount = 0;
  readonly #histogram = new Uint32Array(511);
  #moving: Uint8Array = new Uint8Array(0);

  constructor(options: Partial<MotionOptions> = {}) {
    this.#options = { ...DEFAULT_MOTION, ...options };
  }

  /** Compares a motion thumbnail with the background, then updates the background with it. */
  update(thumb: GreyImage): MotionResult {
    const { width: w, height: h, data } = thumb;
    const n = w * h;
    this.#previous = this.#current;
    this.#current = thumb;
    if (!this.#background || w !== this.#width || h !== this.#height) {
      this.#width = w;
      this.#height = h;
      this.#background = Float32Array.from(data);
      this.#moving = new Uint8Array(w * h);
      this.#rasterizeMasks(thumb);
      return { regions: [], movingFraction: 0, global: false, first: true };
    }
    const bg = this.#background;
    const active = this.#active;
    const o = this.#options;

    // Brightness change of the whole picture: the median difference (histogram of −255…255).
    const histogram = this.#histogram.fill(0);
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const bin = ((data[i] as number) - (bg[i] as number) + 255.5) | 0;
      const b = Math.max(0, Math.min(bin, 510));
      histogram[b] = (histogram[b] as number) + 1;
    }
    const offset = median(histogram, this.#activeCount) - 255;

    const moving = this.#moving.fill(0);
    let raw = 0;
    const t = o.threshold;
    for (let i = 0; i < n; i++) {
      const d = (data[i] as number) - (bg[i] as number) - offset;
      if ((d > t || d < -t) && active[i]) {
        moving[i] = 1;
        raw++;
      }
    }
    if (this.#activeCount > 0 && raw / this.#activeCount > o.globalFraction) {
      bg.set(data);
      return { regions: [], movingFraction: raw / this.#activeCount, global: true, first: false };
    }
    // A region needs a pixel with two moving neighbours: fewer than three moving pixels is no motion.
    if (raw < 3) {
      this.#learn(data, offset, undefined);
      return { regions: [], movingFraction: 0, global: false, first: false };
    }

    const kept = removeSpecks(moving, w, h);
    const regions: { box: Box; area: number }[] = [];
    let movingCount = 0;
    const sx = thumb.frameWidth / w;
    const sy = thumb.frameHeight / h;
    for (const c of components(dilate(kept, w, h), w, h)) {
      // Count only the pixels that really moved (the dilation joined them).
      let count = 0;
      for (let y = c.y1; y <= c.y2; y++) {
        for (let x = c.x1; x <= c.x2; x++) count += kept[y * w + x] as number;
      }
      movingCount += count;
      const area = count * sx * sy;
      if (area < o.minArea) continue;
      regions.push({
        box: [
          c.x1 * sx,
          c.y1 * sy,
          Math.min(thumb.frameWidth, (c.x2 + 1) * sx),
          Math.min(thumb.frameHeight, (c.y2 + 1) * sy),
        ],
        area,
      });
    }
    regions.sort((a, b) => b.area - a.area);

    this.#learn(data, offset, kept);
    return {
      regions: regions.map((r) => r.box),
      movingFraction: this.#activeCount > 0 ? movingCount / this.#activeCount : 0,
      global: false,
      first: false,
    };
  }

  /**
   * The background follows the picture (still pixels fast, moving ones slowly, so a person who stops is
   * absorbed after a while) and takes the brightness change at once.
   */
  #learn(data: Uint8Array, offset: number, moving: Uint8Array | undefined): void {
    const bg = this.#background as Float32Array;
    const fast = this.#options.learningRate;
    const slow = fast / 4;
    for (let i = 0; i < bg.length; i++) {
      const b = (bg[i] as number) + offset;
      const rate = moving?.[i] ? slow : fast;
      bg[i] = b + rate * ((data[i] as number) - b);
    }
  }

  /**
   * Fraction of the box (frame pixels) that changed by more than `threshold` between the last two frames
   * (not against the background, where a person who came in stays foreground for a while): about 0 for
   * a still face, large for a face that starts moving. 0 before two frames of one size were seen.
   */
  changeIn(box: Box): number {
    const cur = this.#current;
    const prev = this.#previous;
    if (!cur || !prev || prev.width !== cur.width || prev.height !== cur.height) return 0;
    const sx = cur.width / cur.frameWidth;
    const sy = cur.height / cur.frameHeight;
    const x1 = Math.max(0, Math.floor(box[0] * sx));
    const y1 = Math.max(0, Math.floor(box[1] * sy));
    const x2 = Math.min(cur.width, Math.ceil(box[2] * sx));
    const y2 = Math.min(cur.height, Math.ceil(box[3] * sy));
    const t = this.#options.threshold;
    let changed = 0;
    let total = 0;
    for (let y = y1; y < y2; y++) {
      for (let x = x1; x < x2; x++) {
        const i = y * cur.width + x;
        const d = (cur.data[i] as number) - (prev.data[i] as number);
        if (d > t || d < -t) changed++;
        total++;
      }
    }
    return total > 0 ? changed / total : 0;
  }

  /** Forgets the background: the next frame starts again. */
  reset(): void {
    this.#background = undefined;
    this.#current = undefined;
    this.#previous = undefined;
  }

  #rasterizeMasks(thumb: GreyImage): void {
    const { width: w, height: h } = thumb;
    this.#active = new Uint8Array(w * h).fill(1);
    const sx = thumb.frameWidth / w;
    const sy = thumb.frameHeight / h;
    for (const polygon of this.#options.masks) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (insidePolygon((x + 0.5) * sx, (y + 0.5) * sy, polygon)) this.#active[y * w + x] = 0;
        }
      }
    }
    this.#activeCount = this.#active.reduce((s, v) => s + v, 0);
  }
}

/** The median bin of a histogram holding `count` values. */
function median(histogram: Uint32Array, count: number): number {
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] as number;
    if (seen * 2 >= count) return i;
  }
  return (histogram.length - 1) / 2;
}

/** Keeps a moving pixel only when at least 2 of its 8 neighbours moved too (drops isolated noise). */
function removeSpecks(moving: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(moving.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!moving[y * w + x]) continue;
      let neighbours = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if ((dx || dy) && xx >= 0 && xx < w) neighbours += moving[yy * w + xx] as number;
        }
      }
      if (neighbours >= 2) out[y * w + x] = 1;
    }
  }
  return out;
}

/** Grows moving areas by 2 pixels (a moving face's parts become one region). */
function dilate(mask: Uint8Array, w: number, h: number, radius = 2): Uint8Array {
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    let last = -Infinity;
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) last = x;
      if (x - last <= radius) rows[y * w + x] = 1;
    }
    last = Infinity;
    for (let x = w - 1; x >= 0; x--) {
      if (mask[y * w + x]) last = x;
      if (last - x <= radius) rows[y * w + x] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < w; x++) {
    let last = -Infinity;
    for (let y = 0; y < h; y++) {
      if (rows[y * w + x]) last = y;
      if (y - last <= radius) out[y * w + x] = 1;
    }
    last = Infinity;
    for (let y = h - 1; y >= 0; y--) {
      if (rows[y * w + x]) last = y;
      if (last - y <= radius) out[y * w + x] = 1;
    }
  }
  return out;
}

/** Bounding boxes (inclusive thumbnail pixels) of the 8-connected components of a mask. */
function components(
  mask: Uint8Array,
  w: number,
  h: number,
): { x1: number; y1: number; x2: number; y2: number }[] {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const found: { x1: number; y1: number; x2: number; y2: number }[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x1 = w;
    let y1 = h;
    let x2 = -1;
    let y2 = -1;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % w;
      const y = (i - x) / w;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    found.push({ x1, y1, x2, y2 });
  }
  return found;
}
