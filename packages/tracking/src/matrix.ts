/**
 * Small dense matrices for the Kalman filter (8×8 state, 4×4 measurement): row-major Float64Array,
 * dimensions passed explicitly. No general-purpose linear algebra, only what the filter needs.
 */

/** a (rows×inner) · b (inner×cols) → rows×cols. */
export function multiply(
  a: Float64Array,
  b: Float64Array,
  rows: number,
  inner: number,
  cols: number,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < inner; k++) {
      const aik = a[i * inner + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < cols; j++) {
        out[i * cols + j] = (out[i * cols + j] as number) + aik * (b[k * cols + j] as number);
      }
    }
  }
  return out;
}

/** a (rows×cols) · bᵀ where b is (outCols×cols) → rows×outCols. */
export function multiplyTransposed(
  a: Float64Array,
  b: Float64Array,
  rows: number,
  cols: number,
  outCols: number,
): Float64Array {
  const out = new Float64Array(rows * outCols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < outCols; j++) {
      let sum = 0;
      for (let k = 0; k < cols; k++) sum += (a[i * cols + k] as number) * (b[j * cols + k] as number);
      out[i * outCols + j] = sum;
    }
  }
  return out;
}

export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j] as number;
  }
  return out;
}

export function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** Square diagonal matrix with the given diagonal. */
export function diagonal(values: readonly number[]): Float64Array {
  const n = values.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = values[i] as number;
  return out;
}

/** The top-left rows×cols block of an n-column matrix. */
export function block(a: Float64Array, n: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(a.subarray(i * n, i * n + cols), i * cols);
  return out;
}

/** Lower-triangular L with a = L·Lᵀ for a symmetric positive definite n×n matrix; throws otherwise. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (l[j * n + k] as number) ** 2;
    if (!(d > 0)) throw new RangeError("matrix is not positive definite");
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Solves (L·Lᵀ)·X = B for X (n×cols), given the Cholesky factor L of an n×n matrix. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, cols: number): Float64Array {
  const x = Float64Array.from(b);
  for (let c = 0; c < cols; c++) {
    // Forward substitution: L·y = b.
    for (let i = 0; i < n; i++) {
      let s = x[i * cols + c] as number;
      for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (x[k * cols + c] as number);
      x[i * cols + c] = s / (l[i * n + i] as number);
    }
    // Back substitution: Lᵀ·x = y.
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * cols + c] as number;
      for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k * cols + c] as number);
      x[i * cols + c] = s / (l[i * n + i] as number);
    }
  }
  return x;
}
