/**
 * What the CLI does, the library does: a wrong option given to `startSimulator`,
 * `startReplayServer` or `startRecorder` fails with the TicktapeError code and the bound the
 * command gives for its flag (the built CLI in a child process), named the caller's way (`graceMs`
 * from code, `--grace-ms` on the command line). Options the command has reach the server too.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicktapeError } from '../../core/errors.js';
import { optionName } from '../../core/parse-options.js';
import { openStore, startRecorder, startReplayServer, startSimulator } from '../../api/index.js';
import { removeTmpDirs, runCli, tmpDir } from '../hardening/helpers.js';

afterAll(removeTmpDirs);

async function apiError(start: () => Promise<{ close(): Promise<void> }>): Promise<{ code: string; message: string }> {
  let handle: { close(): Promise<void> } | undefined;
  try {
    handle = await start();
  } catch (err) {
    if (isTicktapeError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  await handle.close();
  throw new Error('the library accepted the option');
}

/** `ticktape: <message> [TT_CODE]` → code and message. */
async function cliError(args: string[]): Promise<{ code: string; message: string; exit: number | null }> {
  const r = await runCli(args, { timeoutMs: 60_000 });
  const m = /ticktape: (.*) \[(TT_[A-Z_]+)\]/.exec(r.stderr);
  if (!m) throw new Error(`no ticktape error from ${args.join(' ')} (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  return { code: m[2], message: m[1], exit: r.code };
}

/** The message with the option's name taken out, so the CLI's and the library's compare. */
function bound(message: string, key: string, naming: 'flag' | 'option'): string {
  const name = optionName(key, naming);
  return (message.startsWith(name) ? `<option>${message.slice(name.length)}` : message).replace(/\.$/, '');
}

const data = tmpDir('tt-parity-');
fs.mkdirSync(path.join(data, 'journal'), { recursive: true });

type Case = { key: string; value: unknown; flagValue?: string };

const simulatorCases: Case[] = [
  { key: 'rate', value: 0 },
  { key: 'faultMalformedRate', value: 1.5 },
  { key: 'faultIdleCloseS', value: 0 },
  { key: 'bookThrottleMs', value: 60_001 },
  { key: 'port', value: 70_000 },
];

const replayCases: Case[] = [
  { key: 'graceMs', value: 60_001 },
  { key: 'maxConnections', value: 0 },
  { key: 'maxBufferedBytes', value: 10 },
  { key: 'speed', value: -2 },
  { key: 'auth', value: 'loose' },
  { key: 'from', value: 'yesterday-ish' },
];

const recorderCases: Case[] = [
  { key: 'sealIntervalMs', value: 0 },
  { key: 'staggerMs', value: -1 },
];

describe('startSimulator checks its options as ticktape simulate checks its flags', () => {
  for (const c of simulatorCases) {
    it(`${c.key} = ${JSON.stringify(c.value)}`, async () => {
      const lib = await apiError(() => startSimulator({ port: 0, mqttPort: 'off', [c.key]: c.value }));
      const cli = await cliError(['simulate', '--mqtt-port', 'off', ...(c.key === 'port' ? [] : ['--port', '0']), `${optionName(c.key, 'flag')}=${c.flagValue ?? String(c.value)}`]);
      expect(lib.code).toBe(cli.code);
      expect(lib.message).toContain(c.key);
      expect(lib.message).not.toContain(optionName(c.key, 'flag'));
      expect(bound(lib.message, c.key, 'option')).toBe(bound(cli.message, c.key, 'flag'));
    });
  }
});

describe('startReplayServer checks its options as ticktape replay checks its flags', () => {
  for (const c of replayCases) {
    it(`${c.key} = ${JSON.stringify(c.value)}`, async () => {
      const lib = await apiError(() => startReplayServer({ data, port: 0, [c.key]: c.value }));
      const cli = await cliError(['replay', '--data', data, '--port', '0', `${optionName(c.key, 'flag')}=${c.flagValue ?? String(c.value)}`]);
      expect(lib.code).toBe(cli.code);
      expect(lib.message).toContain(c.key);
      expect(bound(lib.message, c.key, 'option')).toBe(bound(cli.message, c.key, 'flag'));
    });
  }

  it('an empty data folder is TT_NO_DATA from both, naming data the caller’s way', async () => {
    const lib = await apiError(() => startReplayServer({ data, port: 0 }));
    const cli = await cliError(['replay', '--data', data, '--port', '0']);
    expect(lib.code).toBe('TT_NO_DATA');
    expect(cli.code).toBe('TT_NO_DATA');
    expect(lib.message).toContain('point data at');
    expect(cli.message).toContain('point --data at');
  });
});

describe('startRecorder checks its options as ticktape record checks its flags', () => {
  for (const c of recorderCases) {
    it(`${c.key} = ${JSON.stringify(c.value)}`, async () => {
      const lib = await apiError(() => startRecorder({ simulate: true, data, [c.key]: c.value }));
      const cli = await cliError(['record', '--simulate', '--data', data, `${optionName(c.key, 'flag')}=${c.flagValue ?? String(c.value)}`]);
      expect(lib.code).toBe(cli.code);
      expect(bound(lib.message, c.key, 'option')).toBe(bound(cli.message, c.key, 'flag'));
    });
  }
});

describe('a port in use is named the caller’s way (port, mqttPort), as the CLI names its flags', () => {
  const busy = net.createServer();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  const cases: Array<{ name: string; lib: () => Promise<{ close(): Promise<void> }>; cli: () => string[]; option: string }> = [
    { name: 'startSimulator port', lib: () => startSimulator({ port, mqttPort: 'off' }), cli: () => ['simulate', '--port', String(port), '--mqtt-port', 'off'], option: 'port' },
    { name: 'startSimulator mqttPort', lib: () => startSimulator({ port: 0, mqttPort: port }), cli: () => ['simulate', '--port', '0', '--mqtt-port', String(port)], option: 'mqttPort' },
    { name: 'startReplayServer port', lib: () => startReplayServer({ data, port, mqttPort: 'off' }), cli: () => ['replay', '--data', data, '--port', String(port), '--mqtt-port', 'off'], option: 'port' },
    { name: 'startReplayServer mqttPort', lib: () => startReplayServer({ data, port: 0, mqttPort: port }), cli: () => ['replay', '--data', data, '--port', '0', '--mqtt-port', String(port)], option: 'mqttPort' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const lib = await apiError(c.lib);
      const cli = await cliError(c.cli());
      expect(lib.code).toBe('TT_ADDRESS_IN_USE');
      expect(cli.code).toBe('TT_ADDRESS_IN_USE');
      const flag = optionName(c.option, 'flag');
      expect(cli.message).toContain(`pick another with ${flag}, or ${flag} 0 for any free port`);
      expect(lib.message).toContain(`pick another with ${c.option}, or ${c.option} 0 for any free port`);
      expect(lib.message).not.toContain('--');
    });
  }
});

describe('Store.seal() checks its options as ticktape seal checks its flags', () => {
  async function sealError(options: Record<string, unknown>): Promise<{ code: string; message: string }> {
    const store = await openStore(data);
    try {
      return await apiError(async () => {
        await store.seal(options);
        return { close: async () => undefined };
      });
    } finally {
      store.close();
    }
  }

  it('a zstd level that is none', async () => {
    const lib = await sealError({ compact: true, zstdLevel: 'abc' });
    const cli = await cliError(['seal', '--data', data, '--compact', '--zstd-level=abc']);
    expect(lib.code).toBe(cli.code);
    expect(bound(lib.message, 'zstdLevel', 'option')).toBe(bound(cli.message, 'zstdLevel', 'flag'));
  });

  it('a zstd level without compact', async () => {
    const lib = await sealError({ zstdLevel: 19 });
    const cli = await cliError(['seal', '--data', data, '--zstd-level=19']);
    expect(lib.code).toBe(cli.code);
    expect(lib.message).toMatch(/^zstdLevel sets the level of compaction: add compact /);
    expect(cli.message).toMatch(/^--zstd-level sets the level of compaction: add --compact /);
  });

  it('an option it does not know is refused, with the one meant (a typo never seals without compacting)', async () => {
    const lib = await sealError({ compactt: true });
    expect(lib.code).toBe('TT_CONFIG_INVALID');
    expect(lib.message).toContain('unknown option compactt (did you mean compact?)');
  });
});
