/**
 * Sealed raw files in replay order are streamed without sorting and k-way merged across chains
 * (recorder instances recording at the same time); files without the sort-order metadata (written
 * when raw files were sorted by stream first) and unsealed journals are sorted as they are read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TapeRecord } from '../../../schemas/record.js';
import { readRecords, type ReadRecordsOptions } from '../../../store/reader/index.js';
import { compareRecords, mergeOrdered } from '../../../store/reader/merge.js';
import { planChains } from '../../../store/reader/read-records.js';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { SORT_KEYS_META } from '../../../store/seal/parquet-file.js';
import { openDuckSession } from '../../../store/duck/index.js';
import { readKvMetadata } from '../../../store/duck/live-files.js';
import { genRecords, hex, key, tmpDataDir, writeJournal, T0 } from '../seal/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function collect(o: ReadRecordsOptions): Promise<TapeRecord[]> {
  const out: TapeRecord[] = [];
  for await (const batch of readRecords(o)) out.push(...batch);
  return out;
}

function rawFiles(data: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  walk(path.join(data, 'raw'));
  return out.sort();
}

/**
 * Instances r1 and r2 record at the same time (interleaved recv_ns, ties included), two sealed
 * segments each; r3's sealed file is rewritten stream-first without the sort-order metadata, as
 * older versions wrote raw files; r4 has an unsealed journal segment.
 */
async function concurrentStore(): Promise<{ data: string; all: TapeRecord[]; oldFile: string }> {
  const data = tmpDataDir('reader-merge');
  dirs.push(data);
  const a = genRecords(600, { connId: 'm-k-a', stepNs: 2_000_000n, streams: ['btcusdt@trade', 'ethusdt@depth', 'solusdt@trade'] });
  const b = genRecords(500, { connId: 'm-k-b', stepNs: 2_000_000n, startNs: T0 + 1_000_000n });
  const c = genRecords(300, { connId: 'm-k-c', stepNs: 4_000_000n }); // ties with a
  const d = genRecords(200, { connId: 'm-k-d', stepNs: 5_000_000n, startNs: T0 + 7n });
  await writeJournal(data, 'r1', [a.slice(0, 300), a.slice(300)]);
  await writeJournal(data, 'r2', [b.slice(0, 250), b.slice(250)]);
  await writeJournal(data, 'r3', [c]);
  await sealClosedSegments(data);
  await writeJournal(data, 'r4', [d]);
  const oldFile = rawFiles(data).find((p) => path.basename(p).startsWith('r3-'))!;
  const session = await openDuckSession();
  try {
    const tmp = `${oldFile}.old`;
    await session.conn.run(`COPY (SELECT * FROM read_parquet('${oldFile}') ORDER BY exchange, stream, recv_ns, conn_id, seq) TO '${tmp}' (FORMAT parquet)`);
    fs.renameSync(tmp, oldFile);
  } finally {
    session.close();
  }
  return { data, all: [...a, ...b, ...c, ...d].sort(compareRecords), oldFile };
}

describe('reader chains and merge', () => {
  it('sealed raw files carry their sort order; chains follow instances, old-order files are sorted instead', async () => {
    const { data, oldFile } = await concurrentStore();
    const files = rawFiles(data);
    const session = await openDuckSession();
    try {
      const kv = await readKvMetadata(session.conn, files);
      // Sealed raw files store payload templates in rank blocks, read back in order by rank.
      for (const f of files) expect(kv.get(f)?.[SORT_KEYS_META]).toBe(f === oldFile ? undefined : 'rank_block,stream,rank');
      const { chains, unordered } = await planChains(session.conn, files);
      expect(unordered).toEqual([oldFile]);
      // r1's two segments follow each other: one chain; r2 overlaps r1 in time: a second chain.
      expect(chains.map((c) => c.paths.map((p) => path.basename(p).slice(0, 3)))).toEqual([
        ['r1-', 'r1-'],
        ['r2-', 'r2-'],
      ]);
      // One row group per segment file here; their starts are the chain's window boundaries.
      for (const c of chains) {
        expect(c.rowGroupStarts.length).toBe(c.paths.length);
        expect(c.files.every((f) => f.ranked)).toBe(true);
        expect([...c.rowGroupStarts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(c.rowGroupStarts);
      }
    } finally {
      session.close();
    }
  });

  it('merges chains, old-order files and journals into one (recv_ns, conn_id, seq) sequence, byte-exact, in any window size', async () => {
    const { data, all } = await concurrentStore();
    for (const windowRows of [undefined, 37]) {
      const got = await collect({ dataDir: data, windowRows });
      expect(got.map(key)).toEqual(all.map(key));
      for (let i = 0; i < got.length; i++) {
        expect(got[i].recvNs).toBe(all[i].recvNs);
        expect(hex(got[i].payload)).toBe(hex(all[i].payload));
      }
    }
    const filtered = await collect({ dataDir: data, streams: ['solusdt@trade', 'ethusdt@depth'], directions: ['in'], fromNs: T0 + 100_000_000n, toNs: T0 + 900_000_000n });
    const want = all.filter((r) => (r.stream === 'solusdt@trade' || r.stream === 'ethusdt@depth') && r.direction === 'in' && r.recvNs >= T0 + 100_000_000n && r.recvNs < T0 + 900_000_000n);
    expect(want.length).toBeGreaterThan(100);
    expect(filtered.map(key)).toEqual(want.map(key));
  });

  it('a consumer stopping early leaves no query running (the session closes cleanly)', async () => {
    const { data, all } = await concurrentStore();
    let n = 0;
    for await (const batch of readRecords({ dataDir: data, windowRows: 50 })) {
      n += batch.length;
      if (n > 200) break;
    }
    expect(n).toBeGreaterThan(200);
    expect(n).toBeLessThan(all.length);
  });
});

describe('mergeOrdered', () => {
  async function* batches(recs: TapeRecord[], size: number): AsyncGenerator<TapeRecord[]> {
    for (let i = 0; i < recs.length; i += size) yield recs.slice(i, i + size);
    yield []; // an empty batch is skipped
  }

  it('interleaves overlapping inputs, passes disjoint ones through and keeps ties in key order', async () => {
    const x = genRecords(250, { connId: 'x', stepNs: 3n });
    const y = genRecords(180, { connId: 'y', stepNs: 5n }); // ties with x every 15 ns
    const z = genRecords(40, { connId: 'z', stepNs: 1n, startNs: T0 + 10_000n }); // after everything else
    const got: TapeRecord[] = [];
    let zBatches = 0;
    for await (const b of mergeOrdered([batches(x, 7), batches(y, 64), batches(z, 40), batches([], 1)])) {
      if (b.length && b[0].connId === 'z') zBatches++;
      got.push(...b);
    }
    expect(got.map(key)).toEqual([...x, ...y, ...z].sort(compareRecords).map(key));
    expect(zBatches).toBe(1);
  });

  it('returns every input when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* tracked(name: string, recs: TapeRecord[]): AsyncGenerator<TapeRecord[]> {
      try {
        yield* batches(recs, 10);
      } finally {
        closed.push(name);
      }
    }
    for await (const b of mergeOrdered([tracked('x', genRecords(100, { connId: 'x' })), tracked('y', genRecords(100, { connId: 'y' }))])) {
      expect(b.length).toBeGreaterThan(0);
      break;
    }
    expect(closed.sort()).toEqual(['x', 'y']);
  });
});
