/**
 * One way to configure, and the mistakes it catches: every command's options go through one schema
 * (named as flags on the command line, as option keys from the library), numeric options have
 * bounds, a misspelled TICKTAPE_* variable is named with the one meant, a quick-form typo names its
 * flag, unreadable JSON is TT_CONFIG_UNREADABLE, and a long-running command exits 1 when its stop
 * fails (run-until-signal, in a child process with real signals).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../core/errors.js';
import { isTicktapeError } from '../../core/errors.js';
import { parseReplayOptions } from '../../replay/options-schema.js';
import { parseSimulatorOptions } from '../../simulator/options-schema.js';
import { parseAnalyzeOptions } from '../../analysis/options-schema.js';
import { parseRecordFlags } from '../../recorder/flags-schema.js';
import { envWarnings } from '../../cli/env-warnings.js';
import { ROOT, removeTmpDirs, runCli, tmpDir } from '../hardening/helpers.js';

afterAll(removeTmpDirs);

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isTicktapeError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('no error');
}

describe('option schemas (shared by the CLI and the library)', () => {
  it('name an option the caller’s way: --grace-ms on the command line, graceMs from code', () => {
    expect(errorOf(() => parseReplayOptions({ graceMs: 'abc' }, 'flag')).message).toBe('--grace-ms must be an integer from 0 to 60000 (ms), got "abc"');
    expect(errorOf(() => parseReplayOptions({ graceMs: -1 })).message).toBe('graceMs must be an integer from 0 to 60000 (ms), got -1');
  });

  it('turn the CLI’s text and the library’s values into the same options', () => {
    const fromCli = parseReplayOptions({ port: '0', speed: '10', from: '2026-11-23T10:00:00Z', graceMs: '100' }, 'flag');
    const fromCode = parseReplayOptions({ port: 0, speed: 10, from: new Date('2026-11-23T10:00:00Z'), graceMs: 100 });
    expect(fromCli).toEqual(fromCode);
    expect(fromCode.fromNs).toBe(1_795_428_000_000_000_000n);
    expect(parseReplayOptions({ from: 1_795_428_000_000_000_000n }).fromNs).toBe(1_795_428_000_000_000_000n);
  });

  it('refuse an unknown option, suggesting the one meant', () => {
    expect(errorOf(() => parseReplayOptions({ graceMS: 5 })).message).toMatch(/unknown option graceMS \(did you mean graceMs\?\)/);
  });

  it('bound every numeric option', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => parseReplayOptions({ maxConnections: 0 }, 'flag'), /--max-connections must be an integer from 1 to 100000, got 0/],
      [() => parseReplayOptions({ maxBufferedBytes: 10 }, 'flag'), /--max-buffered-bytes must be an integer from 65536/],
      [() => parseReplayOptions({ speed: 0 }, 'flag'), /--speed must be a positive number or "max"/],
      [() => parseReplayOptions({ sessionKeepMs: 1e12 }, 'flag'), /--session-keep-ms must be an integer from 0 to 86400000/],
      [() => parseSimulatorOptions({ rate: '0' }, 'flag', {}), /--rate must be a number of steps per second above 0/],
      [() => parseSimulatorOptions({ faultMalformedRate: 2 }, 'flag', {}), /--fault-malformed-rate must be a number from 0 to 1/],
      [() => parseSimulatorOptions({ faultDropEvery: 0 }, 'flag', {}), /--fault-drop-every must be a positive integer/],
      [() => parseSimulatorOptions({ seed: -3 }, 'flag', {}), /--seed must be a non-negative integer/],
      [() => parseSimulatorOptions({ port: 65536 }, 'flag', {}), /--port 65536 is not a port/],
      [() => parseRecordFlags({ sealIntervalMs: '0' }, 'flag'), /--seal-interval-ms must be an integer from 1000 to 86400000 \(ms\), got 0/],
      [() => parseRecordFlags({ fsyncIntervalMs: '0' }, 'flag'), /--fsync-interval-ms must be an integer from 1 to 60000/],
      [() => parseRecordFlags({ staggerMs: '-1' }, 'flag'), /--stagger-ms must be an integer from 0 to 60000/],
      [() => parseRecordFlags({ rate: '0' }, 'flag'), /--rate must be the simulator's steps per second, above 0/],
      [() => parseAnalyzeOptions({ interval: 'banana' }, 'flag'), /--interval "banana" is not an interval/],
    ];
    for (const [fn, re] of cases) expect(errorOf(fn).message).toMatch(re);
    expect(parseRecordFlags({ rate: 'max' }, 'flag').rate).toBe('max');
    expect(parseSimulatorOptions({ rate: 'max' }, 'flag', {}).rate).toBe('max');
  });

  it('an unknown exchange is TT_UNKNOWN_EXCHANGE, a bad time TT_BAD_TIME, a reversed range too', () => {
    expect(errorOf(() => parseAnalyzeOptions({ exchange: 'binance' }, 'flag')).code).toBe('TT_UNKNOWN_EXCHANGE');
    expect(errorOf(() => parseAnalyzeOptions({ from: 'yesterday' }, 'flag')).code).toBe('TT_BAD_TIME');
    expect(errorOf(() => parseReplayOptions({ from: '2026-01-02', to: '2026-01-01' }, 'flag')).code).toBe('TT_BAD_TIME');
  });
});

describe('misspelled TICKTAPE_* variables', () => {
  it('a credential variable ticktape does not read names the one meant', () => {
    expect(envWarnings({ TICKTAPE_COINSTORE_SECRET_KEY: 'x' })).toEqual([
      'TICKTAPE_COINSTORE_SECRET_KEY is not a variable ticktape reads: did you mean TICKTAPE_COINSTORE_API_KEY? (coinstore reads TICKTAPE_COINSTORE_API_KEY, TICKTAPE_COINSTORE_USER_ID)',
    ]);
    expect(envWarnings({ TICKTAPE_COINSTOR_API_KEY: 'x' })[0]).toMatch(/did you mean TICKTAPE_COINSTORE_API_KEY\?/);
    expect(envWarnings({ TICKTAPE_LOG_LEVL: 'debug' })).toEqual(['TICKTAPE_LOG_LEVL is not a variable ticktape reads: did you mean TICKTAPE_LOG_LEVEL?']);
  });

  it('variables ticktape reads, and ones near nothing it reads, are left alone', () => {
    expect(envWarnings({ TICKTAPE_COINSTORE_API_KEY: 'k', TICKTAPE_COINSTORE_APIKEY: 'k', TICKTAPE_NEXUS_TOKEN: 't', TICKTAPE_LOG_LEVEL: 'info', TICKTAPE_OTHER_TOOL_SETTING: '1', PATH: '/bin' })).toEqual([]);
  });

  it('knows every TICKTAPE_* variable the code reads (a new one goes into GENERAL_ENV_VARS)', () => {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/(?:process\.env|env)(?:\.|\[')(TICKTAPE_[A-Z0-9_]+)/g)) names.add(m[1]);
      }
    };
    for (const d of ['core', 'store', 'exchanges', 'simulator', 'recorder', 'replay', 'analysis', 'demo', 'cli', 'api', 'bench']) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
    expect(names.size).toBeGreaterThan(2);
    for (const n of names) expect(envWarnings({ [n]: 'x' }), n).toEqual([]);
  });

  it('the CLI warns on stderr before it runs the command', async () => {
    const dir = tmpDir('tt-env-');
    const r = await runCli(['ls', '--data', dir], { env: { TICKTAPE_COINSUPER_SECRET: 's' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/TICKTAPE_COINSUPER_SECRET is not a variable ticktape reads: did you mean TICKTAPE_COINSUPER_SECRET_KEY\?/);
  });
});

describe('ticktape record: mistakes named as the user wrote them', () => {
  const data = () => path.join(tmpDir('tt-rec-'), 'data');
  const cases: Array<[string, () => string[], string, RegExp]> = [
    ['--seal-interval-ms 0', () => ['record', '--simulate', '--http', 'off', '--data', data(), '--seal-interval-ms', '0'], 'TT_CONFIG_INVALID', /--seal-interval-ms must be an integer from 1000/],
    ['--exchange coinstor', () => ['record', '--http', 'off', '--data', data(), '--exchange', 'coinstor', '--channels', 'btcusdt@trade'], 'TT_UNKNOWN_EXCHANGE', /^ticktape: --exchange: unknown exchange "coinstor" \(did you mean coinstore\?\)/],
    ['--channels with a typo', () => ['record', '--http', 'off', '--data', data(), '--exchange', 'coinstore', '--channels', 'btcusdt@trad'], 'TT_UNKNOWN_CHANNEL', /^ticktape: --channels: unknown channel "btcusdt@trad" for coinstore/],
    ['--rate 0', () => ['record', '--simulate', '--http', 'off', '--data', data(), '--rate', '0'], 'TT_CONFIG_INVALID', /--rate must be the simulator's steps per second, above 0 .* or "max"/],
  ];
  it.each(cases)('%s', async (_name, args, code, message) => {
    const r = await runCli(args());
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(new RegExp(`\\[${code}\\]\\n$`));
    expect(r.stderr).not.toMatch(/exchanges\[0\]/);
  });

  it('a config file that is not JSON is TT_CONFIG_UNREADABLE', async () => {
    const file = path.join(tmpDir('tt-json-'), 'ticktape.json');
    fs.writeFileSync(file, '{"exchanges": [', { mode: 0o600 });
    const r = await runCli(['record', '--config', file]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/Config file .*ticktape\.json is not valid JSON: .* \[TT_CONFIG_UNREADABLE\]\n$/);
  });

  it('the valid forms of a channel are listed once', async () => {
    const r = await runCli(['record', '--http', 'off', '--data', data(), '--exchange', 'coinsuper', '--channels', 'nope']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr.match(/BTC_USD@tickers/g)?.length).toBe(1);
  });
});

describe('run until a signal', () => {
  function child(mode: string, startMs = 0) {
    const proc = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/until-signal-child.mjs'), mode, String(startMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const ready = async () => {
      while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
    };
    return { proc, exited, ready, out: () => out };
  }

  it('exit 0 when the stop finishes', async () => {
    const c = child('ok');
    await c.ready();
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('exit 1 when the stop fails (a simulator whose close fails does not exit 0)', async () => {
    const c = child('fail');
    await c.ready();
    c.proc.kill('SIGINT');
    expect(await c.exited).toBe(1);
  });

  it('exit 1 after stopTimeoutMs when the stop hangs, and on a second signal', async () => {
    const hang = child('hang');
    await hang.ready();
    hang.proc.kill('SIGTERM');
    expect(await hang.exited).toBe(1);
    expect(hang.out()).toContain('gave up');
    const twice = child('hang');
    await twice.ready();
    twice.proc.kill('SIGTERM');
    while (!twice.out().includes('stopping')) await new Promise((r) => setTimeout(r, 20));
    twice.proc.kill('SIGTERM');
    expect(await twice.exited).toBe(1);
  });

  it('a signal during start-up stops the service once it is up', async () => {
    const c = child('ok', 1_500);
    while (!c.out().includes('starting')) await new Promise((r) => setTimeout(r, 20));
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.out()).toContain('ready\nstopping\n');
  });
});
