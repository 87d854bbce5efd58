/**
 * `ticktape query --format arrow | parquet` as a user runs them (the built CLI as a child process):
 * the Arrow IPC stream on stdout reads back with an Arrow reader to the same rows, types and bytes
 * as `openStore().query` gives, across several record batches; Parquet goes to --out.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../api/index.js';
import { sealClosedSegments } from '../../store/seal/index.js';
import { genRecords, hex, tmpDataDir, writeJournal } from '../store/seal/fixtures.js';

const MAIN = path.resolve('dist/cli/main.js');
let data = '';

function ticktape(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, MAIN, ...args], { encoding: 'buffer', env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn', ...env }, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

beforeAll(async () => {
  data = tmpDataDir('query-formats');
  await writeJournal(data, 'qf', [genRecords(5000, { connId: 'qf-a-1' })]);
  expect((await sealClosedSegments(data)).failures).toEqual([]);
  await writeJournal(data, 'qf2', [genRecords(1000, { connId: 'qf-b-1', exchange: 'nexus' })]);
}, 60_000);

afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

const SQL = 'SELECT exchange, conn_id, seq, recv_ns, payload, malformed, flags, date, sum(seq) OVER () AS total, 1.5::DECIMAL(4,2) AS d FROM raw ORDER BY recv_ns, conn_id, seq';

describe('ticktape query --format arrow', () => {
  it('writes an Arrow IPC stream to stdout: every row, 64-bit integers and payload bytes exact, sealed and journal data', async () => {
    const r = await ticktape(['query', '--data', data, '--format', 'arrow', SQL]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const table = tableFromIPC(r.stdout);
    const store = await openStore(data);
    const rows = await store.query<{ conn_id: string; seq: bigint; recv_ns: bigint; payload: Uint8Array; total: bigint }>(SQL);
    const viaApi = await store.queryArrow(SQL);
    store.close();
    expect(table.numRows).toBe(6000);
    expect(rows.length).toBe(6000);
    expect(table.batches.length).toBeGreaterThan(1); // streamed, not one blob
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(viaApi.schema.fields.map((f) => `${f.name}:${f.type}`));
    expect(String(table.schema.fields.find((f) => f.name === 'recv_ns')!.type)).toBe('Int64');
    expect(String(table.schema.fields.find((f) => f.name === 'payload')!.type)).toBe('Binary');
    const recv = table.getChild('recv_ns')!;
    const payload = table.getChild('payload')!;
    const conn = table.getChild('conn_id')!;
    for (const i of [0, 1, 2, 2047, 2048, 4999, 5000, 5999]) {
      expect(recv.get(i)).toBe(rows[i].recv_ns);
      expect(conn.get(i)).toBe(rows[i].conn_id);
      expect(hex(payload.get(i) as Uint8Array)).toBe(hex(rows[i].payload));
    }
    expect(table.getChild('total')!.get(0)).toBe(rows[0].total);
    expect(table.getChild('d')!.get(0)).toBe(1.5);
    expect(viaApi.numRows).toBe(6000);
  });

  it('an empty result is a stream with the schema and no rows', async () => {
    const r = await ticktape(['query', '--data', data, '--format', 'arrow', 'SELECT seq, stream FROM raw WHERE false']);
    // no rows is never silent: exit 4 and what the data holds on stderr, the (empty) stream on stdout
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/The query returned no rows\. The data holds .*\[TT_NO_DATA\]/);
    const t = tableFromIPC(r.stdout);
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['seq', 'stream']);
  });

  it('an SQL error exits 2 with TT_QUERY and writes nothing to stdout', async () => {
    const r = await ticktape(['query', '--data', data, '--format', 'arrow', 'SELECT nope FROM raw']);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^ticktape: SQL error: [\s\S]*\[TT_QUERY\]\n$/);
  });
});

describe('apache-arrow is loaded only where Arrow is handed out', () => {
  it('a CSV query and `ls` load no module of apache-arrow; --format arrow does', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(data), 'arrow-load-'));
    try {
      // A module hook (node --import) that logs every apache-arrow module the process loads.
      const log = path.join(dir, 'loaded.txt');
      fs.writeFileSync(
        path.join(dir, 'hooks.mjs'),
        `import fs from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/apache-arrow/')) fs.appendFileSync(process.env.TT_ARROW_LOG, r.url + '\\n'); return r; }\n`,
      );
      fs.writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
      const run = async (args: string[]) => {
        fs.rmSync(log, { force: true });
        const r = await ticktape(args, ['--import', path.join(dir, 'register.mjs')], { TT_ARROW_LOG: log });
        expect(r.code, r.stderr).toBe(0);
        return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      };
      expect(await run(['query', '--data', data, '--format', 'csv', 'SELECT count(*) FROM raw'])).toBe('');
      expect(await run(['ls', '--data', data])).toBe('');
      expect(await run(['query', '--data', data, '--format', 'arrow', 'SELECT 1 AS x'])).toContain('/apache-arrow/');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ticktape query --format parquet', () => {
  it('writes the last statement to --out as Parquet', async () => {
    const out = path.join(data, '..', `${path.basename(data)}-out.parquet`);
    const r = await ticktape(['query', '--data', data, '--format', 'parquet', '--out', out, "SET VARIABLE ex = 'nexus'; SELECT exchange, seq, payload FROM raw WHERE exchange = getvariable('ex') -- nexus only; really"]);
    expect(r.stderr).toContain(`wrote 1000 rows to ${out}`);
    expect(r.code).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (await c.runAndReadAll(`SELECT count(*), count(DISTINCT exchange) FROM read_parquet('${out}')`)).getRows();
    c.closeSync();
    expect(rows[0]).toEqual([1000n, 1n]);
    fs.rmSync(out, { force: true });
  });

  it('without --out is TT_CONFIG_INVALID (exit 2)', async () => {
    const r = await ticktape(['query', '--data', data, '--format', 'parquet', 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[TT_CONFIG_INVALID]');
  });
});
