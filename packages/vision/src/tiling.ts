import { type Box, boxArea } from "./geometry.ts";

/**
 * Tiled detection for high-resolution frames. The detector sees a fixed 320×240 input, so a face under
 * ~60 px in a 1080p frame shrinks below what it can find. Overlapping tiles of about 640×480 (4:3, the
 * detector's aspect, so nothing is stretched) keep small faces at least half their size; one extra pass over
 * the whole region keeps large faces that no tile holds whole. Candidates of every pass go through one
 * global NMS.
 */
export interface TilingOptions {
  tileWidth: number;
  tileHeight: number;
  /** Fraction of a tile shared with its neighbour (0…0.5). */
  overlap: number;
}

export const DEFAULT_TILING: TilingOptions = { tileWidth: 640, tileHeight: 480, overlap: 0.25 };

/** Regions larger than this (either side) are tiled when tiling is "auto". */
export const AUTO_TILING_ABOVE = { width: 1280, height: 720 } as const;

export function shouldTile(roi: Box): boolean {
  return roi[2] - roi[0] > AUTO_TILING_ABOVE.width || roi[3] - roi[1] > AUTO_TILING_ABOVE.height;
}

function starts(from: number, length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [from];
  const step = tile * (1 - overlap);
  const count = Math.ceil((length - tile) / step) + 1;
  const stride = (length - tile) / (count - 1);
  return Array.from({ length: count }, (_, i) => from + Math.round(i * stride));
}

/** Tiles covering `roi` (evenly spread, at least `overlap` shared), not including the whole-region pass. */
export function planTiles(roi: Box, options: TilingOptions = DEFAULT_TILING): Box[] {
  const w = roi[2] - roi[0];
  const h = roi[3] - roi[1];
  const tw = Math.min(options.tileWidth, w);
  const th = Math.min(options.tileHeight, h);
  const tiles: Box[] = [];
  for (const y of starts(roi[1], h, th, options.overlap)) {
    for (const x of starts(roi[0], w, tw, options.overlap)) tiles.push([x, y, x + tw, y + th]);
  }
  return tiles;
}

/**
 * A box from a tile touching one of the tile's inner edges (an edge that is not the region's border) is
 * probably a face cut in two; its neighbour tile or the whole-region pass holds it whole.
 */
export function touchesInnerEdge(box: Box, tile: Box, roi: Box, margin = 2): boolean {
  return (
    (tile[0] > roi[0] && box[0] <= tile[0] + margin) ||
    (tile[1] > roi[1] && box[1] <= tile[1] + margin) ||
    (tile[2] < roi[2] && box[2] >= tile[2] - margin) ||
    (tile[3] < roi[3] && box[3] >= tile[3] - margin)
  );
}

/** Intersection area over the smaller box's area. */
export function intersectionOverSmaller(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.max(1e-9, Math.min(boxArea(a), boxArea(b)));
}

/**
 * Tiles are for small faces. A tile detection is kept only when it is small for the tile (under 40 % of
 * its height: a larger one is a fragment of a face the tile cuts), is not cut by an inner tile edge, and
 * does not lie mostly inside a face the whole-region pass found (a fragment of a large face).
 */
export function keepTileDetection(box: Box, tile: Box, roi: Box, whole: readonly { box: Box }[]): boolean {
  if (box[3] - box[1] > 0.4 * (tile[3] - tile[1]) || box[2] - box[0] > 0.4 * (tile[2] - tile[0]))
    return false;
  if (touchesInnerEdge(box, tile, roi)) return false;
  return !whole.some((d) => intersectionOverSmaller(box, d.box) > 0.5);
}
