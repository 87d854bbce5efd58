/**
 * CLI conventions, on the built CLI: every subcommand has complete --help (exit 0, usage, every
 * option described, defaults shown); usage errors exit 2 with a message saying what to do; an
 * empty data folder is exit 4 where nothing can be served; data goes to stdout, logs to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../core/errors.js';
import { runCli, tmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

const SUBCOMMANDS = ['record', 'simulate', 'replay', 'query', 'analyze', 'report', 'ls', 'verify', 'seal', 'demo'];

let empty: string;
beforeAll(() => {
  empty = path.join(tmpDir('tt-cli-'), 'data');
  fs.mkdirSync(empty);
});

describe('help', () => {
  it('ticktape --help lists every subcommand and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(EXIT.OK);
    for (const c of SUBCOMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes:');
    for (const [n, what] of [
      [0, 'success'],
      [1, 'runtime'],
      [2, 'usage'],
      [3, 'damage'],
      [4, 'no data'],
    ] as const)
      expect(r.stdout).toMatch(new RegExp(`^\\s+${n}\\s+${what}`, 'mi'));
  });

  it.each(SUBCOMMANDS)('ticktape %s --help: exit 0, usage and every option described on stdout', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: ticktape ${cmd} `, 'm'));
    const options = r.stdout.split('\n').filter((l) => /^\s{2}-/.test(l));
    expect(options.length).toBeGreaterThan(1);
    // every option line carries a description after the flag column
    for (const line of options) expect(line.trim(), line).toMatch(/^-\S.*\s{2,}\S/);
  });

  it.each(SUBCOMMANDS.filter((c) => !['verify', 'ls'].includes(c)))('ticktape %s --help shows examples', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.stdout).toMatch(/^Examples:$/m);
    expect(r.stdout).toMatch(new RegExp(`^\\s+ticktape ${cmd}\\b`, 'm'));
  });

  it('defaults are shown where an option has one', async () => {
    const replay = (await runCli(['replay', '--help'])).stdout;
    expect(replay).toMatch(/--port <n>.*\(default: 8001\)/s);
    expect(replay).toMatch(/\(default: "127\.0\.0\.1"\)/);
    const sim = (await runCli(['simulate', '--help'])).stdout;
    expect(sim).toMatch(/--port <port>.*\(default: 9001\)/s);
    const rec = (await runCli(['record', '--help'])).stdout;
    expect(rec).toMatch(/--http <addr>.*default 127\.0\.0\.1:9100/s);
    expect(rec).toContain('TICKTAPE_COINSTORE_API_KEY');
  });

  it('--version prints the version alone on stdout', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors exit 2 and say what to do', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['unknown subcommand', () => ['nope'], /unknown command 'nope'[\s\S]*--help/],
    ['unknown option', () => ['ls', '--nope'], /unknown option '--nope'[\s\S]*--help/],
    ['missing argument', () => ['query'], /missing required argument 'sql'/],
    ['bad number', () => ['demo', '--seconds', 'abc'], /--seconds must be a non-negative integer/],
    // every command's --format through its schema, in the same words
    ['bad choice', () => ['ls', '--format', 'xml'], /^ticktape: --format "xml" is not one of table, json \[TT_CONFIG_INVALID\]\n$/],
    ['bad choice, near one', () => ['ls', '--data', empty, '--format', 'jsn'], /^ticktape: --format "jsn" is not one of table, json \(did you mean json\?\) \[TT_CONFIG_INVALID\]\n$/],
    ['bad choice (query)', () => ['query', '--data', empty, '--format', 'xml', 'SELECT 1'], /^ticktape: --format "xml" is not one of table, csv, json, arrow, parquet \[TT_CONFIG_INVALID\]\n$/],
    ['bad speed', () => ['replay', '--data', empty, '--speed', '0', '--port', '0'], /--speed must be a positive number or "max"/],
    ['bad time', () => ['analyze', 'bars', '--data', empty, '--from', 'yesterday'], /--from cannot be read as a time: "yesterday": use ISO 8601/],
    ['nothing to record', () => ['record', '--http', 'off', '--data', empty], /give --config FILE, or --exchange NAME --channels LIST, or --simulate/],
    ['unknown channel', () => ['record', '--http', 'off', '--data', empty, '--exchange', 'coinstore', '--channels', 'btcusdt@nope'], /--channels: unknown channel "btcusdt@nope" for coinstore[\s\S]*valid forms/],
    ['unknown exchange', () => ['record', '--http', 'off', '--data', empty, '--exchange', 'binance', '--channels', 'x'], /unknown exchange "binance" — use one of: coinstore/],
    ['unreadable config', () => ['record', '--config', '/nonexistent/ticktape.yaml'], /Cannot read config file \/nonexistent\/ticktape\.yaml.*Check the path/],
    ['SQL error', () => ['query', '--data', empty, 'SELEC 1'], /SQL error[\s\S]*\[TT_QUERY\]/],
    ['unknown script', () => ['analyze', 'nope', '--data', empty], /No analysis script "nope"\. Run `ticktape analyze --list`/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await runCli(args(), { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(message);
    // one `ticktape: <what> [TT_CODE]` message, never a stack trace
    expect(r.stderr).toMatch(/^ticktape: [\s\S]+ \[TT_[A-Z_]+\]\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});

describe('exit codes beyond usage', () => {
  it('replay of a folder without recorded frames exits 4 and names the folder', async () => {
    const r = await runCli(['replay', '--data', empty, '--port', '0'], { timeoutMs: 30_000 });
    expect(r.code).toBe(EXIT.NO_DATA);
    expect(r.stderr).toContain(`No recorded frames in ${empty}`);
    expect(r.stderr).toContain('ticktape ls');
  });

  it.each([[['query', 'SELECT 1']], [['analyze', 'bars']], [['report', '--out', '/dev/null']], [['ls']], [['verify']], [['seal']], [['replay', '--port', '0']]])('%j with a --data folder that does not exist exits 4 and names it', async (args) => {
    const missing = path.join(empty, 'no-such-folder');
    const [cmd, ...rest] = args;
    const r = await runCli([cmd, '--data', missing, ...rest], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(EXIT.NO_DATA);
    expect(r.stderr).toContain(`No data folder at ${missing}: point --data at the folder`);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('verify of a clean (empty) folder exits 0', async () => {
    const r = await runCli(['verify', '--data', empty]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain('OK: no damage found.');
  });
});

describe('stdout is data, stderr is logs', () => {
  it('ls --format json and analyze --list print only data on stdout', async () => {
    const ls = await runCli(['ls', '--data', empty, '--format', 'json']);
    expect(ls.code).toBe(0);
    expect(() => JSON.parse(ls.stdout)).not.toThrow();
    const list = await runCli(['analyze', '--list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toBe('script,what it answers,parameters');
    expect(lines.map((l) => l.split(',')[0])).toContain('bars');
  });

  it('query --format csv: the result on stdout, nothing on stderr', async () => {
    const r = await runCli(['query', '--data', empty, '--format', 'csv', 'SELECT 42 AS answer']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('answer\n42\n');
    expect(r.stderr).toBe('');
  });
});
