/**
 * A DuckDB data chunk filled from JS column buffers, for the appenders of the staging tables.
 *
 * @duckdb/node-api's vectors (`DuckDBVector.setItem`, `flush`) keep a JS array per column and a
 * validity mask of BigInts (a BigInt shift per value set, a null slot allocating), and write every
 * VARCHAR with its own native call. Here each column is a plain typed array (integers as two
 * 32-bit halves: no BigInt per value), nulls a byte per row, and a chunk is written to native memory
 * once, when it is full: fixed-width columns and validity with one copy each, and a text column
 * whose rows all hold the same string (exchange, instance, direction, kind, a run of one stream or
 * connection: the stager puts a chunk's raw rows in block order) as one constant vector, one
 * native call for the whole column. Rows go in through `set*`, the chunk out through `finish(n)`.
 *
 * Why not `vector_get_data`'s view: in this binding it is a copy, and writes through it do not
 * reach the vector (bench/seal-feed.ts); `copy_data_to_vector` does.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';

/** Rows of a chunk: DuckDB's vector size. */
export const NATIVE_CHUNK_ROWS = duckdb.vector_size();
const TWO_32 = 2 ** 32;

type Column =
  | { kind: 'fixed'; bytes: Uint8Array; width: number; valid: Uint8Array; nulls: boolean }
  | { kind: 'text'; values: (string | null)[]; valid: Uint8Array; nulls: boolean; constant: string | null; constantValue: duckdb.Value | null }
  | { kind: 'blob'; values: (Uint8Array | null)[]; valid: Uint8Array; nulls: boolean };

function widthOf(type: DuckDBType): number {
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.DOUBLE:
      return 8;
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.DATE:
      return 4;
    case DuckDBTypeId.BOOLEAN:
      return 1;
    default:
      throw new Error(`NativeChunk: no fixed width for ${type.toString()}`);
  }
}

export class NativeChunk {
  private own: DuckDBDataChunk | null = null;
  private readonly cols: Column[];
  /** Views of each fixed column's bytes (only the one its type uses is read). */
  private readonly u32: (Uint32Array | null)[];
  private readonly i32: (Int32Array | null)[];
  private readonly f64: (Float64Array | null)[];
  private readonly mask = new Uint8Array(Math.ceil(NATIVE_CHUNK_ROWS / 64) * 8);

  constructor(private readonly types: readonly DuckDBType[]) {
    const n = NATIVE_CHUNK_ROWS;
    this.cols = types.map((t): Column => {
      const valid = new Uint8Array(n).fill(1);
      if (t.typeId === DuckDBTypeId.VARCHAR) return { kind: 'text', values: new Array<string | null>(n).fill(null), valid, nulls: false, constant: null, constantValue: null };
      if (t.typeId === DuckDBTypeId.BLOB) return { kind: 'blob', values: new Array<Uint8Array | null>(n).fill(null), valid, nulls: false };
      const width = widthOf(t);
      return { kind: 'fixed', bytes: new Uint8Array(n * width), width, valid, nulls: false };
    });
    this.u32 = this.cols.map((c) => (c.kind === 'fixed' && c.width >= 4 ? new Uint32Array(c.bytes.buffer) : null));
    this.i32 = this.cols.map((c) => (c.kind === 'fixed' && c.width >= 4 ? new Int32Array(c.bytes.buffer) : null));
    this.f64 = this.cols.map((c) => (c.kind === 'fixed' && c.width === 8 ? new Float64Array(c.bytes.buffer) : null));
  }

  private isValid(c: number, i: number, valid: boolean): void {
    const col = this.cols[c];
    col.valid[i] = valid ? 1 : 0;
    if (!valid) col.nulls = true;
  }

  /** A BIGINT from a safe integer or a bigint (null: NULL). */
  setBigInt(c: number, i: number, v: number | bigint | null): void {
    if (v === null) return this.isValid(c, i, false);
    const u = this.u32[c]!;
    if (typeof v === 'bigint') {
      u[2 * i] = Number(BigInt.asUintN(32, v));
      this.i32[c]![2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
    } else {
      const hi = Math.floor(v / TWO_32);
      u[2 * i] = v - hi * TWO_32;
      this.i32[c]![2 * i + 1] = hi;
    }
    this.isValid(c, i, true);
  }

  /** An INTEGER, or a DATE as days since the epoch (null: NULL). */
  setInt(c: number, i: number, v: number | null): void {
    if (v === null) return this.isValid(c, i, false);
    this.i32[c]![i] = v;
    this.isValid(c, i, true);
  }

  setDouble(c: number, i: number, v: number | null): void {
    if (v === null) return this.isValid(c, i, false);
    this.f64[c]![i] = v;
    this.isValid(c, i, true);
  }

  setBool(c: number, i: number, v: boolean | null): void {
    if (v === null) return this.isValid(c, i, false);
    (this.cols[c] as { bytes: Uint8Array }).bytes[i] = v ? 1 : 0;
    this.isValid(c, i, true);
  }

  setText(c: number, i: number, v: string | null): void {
    (this.cols[c] as { values: (string | null)[] }).values[i] = v;
    this.isValid(c, i, v !== null);
  }

  setBlob(c: number, i: number, v: Uint8Array | null): void {
    (this.cols[c] as { values: (Uint8Array | null)[] }).values[i] = v;
    this.isValid(c, i, v !== null);
  }

  /**
   * Writes rows 0..n-1 into `target` (a table function's output chunk), or into a chunk of its own
   * (reset first), and returns that chunk, ready for `appendDataChunk`. The rows stay as they are
   * (a table function may be scanned again) until `clear()`.
   */
  finish(n: number, target?: DuckDBDataChunk): DuckDBDataChunk {
    let chunk = target;
    if (!chunk) {
      this.own ??= DuckDBDataChunk.create(this.types);
      chunk = this.own;
      chunk.reset();
    }
    duckdb.data_chunk_set_size(chunk.chunk, n);
    for (let c = 0; c < this.cols.length; c++) {
      const col = this.cols[c];
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, c);
      if (col.kind === 'fixed') {
        duckdb.copy_data_to_vector(vec, 0, col.bytes.buffer as ArrayBuffer, 0, n * col.width);
      } else if (col.kind === 'text') {
        const v = col.values;
        const first = v[0];
        let same = n > 0 && first !== null && !col.nulls;
        for (let i = 1; same && i < n; i++) same = v[i] === first;
        if (same) {
          // One value for the whole column: a constant vector (the appender reads it as such).
          if (col.constant !== first || col.constantValue === null) {
            col.constant = first;
            col.constantValue = duckdb.create_varchar(first as string);
          }
          duckdb.vector_reference_value(vec, col.constantValue);
          continue;
        }
        for (let i = 0; i < n; i++) {
          const s = v[i];
          if (s !== null) duckdb.vector_assign_string_element(vec, i, s);
        }
      } else {
        const v = col.values;
        for (let i = 0; i < n; i++) {
          const b = v[i];
          if (b !== null) duckdb.vector_assign_string_element_len(vec, i, b);
        }
      }
      this.writeValidity(vec, col, n);
    }
    return chunk;
  }

  /** Forgets the rows set: every row valid, no value held. */
  clear(): void {
    for (const col of this.cols) {
      col.nulls = false;
      col.valid.fill(1);
      if (col.kind !== 'fixed') col.values.fill(null);
    }
  }

  /**
   * The column's NULLs into the vector's validity mask, written only when the chunk has one
   * (`reset()` makes every row of every vector valid again: the test appends a chunk without NULLs
   * after one with).
   */
  private writeValidity(vec: duckdb.Vector, col: Column, n: number): void {
    if (!col.nulls) return;
    const mask = this.mask;
    const bytes = Math.ceil(n / 64) * 8;
    mask.fill(0, 0, bytes);
    const valid = col.valid;
    for (let i = 0; i < n; i++) if (valid[i] === 1) mask[i >> 3] |= 1 << (i & 7);
    duckdb.vector_ensure_validity_writable(vec);
    duckdb.copy_data_to_vector_validity(vec, 0, mask.buffer as ArrayBuffer, 0, bytes);
  }
}
