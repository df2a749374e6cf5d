/**
 * Minimum-cost matching between rows (tracks) and columns (detections) with a cost limit, the job
 * ByteTrack gives to `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)`.
 *
 * Exact: the Hungarian algorithm (Kuhn-Munkres with potentials, O(r²·c)) on the cost matrix padded
 * with one "stay unmatched" column per row costing `threshold`. A pair costing more than the
 * threshold is never matched, and the result minimises Σ matched cost + threshold × unmatched rows,
 * i.e. it maximises Σ (threshold − cost) over the matched pairs. A pair costing exactly the threshold
 * gains nothing, so whether it is matched is a tie.
 */

import { type Box, iou } from "./box.ts";

export interface Assignment {
  /** [row, column] pairs, ordered by row. */
  matches: [row: number, column: number][];
  unmatchedRows: number[];
  unmatchedColumns: number[];
}

/**
 * @param cost rows × columns matrix; NaN or infinite entries are never matched.
 * @param threshold the highest cost a matched pair may have.
 * @param columns column count, needed when there are no rows (defaults to the first row's length).
 */
export function linearAssignment(
  cost: readonly (readonly number[])[],
  threshold: number,
  columns: number = cost[0]?.length ?? 0,
): Assignment {
  const rows = cost.length;
  for (const row of cost) {
    if (row.length !== columns) throw new RangeError(`cost matrix rows must have ${columns} columns`);
  }
  const unmatched = (): Assignment => ({
    matches: [],
    unmatchedRows: range(rows),
    unmatchedColumns: range(columns),
  });
  if (rows === 0 || columns === 0 || Number.isNaN(threshold) || threshold === -Infinity) return unmatched();

  const limit = threshold === Infinity ? largestFiniteCost(cost) + 1 : threshold;
  // Solve with the smaller side as rows: the padding adds one column per row.
  const transposed = rows > columns;
  const n = transposed ? columns : rows;
  const m = transposed ? rows : columns;
  const forbidden = limit + Math.max(1, Math.abs(limit));
  const padded = new Float64Array(n * (m + n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const c = (transposed ? cost[j]?.[i] : cost[i]?.[j]) as number;
      padded[i * (m + n) + j] = Number.isFinite(c) && c <= limit ? c : forbidden;
    }
    for (let j = m; j < m + n; j++) padded[i * (m + n) + j] = limit;
  }

  const columnOfRow = hungarian(padded, n, m + n);
  const matches: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const j = columnOfRow[i] as number;
    if (j < m && (padded[i * (m + n) + j] as number) <= limit) matches.push(transposed ? [j, i] : [i, j]);
  }
  matches.sort((a, b) => a[0] - b[0]);
  const matchedRows = new Set(matches.map(([r]) => r));
  const matchedColumns = new Set(matches.map(([, c]) => c));
  return {
    matches,
    unmatchedRows: range(rows).filter((r) => !matchedRows.has(r)),
    unmatchedColumns: range(columns).filter((c) => !matchedColumns.has(c)),
  };
}

/** IoU of every box of `a` (rows) with every box of `b` (columns). */
export function iouMatrix(a: readonly Readonly<Box>[], b: readonly Readonly<Box>[]): number[][] {
  return a.map((boxA) => b.map((boxB) => iou(boxA, boxB)));
}

/**
 * Hungarian algorithm with potentials for a rows × cols matrix (rows ≤ cols, finite entries):
 * returns, for each row, the column of a minimum-cost assignment of every row to a distinct column.
 */
function hungarian(cost: Float64Array, rows: number, cols: number): Int32Array {
  // 1-based: index 0 is a virtual row/column used to start each augmenting path.
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const rowOfColumn = new Int32Array(cols + 1); // 0 = free
  const previousColumn = new Int32Array(cols + 1);
  const minSlack = new Float64Array(cols + 1);
  const visited = new Uint8Array(cols + 1);

  for (let row = 1; row <= rows; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    minSlack.fill(Infinity);
    visited.fill(0);
    // Grow a shortest alternating path from `row` until it reaches a free column.
    do {
      visited[column] = 1;
      const i = rowOfColumn[column] as number;
      let delta = Infinity;
      let next = 0;
      for (let j = 1; j <= cols; j++) {
        if (visited[j]) continue;
        const slack = (cost[(i - 1) * cols + (j - 1)] as number) - (u[i] as number) - (v[j] as number);
        if (slack < (minSlack[j] as number)) {
          minSlack[j] = slack;
          previousColumn[j] = column;
        }
        if ((minSlack[j] as number) < delta) {
          delta = minSlack[j] as number;
          next = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (visited[j]) {
          const r = rowOfColumn[j] as number;
          u[r] = (u[r] as number) + delta;
          v[j] = (v[j] as number) - delta;
        } else {
          minSlack[j] = (minSlack[j] as number) - delta;
        }
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    // Flip the path.
    do {
      const previous = previousColumn[column] as number;
      rowOfColumn[column] = rowOfColumn[previous] as number;
      column = previous;
    } while (column !== 0);
  }

  const columnOfRow = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= cols; j++) {
    const r = rowOfColumn[j] as number;
    if (r > 0) columnOfRow[r - 1] = j - 1;
  }
  return columnOfRow;
}

function largestFiniteCost(cost: readonly (readonly number[])[]): number {
  let largest = 0;
  for (const row of cost) for (const c of row) if (Number.isFinite(c) && c > largest) largest = c;
  return largest;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
