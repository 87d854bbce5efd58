/**
 * The normalized replay: `GET /normalized` streams normalized rows as NDJSON, merged across
 * exchanges and kinds by receive time; `/normalized` over WebSocket sends the same rows, one message
 * each, then closes with 1000.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { query } from '../recorder/sim-harness.js';
import { collect, fixtureData } from './fixture.js';

let data: string;
let replay: ReplayServer;

beforeAll(async () => {
  data = await fixtureData('tt-replay-norm-');
  replay = await startReplay({ dataDir: data, port: 0, speed: 'max' });
}, 60_000);
afterAll(async () => {
  await replay?.close();
});

type Row = Record<string, unknown> & { kind: string; exchange: string; recv_ns: string | number };

async function ndjson(q: string): Promise<{ status: number; type: string | null; rows: Row[] }> {
  const res = await fetch(`http://127.0.0.1:${replay.port}/normalized?${q}`);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    rows:
      res.status === 200
        ? text
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}

const ns = (r: Row) => BigInt(String(r.recv_ns));

it('NDJSON of trades and books of every exchange, merged by receive time', async () => {
  const { status, type, rows } = await ndjson('kinds=trade,book');
  expect(status).toBe(200);
  expect(type).toContain('ndjson');
  const [counts] = await query(data, `SELECT (SELECT count(*) FROM trades) AS t, (SELECT count(*) FROM book) AS b`);
  expect(rows.filter((r) => r.kind === 'trades').length).toBe(Number(counts.t));
  expect(rows.filter((r) => r.kind === 'book').length).toBe(Number(counts.b));
  expect(new Set(rows.map((r) => r.exchange)).size).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < rows.length; i++) expect(ns(rows[i]) >= ns(rows[i - 1])).toBe(true);
  // interleaved across exchanges, not one exchange after the other
  let switches = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i].exchange !== rows[i - 1].exchange) switches++;
  expect(switches).toBeGreaterThan(20);
  // the same rows in the same order every time (rows of one frame included)
  expect((await ndjson('kinds=trade,book')).rows).toEqual(rows);
});

it('filters by exchange and time range', async () => {
  const all = (await ndjson('kinds=trade&exchange=coinstore')).rows;
  expect(all.length).toBeGreaterThan(10);
  expect(new Set(all.map((r) => r.exchange))).toEqual(new Set(['coinstore']));
  const from = ns(all[Math.floor(all.length / 3)]);
  const to = ns(all[Math.floor((all.length * 2) / 3)]);
  const part = (await ndjson(`kinds=trade&exchange=coinstore&from=${from}&to=${to}`)).rows;
  expect(part).toEqual(all.filter((r) => ns(r) >= from && ns(r) < to));
});

it('the WebSocket form sends the same rows, then closes with 1000', async () => {
  const { rows } = await ndjson('kinds=trade,ticker&exchange=coinstore,coinceres');
  const c = await collect(`ws://127.0.0.1:${replay.port}/normalized?kinds=trade,ticker&exchange=coinstore,coinceres`);
  const end = await c.closed;
  expect(end.code).toBe(1000);
  expect(c.messages.map((m) => JSON.parse(m))).toEqual(rows);
  expect(rows.some((r) => r.kind === 'tickers')).toBe(true);
});

it('an unknown kind is a 400 with a hint, and the server keeps serving', async () => {
  const bad = await fetch(`http://127.0.0.1:${replay.port}/normalized?kinds=gossip`);
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toMatch(/unknown kind "gossip"/);
  const ws = await collect(`ws://127.0.0.1:${replay.port}/normalized?kinds=gossip`);
  expect((await ws.closed).code).toBe(1008);
  expect((await ndjson('kinds=trade&exchange=nexus')).status).toBe(200);
});
