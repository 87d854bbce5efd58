/**
 * Records as column batches: what the reader decodes DuckDB chunks into (chunk-decoder.ts) before
 * any per-record object exists. Fixed-width fields are typed arrays, the six header strings one
 * index per row into a shared list, and the payloads one buffer with offsets (row i is
 * `payload[offsets[i] .. offsets[i + 1])`, rows laid out one after the other).
 *
 * `readRecords` hands out TapeRecords built from these batches (`batchRecords`); readers that only
 * need bytes or a few fields (the peer benchmark's raw path) take the batches themselves
 * (`readRecordBatches`), with no object per record.
 */
import type { TapeRecord } from '../../schemas/record.js';
import type { RecordHeader } from './chunk-decoder.js';

export interface RecordBatch {
  length: number;
  /** The header tuples `header` points into (shared between batches of one source). */
  headers: readonly RecordHeader[];
  /** Index into `headers` per row. */
  header: Int32Array;
  recvNs: BigInt64Array;
  seq: Float64Array;
  flags: Int32Array;
  /** Every row's payload, one after the other. */
  payload: Uint8Array;
  /** Where row i's payload starts; `length + 1` entries, the last one the end of the last row. */
  offsets: Uint32Array;
  /**
   * With the reader's `parse` option: row i's JSON value (deep-equal, key order included, to
   * JSON.parse of its payload's text; of a templated binary frame — an MQTT PUBLISH — of the JSON
   * text after its head bytes), undefined where the frame is not JSON (binary frames stored as
   * they are, malformed text).
   */
  messages?: unknown[];
}

/** Rows [from, to) of a batch: views, nothing copied. */
export function sliceBatch(b: RecordBatch, from: number, to: number): RecordBatch {
  if (from === 0 && to === b.length) return b;
  return {
    length: to - from,
    headers: b.headers,
    header: b.header.subarray(from, to),
    recvNs: b.recvNs.subarray(from, to),
    seq: b.seq.subarray(from, to),
    flags: b.flags.subarray(from, to),
    payload: b.payload,
    offsets: b.offsets.subarray(from, to + 1),
    ...(b.messages ? { messages: b.messages.slice(from, to) } : {}),
  };
}

/** A TapeRecord read with the reader's `parse` option: its frame's JSON value too (RecordBatch.messages). */
export interface ParsedTapeRecord extends TapeRecord {
  message: unknown;
}

/** The rows of a batch as TapeRecords (payloads are views into the batch's buffer; with messages, ParsedTapeRecords). */
export function batchRecords(b: RecordBatch): TapeRecord[] {
  if (b.messages) return parsedRecords(b, b.messages);
  const n = b.length;
  const out = new Array<TapeRecord>(n);
  const { headers, header, recvNs, seq, flags, offsets } = b;
  const ab = b.payload.buffer;
  const base = b.payload.byteOffset;
  for (let i = 0; i < n; i++) {
    const hd = headers[header[i]];
    const o = offsets[i];
    out[i] = {
      exchange: hd.exchange,
      connId: hd.connId,
      seq: seq[i],
      recvNs: recvNs[i],
      direction: hd.direction,
      kind: hd.kind,
      stream: hd.stream,
      endpoint: hd.endpoint,
      payload: new Uint8Array(ab, base + o, offsets[i + 1] - o),
      flags: flags[i],
    };
  }
  return out;
}

function parsedRecords(b: RecordBatch, messages: unknown[]): ParsedTapeRecord[] {
  const n = b.length;
  const out = new Array<ParsedTapeRecord>(n);
  const { headers, header, recvNs, seq, flags, offsets } = b;
  const ab = b.payload.buffer;
  const base = b.payload.byteOffset;
  for (let i = 0; i < n; i++) {
    const hd = headers[header[i]];
    const o = offsets[i];
    out[i] = {
      exchange: hd.exchange,
      connId: hd.connId,
      seq: seq[i],
      recvNs: recvNs[i],
      direction: hd.direction,
      kind: hd.kind,
      stream: hd.stream,
      endpoint: hd.endpoint,
      payload: new Uint8Array(ab, base + o, offsets[i + 1] - o),
      flags: flags[i],
      message: messages[i],
    };
  }
  return out;
}

/** Compares row i of a with row j of b by (recv_ns, conn_id, seq), the reader's order. */
function compareRows(a: RecordBatch, i: number, b: RecordBatch, j: number): number {
  const x = a.recvNs[i];
  const y = b.recvNs[j];
  if (x !== y) return x < y ? -1 : 1;
  const ca = a.headers[a.header[i]].connId;
  const cb = b.headers[b.header[j]].connId;
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.seq[i] - b.seq[j];
}

interface Cursor {
  it: AsyncIterator<RecordBatch>;
  batch: RecordBatch;
  i: number;
}

async function nextBatch(it: AsyncIterator<RecordBatch>): Promise<RecordBatch | null> {
  for (;;) {
    const r = await it.next();
    if (r.done) return null;
    if (r.value.length) return r.value;
  }
}

/**
 * K-way merge of batch streams already in (recv_ns, conn_id, seq) order into one stream in that
 * order (as merge.ts does for records): inputs are few, so the smallest head is found by a linear
 * scan, and each input's run up to the next input's head is handed out as a slice of its batch.
 */
export async function* mergeBatches(inputs: readonly AsyncIterator<RecordBatch>[]): AsyncGenerator<RecordBatch> {
  try {
    const cursors: Cursor[] = [];
    const firsts = await Promise.all(inputs.map((it) => nextBatch(it)));
    firsts.forEach((batch, k) => {
      if (batch) cursors.push({ it: inputs[k], batch, i: 0 });
    });
    while (cursors.length > 0) {
      if (cursors.length === 1) {
        const c = cursors[0];
        yield sliceBatch(c.batch, c.i, c.batch.length);
        for (let b = await nextBatch(c.it); b; b = await nextBatch(c.it)) yield b;
        return;
      }
      let m = 0;
      for (let k = 1; k < cursors.length; k++) if (compareRows(cursors[k].batch, cursors[k].i, cursors[m].batch, cursors[m].i) < 0) m = k;
      // The smallest head among the other inputs: the bound of this run.
      let bk = -1;
      for (let k = 0; k < cursors.length; k++) {
        if (k === m) continue;
        if (bk < 0 || compareRows(cursors[k].batch, cursors[k].i, cursors[bk].batch, cursors[bk].i) < 0) bk = k;
      }
      const c = cursors[m];
      const { batch } = c;
      const bound = cursors[bk];
      let j: number;
      if (compareRows(batch, batch.length - 1, bound.batch, bound.i) <= 0) j = batch.length;
      else {
        // Binary search: the first row after the bound (the head itself is not after it).
        let lo = c.i + 1;
        let hi = batch.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareRows(batch, mid, bound.batch, bound.i) <= 0) lo = mid + 1;
          else hi = mid;
        }
        j = lo;
      }
      yield sliceBatch(batch, c.i, j);
      c.i = j;
      if (c.i === batch.length) {
        const b = await nextBatch(c.it);
        if (b) {
          c.batch = b;
          c.i = 0;
        } else cursors.splice(m, 1);
      }
    }
  } finally {
    // Stopped early or failed: let every input finish its in-flight query and release it.
    await Promise.all(inputs.map((it) => (it.return ? it.return(undefined) : undefined)?.catch?.(() => undefined)));
  }
}
