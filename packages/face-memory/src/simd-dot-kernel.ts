/**
 * The dot-product kernel of the face memory's exact search: a tiny WebAssembly module (SIMD, f32x4) that
 * scores a query against rows of float32 vectors held in a WebAssembly memory. Plain JavaScript reads
 * 100,000 × 512 floats in 35–50 ms on the 2-core test machine; the SIMD loop does it in about 9 ms.
 * WebAssembly and its SIMD instructions are built into Node (V8): no native dependency, no build step.
 *
 * The module is written here as bytes (the binary format of https://webassembly.github.io/spec/core/binary/),
 * with one helper per instruction, so that each function reads as the loop it is. It imports its memory
 * ("env" "memory") and exports two functions; every pointer is a byte offset into that memory, every row
 * `stride` floats long (a multiple of 8, padded with zeros), and both read 8 floats per step (two v128
 * accumulators):
 *
 *   scan(data, query, out, rows, stride)              out[r] = data[r] · query         for r < rows
 *   scanRows(data, query, out, list, count, stride)   out[k] = data[list[k]] · query   for k < count
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (text: string): number[] => [...uleb(text.length), ...new TextEncoder().encode(text)];

// Instructions.
const get = (local: number) => [0x20, ...uleb(local)];
const set = (local: number) => [0x21, ...uleb(local)];
const tee = (local: number) => [0x22, ...uleb(local)];
const i32Const = (n: number) => [0x41, ...sleb(n)];
const i32Add = [0x6a];
const i32Sub = [0x6b];
const i32Mul = [0x6c];
const i32Shl = [0x74];
const i32Eqz = [0x45];
const i32LtU = [0x49];
const f32Add = [0x92];
/** i32.load, 4-byte aligned, no offset. */
const i32Load = [0x28, 2, 0];
/** f32.store, 4-byte aligned, no offset. */
const f32Store = [0x38, 2, 0];
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const end = [0x0b];
const br = (depth: number) => [0x0c, depth];
const brIf = (depth: number) => [0x0d, depth];
const simd = (op: number) => [0xfd, ...uleb(op)];
/** v128.load at a constant byte offset (alignment hint 16 bytes). */
const v128Load = (offset: number) => [...simd(0x00), 4, ...uleb(offset)];
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f32x4Lane = (lane: number) => [...simd(0x1f), lane];

/**
 * Leaves on the stack the dot product of the row at local `p` (advanced to `rowEnd`) and the query at
 * local `query` (read through local `q`), accumulated in the v128 locals `a0`, `a1`.
 */
function rowDot(l: {
  p: number;
  rowEnd: number;
  q: number;
  query: number;
  a0: number;
  a1: number;
}): number[] {
  const accumulate = (acc: number, offset: number) => [
    ...get(acc),
    ...get(l.p),
    ...v128Load(offset),
    ...get(l.q),
    ...v128Load(offset),
    ...f32x4Mul,
    ...f32x4Add,
    ...set(acc),
  ];
  return [
    ...v128Zero,
    ...set(l.a0),
    ...v128Zero,
    ...set(l.a1),
    ...get(l.query),
    ...set(l.q),
    ...loop,
    ...accumulate(l.a0, 0),
    ...accumulate(l.a1, 16),
    ...get(l.q),
    ...i32Const(32),
    ...i32Add,
    ...set(l.q),
    ...get(l.p),
    ...i32Const(32),
    ...i32Add,
    ...tee(l.p),
    ...get(l.rowEnd),
    ...i32LtU,
    ...brIf(0),
    ...end,
    ...get(l.a0),
    ...get(l.a1),
    ...f32x4Add,
    ...tee(l.a0),
    ...f32x4Lane(0),
    ...get(l.a0),
    ...f32x4Lane(1),
    ...f32Add,
    ...get(l.a0),
    ...f32x4Lane(2),
    ...f32Add,
    ...get(l.a0),
    ...f32x4Lane(3),
    ...f32Add,
  ];
}

/** A function body: its locals (count, type) and code. */
function body(locals: [number, number][], code: number[]): number[] {
  const bytes = [...vector(locals.map(([count, type]) => [...uleb(count), type])), ...code, ...end];
  return [...uleb(bytes.length), ...bytes];
}

// scan(data 0, query 1, out 2, rows 3, stride 4); locals p 5, rowEnd 6, q 7, rowBytes 8, a0 9, a1 10.
const scan = body(
  [
    [4, I32],
    [2, V128],
  ],
  [
    ...get(4),
    ...i32Const(2),
    ...i32Shl,
    ...set(8),
    ...get(0),
    ...set(5),
    ...block,
    ...loop,
    ...get(3),
    ...i32Eqz,
    ...brIf(1),
    ...get(5),
    ...get(8),
    ...i32Add,
    ...set(6),
    ...get(2),
    ...rowDot({ p: 5, rowEnd: 6, q: 7, query: 1, a0: 9, a1: 10 }),
    ...f32Store,
    ...get(2),
    ...i32Const(4),
    ...i32Add,
    ...set(2),
    ...get(3),
    ...i32Const(1),
    ...i32Sub,
    ...set(3),
    ...br(0),
    ...end,
    ...end,
  ],
);

// scanRows(data 0, query 1, out 2, list 3, count 4, stride 5); locals p 6, rowEnd 7, q 8, rowBytes 9,
// a0 10, a1 11.
const scanRows = body(
  [
    [4, I32],
    [2, V128],
  ],
  [
    ...get(5),
    ...i32Const(2),
    ...i32Shl,
    ...set(9),
    ...block,
    ...loop,
    ...get(4),
    ...i32Eqz,
    ...brIf(1),
    // p = data + list[k] * rowBytes; rowEnd = p + rowBytes
    ...get(0),
    ...get(3),
    ...i32Load,
    ...get(9),
    ...i32Mul,
    ...i32Add,
    ...tee(6),
    ...get(9),
    ...i32Add,
    ...set(7),
    ...get(2),
    ...rowDot({ p: 6, rowEnd: 7, q: 8, query: 1, a0: 10, a1: 11 }),
    ...f32Store,
    ...get(2),
    ...i32Const(4),
    ...i32Add,
    ...set(2),
    ...get(3),
    ...i32Const(4),
    ...i32Add,
    ...set(3),
    ...get(4),
    ...i32Const(1),
    ...i32Sub,
    ...set(4),
    ...br(0),
    ...end,
    ...end,
  ],
);

const MODULE_BYTES = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  // Types: (i32 ×5) → () and (i32 ×6) → ().
  ...section(
    1,
    vector([
      [0x60, ...vector(new Array(5).fill([I32])), 0],
      [0x60, ...vector(new Array(6).fill([I32])), 0],
    ]),
  ),
  // Imports: env.memory, at least one page.
  ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)]])),
  // Functions: scan has type 0, scanRows type 1.
  ...section(3, vector([[0], [1]])),
  ...section(
    7,
    vector([
      [...name("scan"), 0x00, 0],
      [...name("scanRows"), 0x00, 1],
    ]),
  ),
  ...section(10, vector([scan, scanRows])),
]);

export interface DotKernel {
  scan(data: number, query: number, out: number, rows: number, stride: number): void;
  scanRows(data: number, query: number, out: number, list: number, count: number, stride: number): void;
}

/** A WebAssembly memory (the global WebAssembly object is V8's; TypeScript's ES lib does not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/** A zeroed memory of `pages` pages of 64 KiB. */
export function wasmMemory(pages: number): WasmMemory {
  return new wasm.Memory({ initial: pages });
}

/** The kernel's functions over `memory` (the module is compiled once per process). */
export function dotKernel(memory: WasmMemory): DotKernel {
  compiled ??= new wasm.Module(MODULE_BYTES);
  const instance = new wasm.Instance(compiled, { env: { memory } });
  return instance.exports as unknown as DotKernel;
}

/** Floats per row in the kernel's layout: the dimension rounded up to a multiple of 8. */
export function strideOf(dimension: number): number {
  return Math.ceil(dimension / 8) * 8;
}
