/**
 * The content checksum of staged raw rows taken in JS from the records (raw-checksum.ts) is the
 * one DuckDB computes over the same rows (checksumExpr), for every payload kind, with and without
 * payload templates: the seal's re-read of every file compares the two.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import { openDuckSession, type DuckSession } from '../../../store/duck/index.js';
import { checksumOf } from '../../../store/seal/parquet-file.js';
import { addMd5Lower, Md5LowerSum } from '../../../store/seal/raw-checksum.js';
import { Stager } from '../../../store/seal/stage.js';
import type { TapeRecord } from '../../../schemas/record.js';
import { genRecords, T0 } from './fixtures.js';

let session: DuckSession;
beforeAll(async () => {
  session = await openDuckSession();
});
afterAll(() => session.close());

function records(): TapeRecord[] {
  const trades = [...shape('coinsuper-orderbook').frames(300), ...shape('coinstore-trades').frames(300)];
  const odd: TapeRecord[] = [
    // Text that is not UTF-8, an empty frame, names outside ASCII, an event, flag bits.
    { ...genRecords(1)[0], seq: 9_001, payload: Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]) },
    { ...genRecords(1)[0], seq: 9_002, payload: new Uint8Array(0), flags: 3 },
    { ...genRecords(1)[0], seq: 9_003, stream: 'ÉTH/€ 𝔁', endpoint: 'wss://ex.example/ü', payload: Buffer.from('{"p":"1.50","s":"ÉTH"}') },
    { ...genRecords(1)[0], seq: 9_004, direction: 'event', kind: 'gap', payload: Buffer.from('{"start_ns":"1","end_ns":"2"}'), flags: 4 },
  ];
  return [...genRecords(400), ...trades, ...odd].map((r, i) => ({ ...r, recvNs: T0 + BigInt(i) }));
}

describe('raw checksum from the records', () => {
  for (const templates of [true, false]) {
    it(`matches DuckDB's over the staged rows (${templates ? 'templated' : 'payloads as they are'})`, async () => {
      const stager = await Stager.create(session.conn, `ck${templates ? 't' : 'p'}_`, 'inst-c', null, { templates, checksums: true });
      const recs = records();
      for (const r of recs) stager.add(r);
      stager.close();
      const outputs = [...stager.outputs.values()].filter((o) => o.table === 'raw');
      expect(outputs.map((o) => o.exchange).sort()).toEqual(['coinstore', 'coinsuper']);
      for (const o of outputs) {
        const from = `"${stager.tableName('raw')}" WHERE exchange = '${o.exchange}'`;
        expect(o.stagedChecksum).toBeGreaterThan(0n);
        expect(String(o.stagedChecksum), o.exchange).toBe(await checksumOf(session.conn, 'raw', from, templates));
      }
    });
  }
});

describe('raw rows fed to the COPYs (rawFeed)', () => {
  it('give each output exactly the rows, in the order, the staging table would, and leave the table empty', async () => {
    // Two exchanges interleaved, each output more than two data chunks long.
    const a = genRecords(5_000);
    const b = genRecords(3_000, { exchange: 'coinsuper', connId: 'inst-b-k1-1' });
    const recs = [...a, ...b].map((r, i) => ({ ...r, recvNs: T0 + BigInt(i % 2 === 0 ? i : i + 1) })).sort((x, y) => (x.recvNs < y.recvNs ? -1 : 1));
    const staged = await Stager.create(session.conn, 'fdt_', 'inst-c', null, { templates: true, checksums: true });
    const fed = await Stager.create(session.conn, 'fdf_', 'inst-c', null, { templates: true, checksums: true, rawFeed: true });
    for (const r of recs) {
      staged.add(r);
      fed.add(r);
    }
    staged.close();
    fed.close();
    try {
      expect(Number((await session.conn.runAndReadAll(`SELECT count(*) FROM "${fed.tableName('raw')}"`)).getRows()[0][0])).toBe(0);
      const outputs = [...fed.outputs.values()].filter((o) => o.table === 'raw');
      expect(outputs.map((o) => o.rows).sort()).toEqual([3_000, 5_000]);
      for (const o of outputs) {
        const want = staged.outputs.get(`raw\t${o.exchange}\t${o.date}`)!;
        const rows = async (from: string) => (await session.conn.runAndReadAll(`SELECT seq, "rank", stream, tpl, rest, hex(payload), n0 FROM ${from}`)).getRows().map(String);
        const got = await rows(fed.stagedSource(o));
        expect(got.length, o.exchange).toBe(o.rows);
        expect(got, o.exchange).toEqual(await rows(staged.stagedSource(want)));
        expect(String(o.stagedChecksum), o.exchange).toBe(await checksumOf(session.conn, 'raw', fed.stagedSource(o), true));
      }
    } finally {
      fed.release();
    }
  });
});

describe('md5_number_lower in JS', () => {
  it("is node:crypto's MD5 at every padding boundary, for UTF-8 text and long text, and sums exactly", () => {
    const texts: string[] = [''];
    for (let n = 1; n <= 200; n++) texts.push('x|~'.repeat(n).slice(0, n));
    texts.push('ÉTH/€ 𝔁'.repeat(30), '\x1e0\x1f\x1d1'.repeat(9), 'a'.repeat(5_000), 'z'.repeat(70_000), '\ud800 lone surrogate');
    const sum = new Md5LowerSum();
    let want = 0n;
    for (const t of texts) {
      const one = new Md5LowerSum();
      addMd5Lower(t, one);
      const expected = createHash('md5').update(t, 'utf8').digest().readBigUInt64LE(8);
      expect(one.drain(), `length ${t.length}`).toBe(expected);
      addMd5Lower(t, sum);
      want += expected;
    }
    expect(sum.drain()).toBe(want);
    expect(sum.drain()).toBe(0n);
  });
});
