/**
 * The READMEs' examples run as written. Every shell block (```sh and plain ``` blocks) and every
 * ```sql block is taken from README.md and analysis/README.md (the SQL cookbook) and run against a small real recording of the simulator:
 * - a `ticktape …` / `npx ticktape …` line runs in a folder whose `./data` is the recording, and
 *   must exit 0;
 * - a synopsis line (options in `[…]` or placeholders in `<…>`) is not a command: each `--flag` it
 *   shows must be one the command's `--help` lists;
 * - a ```sql statement runs through `ticktape query` and must return rows (`query` exits 4 when a
 *   statement returns none);
 * - a block preceded by `<!-- readme-test: skip — <reason> -->` is not run (other engines, root,
 *   a bucket, the production exchanges); the reason is required.
 * The README's example times (2026-11-23, around 10:00 UTC) stand for "a time in your recording":
 * they are moved, keeping their distance from 10:00, to the middle of the recording.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, removeTmpDirs, runCli, tmpDir } from '../hardening/helpers.js';
import { readmeBlocks } from './readme-blocks.js';

/** The leading comment of a SQL example whose result may have no rows on a short recording. */
const MAY_BE_EMPTY_NOTE = '/* may be empty */';
const MAY_BE_EMPTY = /\/\* may be empty \*\//;

/** `ticktape …` lines of a shell block, trailing `# comments` removed. */
export function commandLines(body: string): string[] {
  return body
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => /^(npx )?ticktape\s/.test(l));
}

export const isSynopsis = (cmd: string): boolean => /\[|<[a-z]/.test(cmd);

/** The statements of a ```sql block, `--` comment lines dropped. */
export function sqlStatements(body: string): string[] {
  return body
    .split('\n')
    .map((l) => (l.trim().startsWith('--') && /\bmay be empty\b/.test(l) ? MAY_BE_EMPTY_NOTE : l))
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const EXAMPLE_ANCHOR_MS = Date.parse('2026-11-23T10:00:00Z');

/** Moves the README's example times by `shiftMs`, keeping each one's written form. */
export function shiftExampleTimes(text: string, shiftMs: number): string {
  return text.replace(/2026-11-23([T ])(\d\d):(\d\d)(?::(\d\d))?(Z?)/g, (_m, sep: string, hh: string, mm: string, ss: string | undefined) => {
    const iso = new Date(Date.parse(`2026-11-23T${hh}:${mm}:${ss ?? '00'}Z`) + shiftMs).toISOString();
    return sep === 'T' ? iso : iso.replace('T', ' ').replace('Z', '');
  });
}

const DOCS = ['README.md', 'analysis/README.md'];
const blocks = DOCS.flatMap((file) => readmeBlocks(fs.readFileSync(path.join(ROOT, file), 'utf8')).map((b) => ({ ...b, file })));
const shellBlocks = blocks.filter((b) => (b.lang === '' || b.lang === 'sh') && !b.skip && commandLines(b.body).length > 0);
const sqlBlocks = blocks.filter((b) => b.lang === 'sql' && !b.skip);

let cwd = '';
let shiftMs = 0;

function sh(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const line = command.replace(/^(npx )?ticktape\s/, `"${process.execPath}" "${CLI}" `);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd, env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish; stderr:\n${stderr.slice(-2000)}`));
    }, 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

beforeAll(async () => {
  cwd = tmpDir('tt-readme-');
  // A recording with a few disconnects, so the gaps examples have rows too.
  fs.writeFileSync(path.join(cwd, 'record.yaml'), 'data: ./data\nhttp: "off"\nsimulate: { seed: 1, faults: { dropEverySeconds: 4 } }\n');
  const rec = spawn(process.execPath, [CLI, 'record', '--config', 'record.yaml'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rec.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
  // record until several drops have happened (frames are journaled as they come; queries read the journal too)
  const deadline = Date.now() + 120_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const q = await runCli(['query', '--data', path.join(cwd, 'data'), '--format', 'csv', "SELECT count(*) FILTER (WHERE kind = 'disconnected') AS d, count(DISTINCT exchange) FILTER (WHERE kind IN ('text', 'binary')) AS x FROM raw"]);
    const [d, x] = (q.stdout.trim().split('\n')[1] ?? '0,0').split(',').map(Number);
    if (d! >= 4 && x === 4) break;
    if (Date.now() > deadline) throw new Error(`the recording did not get going; stderr:\n${stderr.slice(-3000)}`);
  }
  rec.kill('SIGINT');
  expect(await exited, stderr.slice(-2000)).toBe(0);
  const range = await runCli(['query', '--data', path.join(cwd, 'data'), '--format', 'csv', 'SELECT (min(recv_ns) + max(recv_ns)) // 2000000 FROM trades']);
  shiftMs = Number(range.stdout.trim().split('\n')[1]) - EXAMPLE_ANCHOR_MS;
}, 240_000);

afterAll(() => removeTmpDirs());

describe('README examples', () => {
  it('every skipped block says why, and the skipped set stays small', () => {
    const skipped = blocks.filter((b) => b.skip);
    for (const b of skipped) expect(b.skip!.length, `${b.file}:${b.line}`).toBeGreaterThan(5);
    expect(skipped.length).toBeLessThanOrEqual(9);
    // the blocks this test runs are the ones the README shows for ticktape itself
    expect(shellBlocks.length).toBeGreaterThanOrEqual(5);
    expect(sqlBlocks.length).toBeGreaterThanOrEqual(1);
    // a marker is only recognised right before a fence
    const markers = DOCS.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8').match(/<!-- readme-test:/g)?.length ?? 0);
    expect(markers.reduce((a, n) => a + n, 0)).toBe(skipped.length);
  });

  for (const b of shellBlocks) {
    for (const cmd of commandLines(b.body)) {
      if (isSynopsis(cmd)) {
        it(`${b.file}:${b.line} synopsis: ${cmd.slice(0, 90)}`, async () => {
          const sub = /ticktape\s+(\w+)/.exec(cmd)![1]!;
          const help = await runCli([sub, '--help']);
          expect(help.code, help.stderr).toBe(0);
          for (const flag of cmd.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, `${flag} in ticktape ${sub} --help`).toContain(flag);
        });
      } else {
        it(`${b.file}:${b.line} runs: ${cmd.slice(0, 90)}`, async () => {
          const r = await sh(shiftExampleTimes(cmd, shiftMs));
          expect(r.code, `${cmd}\n${r.stderr.slice(-2000)}`).toBe(0);
          expect(r.stderr).not.toMatch(/^\s+at /m);
        }, 150_000);
      }
    }
  }

  for (const b of sqlBlocks) {
    for (const stmt of sqlStatements(b.body)) {
      it(`${b.file}:${b.line} returns rows: ${stmt.replace(/\s+/g, ' ').slice(0, 90)}`, async () => {
        const r = await runCli(['query', '--data', path.join(cwd, 'data'), '--format', 'csv', shiftExampleTimes(stmt, shiftMs)], { cwd });
        // a statement whose comment says "may be empty" selects what a short recording may not hold
        // (outliers): no rows is then exit 4 with the query's hint, as documented, and nothing else
        if (MAY_BE_EMPTY.test(stmt) && r.code === 4) {
          expect(r.stderr, stmt).toMatch(/^ticktape: .*\[TT_NO_DATA\]$/m);
          return;
        }
        expect(r.code, `${stmt}\n${r.stderr.slice(-2000)}`).toBe(0);
        expect(r.stdout.trim().split('\n').length, stmt).toBeGreaterThan(1);
        // a LIMIT only shortens what is shown: the statement must hold for every row of the data
        // (whichever rows come first), e.g. a decode() that a binary frame would break; the CAST makes
        // DuckDB compute every column of every row
        const unlimited = /^([\s\S]*?)\s+LIMIT\s+\d+$/i.exec(stmt)?.[1];
        if (unlimited) {
          const all = await runCli(['query', '--data', path.join(cwd, 'data'), '--format', 'csv', `SELECT count(*), max(length(CAST(x AS VARCHAR))) FROM (${shiftExampleTimes(unlimited, shiftMs)}) x`], { cwd });
          expect(all.code, `${unlimited}\n${all.stderr.slice(-2000)}`).toBe(0);
        }
      }, 120_000);
    }
  }
});
