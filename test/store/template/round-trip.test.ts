/**
 * Payload templates give every frame back byte for byte: through the reader's JS rebuild and through
 * the SQL macro the views and the stock duckdb CLI use, over every exchange's fixtures, generated
 * feeds of the four benchmark shapes, and hard cases.
 */
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileTemplate, encodePayload, PAYLOAD_MACROS_SQL, payloadExpr, rebuildInto, SLOT_COLUMNS, TEMPLATE_COLUMNS_DDL } from '../../../store/template/index.js';
import { allFrames, HARD_CASES } from './frames.js';

const frames = allFrames();
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('payload templates', () => {
  it('cover the fixtures of every exchange and templated most frames', () => {
    for (const ex of ['coinstore', 'coinceres', 'coinsuper', 'nexus']) expect(frames.some((f) => f.name.startsWith(ex))).toBe(true);
    const templated = frames.filter((f) => encodePayload(f.payload, f.binary) !== null).length;
    expect(templated / frames.length).toBeGreaterThan(0.9);
  });

  it('rebuild every frame exactly in JS', () => {
    for (const f of frames) {
      const e = encodePayload(f.payload, f.binary);
      if (!e) continue;
      const rest = Buffer.from(e.rest, 'utf8');
      const out = new Uint8Array(f.payload.length + 64);
      const n = rebuildInto(compileTemplate(e.tpl), e.pre, rest, 0, rest.length, e.slots, out, 0);
      expect(hex(out.subarray(0, n)), f.name).toBe(hex(f.payload));
      // With room for the template's longest frame (the reader's buffers): the unchecked path, at an offset.
      const roomy = new Uint8Array(f.payload.length * 2 + 4096);
      const m = rebuildInto(compileTemplate(e.tpl), e.pre, rest, 0, rest.length, e.slots, roomy, 7);
      expect(hex(roomy.subarray(7, 7 + m)), f.name).toBe(hex(f.payload));
    }
  });

  it('store what is not text, or would not come back, as it is', () => {
    const none = ['invalid UTF-8', 'binary without text', 'separator character', 'only literals', 'empty', 'NULs'];
    for (const name of none) {
      const f = HARD_CASES.find((c) => c.name === name)!;
      expect(encodePayload(f.payload, f.binary), name).toBeNull();
    }
    const mqtt = HARD_CASES.find((c) => c.name === 'binary head with a brace byte')!;
    const e = encodePayload(mqtt.payload, true)!;
    expect(hex(e.pre!)).toBe(hex(mqtt.payload.subarray(0, 7)));
    expect(e.slots.filter((v) => v !== null)).toEqual([125 * 16 + 2, 3]);
  });

  it('keep integers and trade-sized decimals in slots, and book-sized decimals in rest', () => {
    const trade = encodePayload(Buffer.from('{"S":7,"price":"65000.12","volume":"0.0867","ts":1767225600030,"side":"BUY"}'), false)!;
    expect(trade.slots.slice(0, 4)).toEqual([7, 6500012 * 16 + 2, 867 * 16 + 4, 1767225600030]);
    expect(trade.rest.split('\x1f')).toEqual(['BUY']);
    const book = encodePayload(Buffer.from(JSON.stringify({ S: 9, b: Array.from({ length: 10 }, (_, i) => [`${100 + i}.5`, '1.25']) })), false)!;
    expect(book.slots.filter((v) => v !== null)).toEqual([9]);
    expect(book.rest.split('\x1f').slice(0, 2)).toEqual(['100.5', '1.25']);
  });

  it('rebuild every frame exactly in DuckDB SQL (tt_payload)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const m of PAYLOAD_MACROS_SQL) await conn.run(m);
      await conn.run(`CREATE TABLE f (i INTEGER, want BLOB, payload BLOB, ${TEMPLATE_COLUMNS_DDL})`);
      const app = await conn.createAppender('f');
      frames.forEach((f, i) => {
        const e = encodePayload(f.payload, f.binary);
        app.appendInteger(i);
        app.appendBlob(f.payload);
        if (e) app.appendNull();
        else app.appendBlob(f.payload);
        if (e) app.appendVarchar(e.tpl);
        else app.appendNull();
        if (e?.pre) app.appendBlob(e.pre);
        else app.appendNull();
        if (e) app.appendVarchar(e.rest);
        else app.appendNull();
        for (let k = 0; k < SLOT_COLUMNS.length; k++) {
          const v = e?.slots[k];
          if (v === null || v === undefined) app.appendNull();
          else app.appendBigInt(BigInt(v));
        }
        app.appendNull(); // rank
        app.endRow();
      });
      app.closeSync();
      const bad = (await conn.runAndReadAll(`SELECT i FROM f WHERE ${payloadExpr()} IS DISTINCT FROM want ORDER BY i`)).getRows().map((r) => frames[Number(r[0])].name);
      expect(bad).toEqual([]);
      const n = Number((await conn.runAndReadAll('SELECT count(*) FROM f WHERE tpl IS NOT NULL')).getRows()[0][0]);
      expect(n).toBeGreaterThan(frames.length * 0.9);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('tt_payload on rows without a template', () => {
  it('gives the stored payload, an empty one as empty and a missing one as NULL', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const m of PAYLOAD_MACROS_SQL) await conn.run(m);
      await conn.run(`CREATE TABLE f (i INTEGER, payload BLOB, ${TEMPLATE_COLUMNS_DDL})`);
      await conn.run(`INSERT INTO f (i, payload) VALUES (0, 'abc'::BLOB), (1, ''::BLOB), (2, NULL), (3, '\\x00\\xFF'::BLOB)`);
      await conn.run(`INSERT INTO f (i, payload, rest) VALUES (4, NULL, 'x${'\x1f'}y')`);
      const rows = (await conn.runAndReadAll(`SELECT i, hex(${payloadExpr()}) AS h, ${payloadExpr()} IS NULL AS missing FROM f ORDER BY i`)).getRowObjectsJS();
      expect(rows).toEqual([
        { i: 0, h: '616263', missing: false },
        { i: 1, h: '', missing: false },
        { i: 2, h: null, missing: true },
        { i: 3, h: '00FF', missing: false },
        { i: 4, h: null, missing: true },
      ]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('analysis/sql/base.sql', () => {
  it('carries the same payload macros and raw view as the code (stock duckdb CLI users get exact payloads)', async () => {
    const { readSqlFile } = await import('../../../analysis/sql-files.js');
    const { rawRowsSql, TEMPLATE_EMPTY_TABLE_SQL } = await import('../../../store/template/index.js');
    const sql = readSqlFile('base.sql');
    for (const m of [...PAYLOAD_MACROS_SQL, TEMPLATE_EMPTY_TABLE_SQL]) expect(sql).toContain(`${m};`);
    const [pre, post] = rawRowsSql('SELECT * FROM read_parquet(XX)').replace(/'/g, "''").split('XX');
    expect(sql).toContain(pre);
    expect(sql).toContain(post);
  });
});
