/**
 * `ticktape demo` as a person runs it (the built CLI, a child process): it records the four
 * exchanges from the built-in simulator, replays to the sample bot, prints the analysis and writes
 * a report that opens without network.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const EXCHANGES = ['coinstore', 'coinsuper', 'nexus', 'coinceres'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(dataDir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'demo', '--seconds', '6', '--data', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not finish; stdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`));
    }, 170_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** The table printed under `title`: its header cells and data rows (cells split on 2+ spaces). */
function tableAfter(stdout: string, title: string): { header: string[]; rows: string[][]; count: number } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l === title);
  if (at < 0) throw new Error(`no "${title}" in the demo output:\n${stdout}`);
  const header = lines[at + 1].trim().split(/\s{2,}/);
  expect(lines[at + 2]).toMatch(/^-+(\s+-+)*$/);
  const rows: string[][] = [];
  let i = at + 3;
  for (; i < lines.length && !/^\(\d+ rows?\)$/.test(lines[i]); i++) rows.push(lines[i].trim().split(/\s{2,}/));
  const count = Number(/^\((\d+) rows?\)$/.exec(lines[i] ?? '')?.[1] ?? NaN);
  return { header, rows, count };
}

let data: string;
let run: Run;

beforeAll(async () => {
  data = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-demo-')), 'demo');
  run = await runDemo(data);
}, 180_000);

afterAll(() => {
  if (data) fs.rmSync(path.dirname(data), { recursive: true, force: true });
});

describe('ticktape demo --seconds 6', () => {
  it('exits 0 and prints the three steps', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^1/3  Recording all four exchanges from the built-in simulator for 6 s into ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(run.stdout).toMatch(/^2\/3  Replaying the recording at 10x to a sample Coinstore bot$/m);
    expect(run.stdout).toMatch(/^3\/3  Analysis$/m);
    const steps = ['1/3', '2/3', '3/3'].map((s) => run.stdout.indexOf(`${s}  `));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('the replay line: frames received, no holes in S, closed with 1000 at the end of the range', () => {
    const m = /ws:\/\/127\.0\.0\.1:\d+\/coinstore\/s\/ws: (\d+) frames \((\d+) trades, (\d+) books\) in [\d.]+ s, S holes: (\d+), closed with (\d+) at the end of the range/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    const [, frames, trades, books, holes, close] = m!.map(Number);
    expect(frames).toBeGreaterThan(0);
    expect(trades).toBeGreaterThan(0);
    expect(books).toBeGreaterThan(0);
    expect(holes).toBe(0);
    expect(close).toBe(1000);
  });

  it('prints the analysis tables: trades, bars, spread of every exchange, no gaps', () => {
    const trades = tableAfter(run.stdout, 'Trades per exchange and symbol');
    expect(trades.header.slice(0, 3)).toEqual(['exchange', 'symbol', 'trades']);
    expect(trades.count).toBe(trades.rows.length);
    // every exchange with a trade stream (Nexus publishes books only)
    expect(new Set(trades.rows.map((r) => r[0]))).toEqual(new Set(['coinstore', 'coinsuper', 'coinceres']));
    for (const r of trades.rows) expect(Number(r[2])).toBeGreaterThan(0);

    const bars = tableAfter(run.stdout, '10-second bars, Coinstore BTCUSDT');
    expect(bars.header).toEqual(expect.arrayContaining(['open', 'high', 'low', 'close', 'volume']));
    expect(bars.count).toBeGreaterThan(0);
    expect(bars.rows.every((r) => r[0] === 'coinstore' && r[1] === 'BTCUSDT')).toBe(true);

    const spread = tableAfter(run.stdout, 'Spread (bps) per exchange and symbol');
    expect(new Set(spread.rows.map((r) => r[0]))).toEqual(new Set(EXCHANGES));

    const gaps = tableAfter(run.stdout, 'Gaps');
    expect(gaps.header.slice(0, 3)).toEqual(['exchange', 'stream', 'cause']);
    expect(gaps.count).toBe(0);
  });

  it('writes a self-contained report: no resource loaded over the network', () => {
    const m = /^Report: (.+)$/m.exec(run.stdout);
    expect(m).not.toBeNull();
    const report = m![1];
    expect(path.dirname(report)).toBe(data);
    const html = fs.readFileSync(report, 'utf8');
    expect(html.slice(0, 200).toLowerCase()).toContain('<!doctype html>');
    expect(html.length).toBeGreaterThan(10_000);
    // scripts and styles are inline: no <script src> and no <link href> pointing at http(s) or protocol-relative URLs
    const scriptSrcs = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)].map((x) => x[1]);
    const linkHrefs = [...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)/gi)].map((x) => x[1]);
    for (const u of [...scriptSrcs, ...linkHrefs]) expect(u, u).not.toMatch(/^(https?:)?\/\//i);
    expect(scriptSrcs).toEqual([]);
    expect(html).not.toMatch(/@import\s+url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<(img|iframe)\b[^>]*\bsrc\s*=\s*["']?(https?:)?\/\//i);
    // it has its charts' code inline
    expect((html.match(/<script\b/gi) ?? []).length).toBeGreaterThan(0);
  });

  it('leaves sealed partitions of all four exchanges and no open journal segment', () => {
    for (const ex of EXCHANGES) {
      const dir = path.join(data, 'raw', `exchange=${ex}`);
      expect(fs.existsSync(dir), dir).toBe(true);
      const files = fs.readdirSync(dir, { recursive: true }) as string[];
      expect(
        files.some((f) => f.endsWith('.parquet')),
        ex,
      ).toBe(true);
    }
    const journal = path.join(data, 'journal');
    const open = fs.existsSync(journal) ? (fs.readdirSync(journal, { recursive: true }) as string[]).filter((f) => f.endsWith('.ttj.open')) : [];
    expect(open).toEqual([]);
  });

  it('prints the next step to try', () => {
    expect(run.stdout).toContain(`ticktape query --data ${data}`);
  });
});
