/**
 * Exact in-memory cosine index over L2-normalised vectors.
 *
 * Rows live in one contiguous Float32Array (row-major, capacity doubled when full). Each row has a string id
 * and a group (the identity id) used for per-group dedupe. Removal swaps the last row into the hole (O(1)).
 * Search is a brute-force dot product over the flat array (4-way unrolled) with a bounded min-heap of size k.
 */

export interface IndexHit {
  id: string;
  group: string;
  /** Cosine similarity (dot product of unit vectors), clamped to [-1, 1]. */
  score: number;
}

export interface IndexSearchOptions {
  /** Keep only the best row per group (default false). */
  perGroup?: boolean;
  /** Drop rows scoring below this value. */
  minScore?: number;
  /** Leave out the rows of these groups. */
  excludeGroups?: ReadonlySet<string>;
}

const INITIAL_CAPACITY = 64;

/**
 * Returns a unit-length copy of `vector` (computed in float64), or throws a RangeError when the vector has
 * a non-finite component or zero length.
 */
export function normalized(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i] as number;
    if (!Number.isFinite(x)) throw new RangeError(`vector component ${i} is not finite (${x})`);
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new RangeError("vector has zero (or overflowing) length");
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) / norm;
  return out;
}

export class VectorIndex {
  readonly dimension: number;
  #data: Float32Array;
  #capacity: number;
  #count = 0;
  #ids: string[] = [];
  #groups: string[] = [];
  #rowOf = new Map<string, number>();

  constructor(dimension: number, initialCapacity = INITIAL_CAPACITY) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
    }
    this.dimension = dimension;
    this.#capacity = Math.max(1, Math.floor(initialCapacity));
    this.#data = new Float32Array(this.#capacity * dimension);
  }

  /** Number of rows. */
  get size(): number {
    return this.#count;
  }

  /** Rows the matrix can hold before it grows. */
  get capacity(): number {
    return this.#capacity;
  }

  has(id: string): boolean {
    return this.#rowOf.has(id);
  }

  groupOf(id: string): string | undefined {
    const row = this.#rowOf.get(id);
    return row === undefined ? undefined : this.#groups[row];
  }

  /** A copy of the stored (normalised) vector. */
  get(id: string): Float32Array | undefined {
    const row = this.#rowOf.get(id);
    if (row === undefined) return undefined;
    const start = row * this.dimension;
    return this.#data.slice(start, start + this.dimension);
  }

  /** Makes room for `rows` rows at least (one allocation instead of repeated doubling). */
  reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#grow(rows);
  }

  /** Adds a row; the vector is normalised. Throws when the id exists or the vector is invalid. */
  add(id: string, group: string, vector: ArrayLike<number>): void {
    if (vector.length !== this.dimension) {
      throw new RangeError(`vector has dimension ${vector.length}, expected ${this.dimension}`);
    }
    if (this.#rowOf.has(id)) throw new Error(`id ${id} is already in the index`);
    const unit = normalized(vector);
    if (this.#count === this.#capacity) this.#grow();
    const row = this.#count++;
    this.#data.set(unit, row * this.dimension);
    this.#ids[row] = id;
    this.#groups[row] = group;
    this.#rowOf.set(id, row);
  }

  /** Changes the group of a row (no-op returning false when the id is absent). */
  setGroup(id: string, group: string): boolean {
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    this.#groups[row] = group;
    return true;
  }

  /** Removes a row by moving the last row into its place. Returns false when absent. */
  remove(id: string): boolean {
    const row = this.#rowOf.get(id);
    if (row === undefined) return false;
    const last = this.#count - 1;
    if (row !== last) {
      const d = this.dimension;
      this.#data.copyWithin(row * d, last * d, last * d + d);
      const movedId = this.#ids[last] as string;
      this.#ids[row] = movedId;
      this.#groups[row] = this.#groups[last] as string;
      this.#rowOf.set(movedId, row);
    }
    this.#ids.pop();
    this.#groups.pop();
    this.#rowOf.delete(id);
    this.#count = last;
    return true;
  }

  clear(): void {
    this.#count = 0;
    this.#ids = [];
    this.#groups = [];
    this.#rowOf.clear();
  }

  /** Ids in row order (for iteration; the order changes on removal). */
  ids(): readonly string[] {
    return this.#ids;
  }

  /**
   * The `k` best rows by cosine similarity, best first. The query is normalised (RangeError when its
   * dimension is wrong or it cannot be normalised).
   */
  search(query: ArrayLike<number>, k: number, options: IndexSearchOptions = {}): IndexHit[] {
    if (query.length !== this.dimension) {
      throw new RangeError(`query has dimension ${query.length}, expected ${this.dimension}`);
    }
    const q = normalized(query);
    const n = this.#count;
    const limit = Math.min(Math.floor(k), n);
    if (!(limit > 0)) return [];
    const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
    const perGroup = options.perGroup ?? false;
    const excluded = options.excludeGroups !== undefined && options.excludeGroups.size > 0;
    const excludeGroups = options.excludeGroups as ReadonlySet<string>;

    const d = this.dimension;
    const d4 = d - (d % 4);
    const data = this.#data;
    const groups = this.#groups;
    // Min-heap of the current top rows: heapScores[0] is the weakest kept score.
    const heapScores = new Float64Array(limit);
    const heapRows = new Int32Array(limit);
    let heapSize = 0;
    // perGroup: group -> heap position of its (single) entry.
    const groupPos = perGroup ? new Map<string, number>() : undefined;

    const siftDown = (start: number): void => {
      let i = start;
      const score = heapScores[i] as number;
      const row = heapRows[i] as number;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heapSize) break;
        const right = left + 1;
        const child =
          right < heapSize && (heapScores[right] as number) < (heapScores[left] as number) ? right : left;
        if ((heapScores[child] as number) >= score) break;
        heapScores[i] = heapScores[child] as number;
        const childRow = heapRows[child] as number;
        heapRows[i] = childRow;
        if (groupPos) groupPos.set(groups[childRow] as string, i);
        i = child;
      }
      heapScores[i] = score;
      heapRows[i] = row;
      if (groupPos) groupPos.set(groups[row] as string, i);
    };
    const siftUp = (start: number): void => {
      let i = start;
      const score = heapScores[i] as number;
      const row = heapRows[i] as number;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heapScores[parent] as number) <= score) break;
        heapScores[i] = heapScores[parent] as number;
        const parentRow = heapRows[parent] as number;
        heapRows[i] = parentRow;
        if (groupPos) groupPos.set(groups[parentRow] as string, i);
        i = parent;
      }
      heapScores[i] = score;
      heapRows[i] = row;
      if (groupPos) groupPos.set(groups[row] as string, i);
    };

    let threshold = minScore;
    for (let row = 0, base = 0; row < n; row++, base += d) {
      if (excluded && excludeGroups.has(groups[row] as string)) continue;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      let b = base;
      for (; j < d4; j += 4, b += 4) {
        s0 += (data[b] as number) * (q[j] as number);
        s1 += (data[b + 1] as number) * (q[j + 1] as number);
        s2 += (data[b + 2] as number) * (q[j + 2] as number);
        s3 += (data[b + 3] as number) * (q[j + 3] as number);
      }
      for (; j < d; j++, b++) s0 += (data[b] as number) * (q[j] as number);
      const score = s0 + s1 + s2 + s3;
      if (score < threshold || (heapSize === limit && score === threshold)) continue;

      if (groupPos) {
        const group = groups[row] as string;
        const pos = groupPos.get(group);
        if (pos !== undefined) {
          // The group is already kept: keep its best row only (raising a key in a min-heap sifts down).
          if (score > (heapScores[pos] as number)) {
            heapScores[pos] = score;
            heapRows[pos] = row;
            siftDown(pos);
            if (heapSize === limit) threshold = Math.max(minScore, heapScores[0] as number);
          }
          continue;
        }
      }
      if (heapSize < limit) {
        heapScores[heapSize] = score;
        heapRows[heapSize] = row;
        siftUp(heapSize++);
      } else {
        if (groupPos) groupPos.delete(groups[heapRows[0] as number] as string);
        heapScores[0] = score;
        heapRows[0] = row;
        siftDown(0);
      }
      if (heapSize === limit) threshold = Math.max(minScore, heapScores[0] as number);
    }

    const hits: IndexHit[] = [];
    for (let i = 0; i < heapSize; i++) {
      const row = heapRows[i] as number;
      const score = heapScores[i] as number;
      hits.push({
        id: this.#ids[row] as string,
        group: groups[row] as string,
        score: Math.min(1, Math.max(-1, score)),
      });
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits;
  }

  /**
   * The best cosine similarity of `query` to the rows of these ids (undefined when none is indexed). The
   * query is normalised (RangeError when it cannot be).
   */
  bestScore(query: ArrayLike<number>, ids: Iterable<string>): number | undefined {
    if (query.length !== this.dimension) {
      throw new RangeError(`query has dimension ${query.length}, expected ${this.dimension}`);
    }
    const q = normalized(query);
    const d = this.dimension;
    let best: number | undefined;
    for (const id of ids) {
      const row = this.#rowOf.get(id);
      if (row === undefined) continue;
      let score = 0;
      for (let j = 0, b = row * d; j < d; j++, b++) score += (this.#data[b] as number) * (q[j] as number);
      if (best === undefined || score > best) best = score;
    }
    return best === undefined ? undefined : Math.min(1, Math.max(-1, best));
  }

  #grow(minimum = 0): void {
    const capacity = Math.max(this.#capacity * 2, minimum);
    const data = new Float32Array(capacity * this.dimension);
    data.set(this.#data.subarray(0, this.#count * this.dimension));
    this.#data = data;
    this.#capacity = capacity;
  }
}
