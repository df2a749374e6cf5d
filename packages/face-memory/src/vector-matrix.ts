/**
 * Rows of float32 vectors in one contiguous block of a WebAssembly memory, scored against a query by the
 * SIMD kernel (simd-dot-kernel.ts). Layout of the memory: the query (one row), the scores (one float per
 * row), the row list of scoreRows (one int32 per row), then the rows, each `stride` floats (the dimension
 * rounded up to 8, zero-padded). When the capacity is reached, the rows move into a memory twice as large.
 */

import { type DotKernel, dotKernel, strideOf, type WasmMemory, wasmMemory } from "./simd-dot-kernel.ts";

const PAGE_BYTES = 65_536;
/** A wasm32 memory holds at most 4 GiB. */
const MAX_BYTES = 65_536 * PAGE_BYTES;
const INITIAL_CAPACITY = 1024;

interface Layout {
  memory: WasmMemory;
  kernel: DotKernel;
  capacity: number;
  queryAt: number;
  scoresAt: number;
  listAt: number;
  dataAt: number;
  /** The rows (capacity × stride floats). */
  data: Float32Array;
}

export class VectorMatrix {
  readonly dimension: number;
  readonly stride: number;
  #count = 0;
  #layout: Layout;

  constructor(dimension: number, initialCapacity = INITIAL_CAPACITY) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
    }
    this.dimension = dimension;
    this.stride = strideOf(dimension);
    this.#layout = this.#allocate(Math.max(1, Math.floor(initialCapacity)));
  }

  /** Rows held. */
  get size(): number {
    return this.#count;
  }

  get capacity(): number {
    return this.#layout.capacity;
  }

  /** Makes room for `rows` rows at least. */
  reserve(rows: number): void {
    if (rows > this.#layout.capacity) this.#grow(rows);
  }

  /** Appends a row (`dimension` values); returns its index. */
  add(vector: ArrayLike<number>): number {
    if (vector.length !== this.dimension) {
      throw new RangeError(`vector has dimension ${vector.length}, expected ${this.dimension}`);
    }
    if (this.#count === this.#layout.capacity) this.#grow(this.#count * 2);
    const row = this.#count++;
    const at = row * this.stride;
    const data = this.#layout.data;
    data.set(vector, at);
    data.fill(0, at + this.dimension, at + this.stride);
    return row;
  }

  /** Copies row `from` over row `to` (removal moves the last row into the hole, then pops it). */
  copyRow(from: number, to: number): void {
    this.#check(from);
    this.#check(to);
    this.#layout.data.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
  }

  /** Drops the last row. */
  pop(): void {
    if (this.#count > 0) this.#count--;
  }

  clear(): void {
    this.#count = 0;
  }

  /** A copy of row `row`. */
  row(row: number): Float32Array {
    this.#check(row);
    const at = row * this.stride;
    return this.#layout.data.slice(at, at + this.dimension);
  }

  /**
   * The dot product of `query` with every row, in row order: a view valid until the next call or change
   * (copy what is kept).
   */
  scoreAll(query: ArrayLike<number>): Float32Array {
    const l = this.#setQuery(query);
    l.kernel.scan(l.dataAt, l.queryAt, l.scoresAt, this.#count, this.stride);
    return new Float32Array(l.memory.buffer, l.scoresAt, this.#count);
  }

  /**
   * The dot product of `query` with the rows `rows` (indices, ascending reads fastest), in the order given:
   * a view valid until the next call or change.
   */
  scoreRows(query: ArrayLike<number>, rows: ArrayLike<number>): Float32Array {
    const l = this.#setQuery(query);
    const list = new Int32Array(l.memory.buffer, l.listAt, rows.length);
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] as number;
      this.#check(row);
      list[k] = row;
    }
    l.kernel.scanRows(l.dataAt, l.queryAt, l.scoresAt, l.listAt, rows.length, this.stride);
    return new Float32Array(l.memory.buffer, l.scoresAt, rows.length);
  }

  #setQuery(query: ArrayLike<number>): Layout {
    if (query.length !== this.dimension) {
      throw new RangeError(`query has dimension ${query.length}, expected ${this.dimension}`);
    }
    const l = this.#layout;
    const q = new Float32Array(l.memory.buffer, l.queryAt, this.stride);
    q.set(query);
    q.fill(0, this.dimension);
    return l;
  }

  #check(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.#count) {
      throw new RangeError(`row ${row} out of range (${this.#count} rows)`);
    }
  }

  #grow(rows: number): void {
    const next = this.#allocate(Math.max(rows, this.#layout.capacity * 2));
    next.data.set(this.#layout.data.subarray(0, this.#count * this.stride));
    this.#layout = next;
  }

  #allocate(capacity: number): Layout {
    const rowBytes = this.stride * 4;
    const queryAt = 0;
    const scoresAt = queryAt + rowBytes;
    const listAt = scoresAt + capacity * 4;
    const dataAt = listAt + capacity * 4;
    const bytes = dataAt + capacity * rowBytes;
    if (bytes > MAX_BYTES) {
      throw new RangeError(
        `${capacity} vectors of dimension ${this.dimension} need ${(bytes / 2 ** 30).toFixed(1)} GiB: more than the 4 GiB an exact in-memory search holds`,
      );
    }
    const memory = wasmMemory(Math.ceil(bytes / PAGE_BYTES));
    return {
      memory,
      kernel: dotKernel(memory),
      capacity,
      queryAt,
      scoresAt,
      listAt,
      dataAt,
      data: new Float32Array(memory.buffer, dataAt, capacity * this.stride),
    };
  }
}
