/** Axis-aligned box [x1, y1, x2, y2] in pixels. */
export type Box = [number, number, number, number];
export type Point = [number, number];

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/**
 * Greedy non-maximum suppression: keeps the highest-scoring box and drops every other box overlapping it by
 * more than `threshold` IoU. Returns the indices kept, best first.
 */
export function nms(
  boxes: readonly Box[],
  scores: ArrayLike<number>,
  threshold: number,
  limit = Infinity,
): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => (scores[j] as number) - (scores[i] as number));
  const kept: number[] = [];
  const suppressed = new Uint8Array(boxes.length);
  for (const i of order) {
    if (suppressed[i]) continue;
    kept.push(i);
    if (kept.length >= limit) break;
    const bi = boxes[i] as Box;
    for (const j of order) {
      if (j !== i && !suppressed[j] && iou(bi, boxes[j] as Box) > threshold) suppressed[j] = 1;
    }
  }
  return kept;
}

/**
 * 2-D similarity transform (rotation, uniform scale, translation) as the affine matrix
 * [a, -b, tx; b, a, ty] mapping x' = a·x − b·y + tx, y' = b·x + a·y + ty.
 */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Least-squares similarity taking `src` points onto `dst` points (Umeyama, no reflection). */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = src.length;
  if (n < 2 || dst.length !== n)
    throw new Error(`need at least 2 point pairs of equal count, got ${n}/${dst.length}`);
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i] as Point;
    const d = dst[i] as Point;
    sx += s[0];
    sy += s[1];
    dx += d[0];
    dy += d[1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = (src[i] as Point)[0] - sx;
    const py = (src[i] as Point)[1] - sy;
    const qx = (dst[i] as Point)[0] - dx;
    const qy = (dst[i] as Point)[1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new Error("source points are all identical");
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

export function applySimilarity(m: Similarity, p: Point): Point {
  return [m.a * p[0] - m.b * p[1] + m.tx, m.b * p[0] + m.a * p[1] + m.ty];
}

export function invertSimilarity(m: Similarity): Similarity {
  const d = m.a * m.a + m.b * m.b;
  if (d === 0) throw new Error("singular similarity transform");
  const a = m.a / d;
  const b = -m.b / d;
  return { a, b, tx: -(a * m.tx - b * m.ty), ty: -(b * m.tx + a * m.ty) };
}
