/**
 * Sealed raw files with payload templates, end to end: several segments sealed and compacted give
 * every frame back byte for byte and in order (reader, views), verify finds nothing; files in the
 * earlier layout (payloads as they are, in replay order) stay readable next to them and compact
 * together with them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { openDuckSession, openTape } from '../../../store/duck/index.js';
import { listPartitionFiles, partitionDir, segmentFileName } from '../../../store/partitions.js';
import { readRecords } from '../../../store/reader/index.js';
import { compactAll, sealClosedSegments } from '../../../store/seal/index.js';
import { anyTemplated, checksumOf, columnList, copyToParquet, orderBy, writeChecksumFile } from '../../../store/seal/parquet-file.js';
import { Stager } from '../../../store/seal/stage.js';
import { verifyStore } from '../../../store/seal/verify-store.js';
import { genRecords, hex, T0, tmpDataDir, writeJournal } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function order(a: TapeRecord, b: TapeRecord): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

async function readAll(data: string, windowRows?: number): Promise<TapeRecord[]> {
  const out: TapeRecord[] = [];
  for await (const b of readRecords({ dataDir: data, includeJournal: false, windowRows })) out.push(...b);
  return out;
}

function same(got: TapeRecord[], want: TapeRecord[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    expect(`${g.connId}#${g.seq} ${g.recvNs} ${g.stream} ${g.kind} ${g.flags} ${hex(g.payload)}`).toBe(`${w.connId}#${w.seq} ${w.recvNs} ${w.stream} ${w.kind} ${w.flags} ${hex(w.payload)}`);
  }
}

/** Frames of all four benchmark shapes plus awkward payloads, interleaved in time, in `segments` journal segments. */
function mixedFrames(): TapeRecord[] {
  const peers = ['coinstore-trades', 'coinstore-depth20', 'nexus-depth5', 'coinsuper-orderbook'] as const;
  const out: TapeRecord[] = [];
  peers.forEach((name, k) => {
    for (const r of shape(name).frames(300)) out.push({ ...r, connId: `${r.connId}-${k}`, recvNs: r.recvNs + BigInt(k) });
  });
  out.push(...genRecords(200, { connId: 'odd-1', stepNs: 170_000n, exchange: 'nexus' }));
  return out.sort(order);
}

describe('templated raw files', () => {
  it('seal and compaction keep every frame byte for byte and in order; verify and the views agree', async () => {
    const data = tmpDataDir('tpl-store');
    dirs.push(data);
    const frames = mixedFrames();
    const per = Math.ceil(frames.length / 4);
    await writeJournal(
      data,
      'tp',
      [0, 1, 2, 3].map((i) => frames.slice(i * per, (i + 1) * per)),
    );
    const sealed = await sealClosedSegments(data);
    expect(sealed.failures).toEqual([]);
    const session = await openDuckSession();
    try {
      expect(
        await anyTemplated(
          session.conn,
          listPartitionFiles(data, ['raw']).map((f) => f.path),
        ),
      ).toBe(true);
    } finally {
      session.close();
    }
    same(await readAll(data), frames);
    await compactAll(data);
    const raw = listPartitionFiles(data, ['raw']);
    expect(raw.every((f) => f.kind === 'day')).toBe(true);
    for (const w of [undefined, 500]) same(await readAll(data, w), frames);
    const v = await verifyStore(data);
    expect(v.findings.filter((f) => f.severity === 'damage')).toEqual([]);
    const tape = await openTape(data, { includeJournal: false });
    try {
      const rows = (await tape.conn.runAndReadAll('SELECT conn_id, seq, payload FROM raw ORDER BY recv_ns, conn_id, seq')).getRows() as [string, bigint, { bytes: Uint8Array }][];
      expect(rows.map(([c, s, p]) => `${c}#${s} ${hex(p.bytes)}`)).toEqual(frames.map((r) => `${r.connId}#${r.seq} ${hex(r.payload)}`));
    } finally {
      tape.close();
    }
  }, 300_000);

  it('files in the earlier layout stay readable next to templated ones, and compact with them', async () => {
    const data = tmpDataDir('tpl-old');
    dirs.push(data);
    const old = genRecords(600, { connId: 'old-1', exchange: 'coinstore' });
    const fresh = [...shape('coinstore-trades').frames(500)].map((r) => ({ ...r, recvNs: r.recvNs - T0 + T0 + 3_600_000_000_000n }));
    // The earlier layout, as the previous version sealed it: payloads as they are, sorted by (recv_ns, conn_id, seq).
    const session = await openDuckSession();
    try {
      const st = await Stager.create(session.conn, 'old_', 'tp', null);
      for (const r of old) st.add(r);
      st.close();
      const segment = '20260115T100000Z-old0001-000001';
      const dir = partitionDir(data, 'raw', 'coinstore', '2026-01-15');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, segmentFileName('tp', segment));
      const conns = new Map([['old-1', { rows: old.length, min: 1, max: old.length }]]);
      const checksum = await checksumOf(session.conn, 'raw', 'old_raw');
      await copyToParquet(session.conn, `SELECT ${columnList('raw')} FROM old_raw ORDER BY ${orderBy('raw')}`, file, { table: 'raw', instance: 'tp', sources: [segment], expectation: { rows: old.length, conns, checksum } });
      writeChecksumFile(file, file);
      expect(await anyTemplated(session.conn, [file])).toBe(false);
    } finally {
      session.close();
    }
    await writeJournal(data, 'tp', [fresh]);
    expect((await sealClosedSegments(data)).failures).toEqual([]);
    const want = [...old, ...fresh].sort(order);
    same(await readAll(data), want);
    expect((await verifyStore(data)).findings.filter((f) => f.severity === 'damage')).toEqual([]);
    await compactAll(data);
    expect(listPartitionFiles(data, ['raw']).map((f) => f.kind)).toEqual(['day']);
    same(await readAll(data), want);
    expect((await verifyStore(data)).findings.filter((f) => f.severity === 'damage')).toEqual([]);
  }, 300_000);
});
