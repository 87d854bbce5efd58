/**
 * DuckDB results as Apache Arrow: the schema from the result's column types, one RecordBatch per
 * DuckDB chunk (about 2048 rows), so `queryArrow` can build a Table and `ticktape query --format
 * arrow` can stream an IPC stream without holding the result in memory. pyarrow, polars and
 * DuckDB itself read the stream directly: no CSV round trip, 64-bit integers and bytes kept.
 *
 * Types map one to one where Arrow has the type (integers, floats, VARCHAR, BLOB, BOOLEAN, DATE,
 * the timestamps in their own unit, TIMESTAMPTZ as UTC). The rest keep their value, not their
 * type: HUGEINT (what `sum(BIGINT)` returns) becomes Int64 and a value beyond 64 bits is an error
 * telling to CAST; DECIMAL becomes Float64 (`CAST(x AS VARCHAR)` keeps every digit); LIST, STRUCT,
 * MAP and the other nested or exotic types become their text.
 */
import type { DuckDBDataChunk, DuckDBResult, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import {
  Binary,
  Bool,
  DateDay,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { TicktapeError } from '../../core/errors.js';

type Col = { name: string; type: DuckDBType; arrow: DataType; kind: ValueKind };
type ValueKind = 'number' | 'bigint' | 'bool' | 'text' | 'bytes' | 'days' | 'ts' | 'huge' | 'decimal' | 'other';
type FixedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function columnOf(name: string, type: DuckDBType): Col {
  const c = (arrow: DataType, kind: ValueKind): Col => ({ name, type, arrow, kind });
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return c(new Bool(), 'bool');
    case DuckDBTypeId.TINYINT:
      return c(new Int8(), 'number');
    case DuckDBTypeId.SMALLINT:
      return c(new Int16(), 'number');
    case DuckDBTypeId.INTEGER:
      return c(new Int32(), 'number');
    case DuckDBTypeId.BIGINT:
      return c(new Int64(), 'bigint');
    case DuckDBTypeId.UTINYINT:
      return c(new Uint8(), 'number');
    case DuckDBTypeId.USMALLINT:
      return c(new Uint16(), 'number');
    case DuckDBTypeId.UINTEGER:
      return c(new Uint32(), 'number');
    case DuckDBTypeId.UBIGINT:
      return c(new Uint64(), 'bigint');
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return c(new Int64(), 'huge');
    case DuckDBTypeId.FLOAT:
      return c(new Float32(), 'number');
    case DuckDBTypeId.DOUBLE:
      return c(new Float64(), 'number');
    case DuckDBTypeId.DECIMAL:
      return c(new Float64(), 'decimal');
    case DuckDBTypeId.VARCHAR:
      return c(new Utf8(), 'text');
    case DuckDBTypeId.BLOB:
      return c(new Binary(), 'bytes');
    case DuckDBTypeId.DATE:
      return c(new DateDay(), 'days');
    case DuckDBTypeId.TIMESTAMP:
      return c(new TimestampMicrosecond(), 'ts');
    case DuckDBTypeId.TIMESTAMP_TZ:
      return c(new TimestampMicrosecond('UTC'), 'ts');
    case DuckDBTypeId.TIMESTAMP_MS:
      return c(new TimestampMillisecond(), 'ts');
    case DuckDBTypeId.TIMESTAMP_S:
      return c(new TimestampSecond(), 'ts');
    case DuckDBTypeId.TIMESTAMP_NS:
      return c(new TimestampNanosecond(), 'ts');
    default:
      return c(new Utf8(), 'other');
  }
}

/** The Arrow schema of a DuckDB result's columns. */
function arrowSchemaOf(names: readonly string[], types: readonly DuckDBType[]): Schema {
  return new Schema(names.map((n, i) => new Field(n, columnOf(n, types[i]).arrow, true)));
}

/** The raw 64-bit count of a timestamp value, whatever its unit. */
function tsCount(v: DuckDBValue): bigint {
  const t = v as unknown as { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint };
  return t.micros ?? t.millis ?? t.seconds ?? t.nanos ?? 0n;
}

function fixedArray(type: DataType, n: number): FixedArray {
  const T = (type as unknown as { ArrayType: new (n: number) => FixedArray }).ArrayType;
  return new T(n);
}

function columnData(col: Col, values: readonly DuckDBValue[]): Data {
  const n = values.length;
  if (col.kind === 'text' || col.kind === 'other') {
    return vectorFromArray(
      values.map((v) => (v === null ? null : col.kind === 'text' ? (v as string) : String(v))),
      new Utf8(),
    ).data[0];
  }
  if (col.kind === 'bytes')
    return vectorFromArray(
      values.map((v) => (v === null ? null : (v as { bytes: Uint8Array }).bytes)),
      new Binary(),
    ).data[0];
  if (col.kind === 'bool') return vectorFromArray(values as (boolean | null)[], new Bool()).data[0];
  const data = fixedArray(col.arrow, n);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      nulls++;
      continue;
    }
    validity[i >> 3] |= 1 << (i & 7);
    switch (col.kind) {
      case 'number':
        data[i] = v as number;
        break;
      case 'bigint':
        data[i] = v as bigint;
        break;
      case 'huge': {
        const h = v as bigint;
        if (h < INT64_MIN || h > INT64_MAX) {
          throw new TicktapeError('TT_QUERY', `Column "${col.name}" holds ${h}, beyond 64 bits, which Arrow cannot carry as an integer: CAST it to DOUBLE or VARCHAR in the query.`, { column: col.name });
        }
        data[i] = h;
        break;
      }
      case 'decimal':
        data[i] = (v as unknown as { toDouble(): number }).toDouble();
        break;
      case 'days':
        data[i] = (v as unknown as { days: number }).days;
        break;
      case 'ts':
        data[i] = tsCount(v);
        break;
    }
  }
  return makeData({ type: col.arrow, length: n, nullCount: nulls, data: data as never, nullBitmap: nulls ? validity : undefined } as never);
}

/** One DuckDB chunk as a RecordBatch of `schema` (built by arrowSchemaOf from the same result). */
function chunkToBatch(schema: Schema, types: readonly DuckDBType[], chunk: DuckDBDataChunk): RecordBatch {
  const n = chunk.rowCount;
  const children = schema.fields.map((f, i) => {
    const vector = chunk.getColumnVector(i);
    const values = new Array<DuckDBValue>(n);
    for (let r = 0; r < n; r++) values[r] = vector.getItem(r);
    return columnData(columnOf(f.name, types[i]), values);
  });
  const struct = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

/** Every batch of a (streaming or materialized) result, chunk by chunk. */
async function* resultBatches(result: DuckDBResult): AsyncGenerator<RecordBatch> {
  const types = result.columnTypes();
  const schema = arrowSchemaOf(result.columnNames(), types);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    yield chunkToBatch(schema, types, chunk);
  }
}

/** A whole result as an Arrow Table (an empty result keeps its schema). */
export async function resultToTable(result: DuckDBResult): Promise<Table> {
  const schema = arrowSchemaOf(result.columnNames(), result.columnTypes());
  const batches: RecordBatch[] = [];
  for await (const b of resultBatches(result)) batches.push(b);
  return batches.length ? new Table(batches) : new Table(schema);
}

/**
 * Writes a result as an Arrow IPC stream (the format `pyarrow.ipc.open_stream` and
 * `polars.read_ipc_stream` read), batch by batch; returns the row count.
 */
export async function writeArrowStream(result: DuckDBResult, write: (bytes: Uint8Array) => void | Promise<void>): Promise<number> {
  const schema = arrowSchemaOf(result.columnNames(), result.columnTypes());
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  // The writer queues what it encodes; a consumer hands it to `write`, and the next chunk is only
  // fetched while less than ARROW_STREAM_BUFFER_BYTES wait (a slow pipe bounds the memory).
  let queued = 0;
  let drained = null as (() => void) | null;
  let failure: unknown = null;
  const consumer = (async () => {
    try {
      for await (const bytes of writer as AsyncIterable<Uint8Array>) {
        await write(bytes);
        queued -= bytes.byteLength;
        if (queued < ARROW_STREAM_BUFFER_BYTES) if (drained) drained();
      }
    } catch (err) {
      failure = err;
      if (drained) drained();
    }
  })();
  let rows = 0;
  try {
    for await (const batch of resultBatches(result)) {
      if (failure) break;
      writer.write(batch);
      queued += batch.data.byteLength;
      rows += batch.numRows;
      while (queued >= ARROW_STREAM_BUFFER_BYTES && !failure) await new Promise<void>((r) => (drained = r));
      drained = null;
    }
  } finally {
    writer.close();
    await consumer;
  }
  if (failure) throw failure;
  return rows;
}

/** Encoded bytes the Arrow stream writer may hold ahead of a slow consumer. */
const ARROW_STREAM_BUFFER_BYTES = 8 << 20;
