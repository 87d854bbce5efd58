/**
 * readRecordBatches (column batches) and readRecords (TapeRecords) give the same records, every
 * field, payloads byte for byte, as the frames written: over sealed and compacted stores of four
 * exchange shapes (templated payloads), files in the earlier layout, several instances (merged
 * chains) and unsealed journal segments.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { readRecordBatches, readRecords, type ReadRecordsOptions, type RecordBatch } from '../../../store/reader/index.js';
import { compactAll, sealClosedSegments } from '../../../store/seal/index.js';
import { genRecords, hex, tmpDataDir, writeJournal } from '../seal/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function order(a: TapeRecord, b: TapeRecord): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

function line(r: TapeRecord): string {
  return `${r.exchange} ${r.connId}#${r.seq} ${r.recvNs} ${r.direction} ${r.kind} ${r.stream} ${r.endpoint} ${r.flags} ${hex(r.payload)}`;
}

/** Rows of the batches, each field read from the columns (not through readRecords' objects). */
async function fromBatches(o: ReadRecordsOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readRecordBatches(o) as AsyncGenerator<RecordBatch>) {
    expect(b.offsets.length).toBe(b.length + 1);
    for (let i = 0; i < b.length; i++) {
      const h = b.headers[b.header[i]];
      const payload = b.payload.subarray(b.offsets[i], b.offsets[i + 1]);
      out.push(`${h.exchange} ${h.connId}#${b.seq[i]} ${b.recvNs[i]} ${h.direction} ${h.kind} ${h.stream} ${h.endpoint} ${b.flags[i]} ${hex(payload)}`);
    }
  }
  return out;
}

async function fromRecords(o: ReadRecordsOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readRecords(o)) for (const r of b) out.push(line(r));
  return out;
}

/** Frames of the four benchmark shapes and awkward payloads of two instances, interleaved in time. */
function frames(instance: number): TapeRecord[] {
  const peers = ['coinstore-trades', 'coinstore-depth20', 'nexus-depth5', 'coinsuper-orderbook'] as const;
  const out: TapeRecord[] = [];
  peers.forEach((name, k) => {
    for (const r of shape(name).frames(400)) out.push({ ...r, connId: `${r.connId}-${instance}-${k}`, recvNs: r.recvNs + BigInt(k * 3 + instance) });
  });
  out.push(...genRecords(250, { connId: `odd-${instance}`, stepNs: 170_000n, exchange: 'nexus' }));
  return out.sort(order);
}

function quarters(rs: TapeRecord[]): TapeRecord[][] {
  const q = Math.ceil(rs.length / 4);
  return [rs.slice(0, q), rs.slice(q, 2 * q), rs.slice(2 * q, 3 * q), rs.slice(3 * q)];
}

describe('readRecordBatches', () => {
  it('gives the records readRecords gives and the frames written: compacted, sealed, earlier layout, journals', async () => {
    const data = tmpDataDir('batches');
    dirs.push(data);
    const a = frames(1);
    const b = frames(2);
    // Instance i1: four segments sealed with templates and compacted into a day file (ranked blocks).
    await writeJournal(data, 'i1', quarters(a.slice(0, 1200)));
    await sealClosedSegments(data);
    await compactAll(data);
    // Instance i2: sealed in the earlier layout (payloads as they are), not compacted.
    await writeJournal(data, 'i2', quarters(b.slice(0, 1000)));
    await sealClosedSegments(data, { payloadTemplates: false });
    // Then sealed segments of i1 after the day file, and journal segments of both left unsealed.
    await writeJournal(data, 'i1', [a.slice(1200, 1500)]);
    await sealClosedSegments(data);
    await writeJournal(data, 'i1', [a.slice(1500)]);
    await writeJournal(data, 'i2', [b.slice(1000)]);
    const want = [...a, ...b].sort(order).map(line);
    for (const windowRows of [undefined, 300]) {
      const batches = await fromBatches({ dataDir: data, windowRows });
      const records = await fromRecords({ dataDir: data, windowRows });
      expect(batches.length).toBe(want.length);
      expect(batches).toEqual(want);
      expect(records).toEqual(want);
    }
    // Filters apply the same way.
    const nexus = want.filter((l) => l.startsWith('nexus '));
    expect(await fromBatches({ dataDir: data, exchanges: ['nexus'] })).toEqual(nexus);
    expect(await fromRecords({ dataDir: data, exchanges: ['nexus'] })).toEqual(nexus);
  });
});
