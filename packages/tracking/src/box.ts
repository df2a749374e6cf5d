/** Axis-aligned box in pixels: [x1, y1, x2, y2] with x2 > x1 and y2 > y1 for a valid box. */
export type Box = [x1: number, y1: number, x2: number, y2: number];

/** Whether all four coordinates are finite and the box has a positive width and height. */
export function isValidBox(box: readonly number[]): boolean {
  const [x1, y1, x2, y2] = box;
  return (
    box.length === 4 &&
    Number.isFinite(x1) &&
    Number.isFinite(y1) &&
    Number.isFinite(x2) &&
    Number.isFinite(y2) &&
    (x2 as number) > (x1 as number) &&
    (y2 as number) > (y1 as number)
  );
}

export function boxArea(box: Readonly<Box>): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

/** Intersection over union; 0 when the union is empty. */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  const union = boxArea(a) + boxArea(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Box to the Kalman measurement space (center x, center y, aspect ratio w/h, height). */
export function boxToXyah(box: Readonly<Box>): Float64Array {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  return Float64Array.of(box[0] + w / 2, box[1] + h / 2, w / h, h);
}

/** Inverse of {@link boxToXyah}: reads the first four entries (a Kalman mean works as is). */
export function xyahToBox(xyah: ArrayLike<number>): Box {
  const cx = xyah[0] as number;
  const cy = xyah[1] as number;
  const h = xyah[3] as number;
  const w = (xyah[2] as number) * h;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}
