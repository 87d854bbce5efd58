/**
 * `ticktape analyze` and `ticktape report` as child processes (stdout and stderr are pipes, no TTY)
 * on a recording of the simulator with dropped connections; every script also run from the plain
 * SQL files through a bare DuckDB instance, as the stock duckdb CLI would run them (no duckdb CLI
 * can be installed here: Debian ships none, and there is no network); the report opened in headless
 * Chromium, its DOM and a screenshot checked.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScripts, setScriptParams } from '../../analysis/scripts.js';
import { readSqlFile, splitStatements } from '../../analysis/sql-files.js';
import { REPORT_CHARTS } from '../../analysis/report/page.js';
import { CLI, ROOT } from '../recorder/harness.js';
import { runPage } from '../exchanges/coinceres/chromium.js';
import { skipWithout } from '../helpers/system-tools.js';
import { recordFixture, type Fixture } from './fixture.js';
import { colouredPixels, decodePng } from './png.js';

let fx: Fixture;

beforeAll(async () => {
  fx = await recordFixture({ faults: { dropEverySeconds: 2 }, minFrames: 150, minReconnects: 1 });
}, 120_000);

afterAll(() => fx?.cleanup());

function ticktape(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The parameters every script run gets (scripts ignore the ones they do not use). */
const PARAMS = ['--exchange', 'coinstore', '--symbol', 'BTCUSDT', '--interval', '1 second'];

/** Same table, numbers equal to 1e-9 relative (parallel sums of doubles may differ in the last bits). */
function sameRows(a: Record<string, unknown>[], b: Record<string, unknown>[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const ka = Object.keys(a[i]);
    if (ka.join() !== Object.keys(b[i]).join()) return false;
    for (const k of ka) {
      // --format json writes 64-bit integers as numbers where exact; the engine's JSON gives strings
      const asNum = (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v);
      const x = asNum(a[i][k]);
      const y = asNum(b[i][k]);
      if (typeof x === 'number' && typeof y === 'number') {
        if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) return false;
      } else if (JSON.stringify(x) !== JSON.stringify(y)) return false;
    }
  }
  return true;
}

describe('ticktape analyze', () => {
  it('--list shows every script with one line; a bad name exits 2 and lists them', async () => {
    const scripts = listScripts();
    expect(scripts.length).toBeGreaterThanOrEqual(8);
    const list = await ticktape(['analyze', '--list']);
    expect(list.code).toBe(0);
    for (const s of scripts) {
      expect(list.stdout).toContain(s.name);
      expect(s.summary.length).toBeGreaterThan(10);
    }
    const bad = await ticktape(['analyze', 'no_such_script', '--data', fx.data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no_such_script');
    for (const s of scripts) expect(bad.stderr).toContain(s.name);
  });

  it('every script runs with csv (the default in a pipe), json and parquet output, and matches the plain SQL files run as the duckdb CLI would', async () => {
    // The plain SQL files read sealed partitions only (base.sql), ticktape adds the unsealed journal:
    // seal what the recorder's final seal left (it has a time budget, which a loaded machine can
    // exceed), as base.sql asks, so both read the same frames.
    const sealed = await ticktape(['seal', '--data', fx.data]);
    expect(sealed.code, sealed.stderr).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      // As in the stock CLI: SET VARIABLE data = ...; .read base.sql; .read views.sql; .read <script>.sql
      await conn.run(`SET VARIABLE data = '${fx.data.replace(/'/g, "''")}'`);
      for (const f of ['base.sql', 'views.sql']) for (const stmt of splitStatements(readSqlFile(f))) await conn.run(stmt);
      await setScriptParams(conn, { exchange: 'coinstore', symbol: 'BTCUSDT', interval: '1 second' });
      let nonEmpty = 0;
      for (const s of listScripts()) {
        const csv = await ticktape(['analyze', s.name, '--data', fx.data, ...PARAMS]);
        expect(csv.code, `${s.name}: ${csv.stderr}`).toBe(0);
        expect(csv.stderr).not.toContain('\r'); // no progress line without a TTY
        const json = await ticktape(['analyze', s.name, '--data', fx.data, ...PARAMS, '--format', 'json']);
        expect(json.code, json.stderr).toBe(0);
        const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
        const header = csv.stdout.split('\n')[0];
        const cols = rows.length ? Object.keys(rows[0]) : header.split(',');
        expect(header).toBe(cols.join(','));
        expect(csv.stdout.trimEnd().split('\n').length - 1).toBe(rows.length);
        const out = path.join(fx.dir, `${s.name}.parquet`);
        const pq = await ticktape(['analyze', s.name, '--data', fx.data, ...PARAMS, '--format', 'parquet', '--out', out]);
        expect(pq.code, pq.stderr).toBe(0);
        const back = await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${out}')`);
        expect(Number(back.getRows()[0][0])).toBe(rows.length);
        // The same script from its file through the bare engine.
        let plain: Record<string, unknown>[] = [];
        for (const stmt of splitStatements(readSqlFile(`${s.name}.sql`))) {
          const r = await conn.runAndReadAll(stmt);
          plain = (r.getRowsJson() as unknown[][]).map((row) => Object.fromEntries(r.columnNames().map((c, i) => [c, row[i]])));
        }
        expect(sameRows(plain, rows), `${s.name}: plain SQL and ticktape analyze differ`).toBe(true);
        if (rows.length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBe(listScripts().length);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }, 240_000);
});

describe('ticktape report', () => {
  it.skipIf(skipWithout('chromium', 'the report in Chromium'))(
    'writes one self-contained HTML file whose charts draw in headless Chromium',
    async () => {
      const out = path.join(fx.dir, 'report.html');
      const r = await ticktape(['report', '--data', fx.data, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(out);
      const html = fs.readFileSync(out, 'utf8');
      // Self-contained: no script, style or image is fetched from anywhere.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]+\.(js|css)/);

      const dom = runPage(out, fx.dir, ['--dump-dom']);
      expect(dom.status, dom.stderr).toBe(0);
      const body = /<body([^>]*)>/.exec(dom.stdout)?.[1] ?? '';
      expect(body).toContain(`data-rendered="${REPORT_CHARTS}"`);
      expect(body).toContain(`data-inked="${REPORT_CHARTS}"`);

      const png = path.join(fx.dir, 'report.png');
      const shot = runPage(out, fx.dir, [`--screenshot=${png}`, '--window-size=1200,2400']);
      expect(shot.status, shot.stderr).toBe(0);
      const img = decodePng(fs.readFileSync(png));
      expect(img.width).toBe(1200);
      // Charts, not an empty page: at least 2% of the screenshot is coloured (series, bars, heat cells).
      expect(colouredPixels(img) / (img.width * img.height)).toBeGreaterThan(0.02);
      if (process.env.TT_REPORT_SCREENSHOT) fs.copyFileSync(png, process.env.TT_REPORT_SCREENSHOT);
    },
    240_000,
  );
});
