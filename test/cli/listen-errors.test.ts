/**
 * Servers that cannot listen say why and which option to change, as one `ticktape: … [TT_CODE]`
 * line with exit 2: a port in use, a port out of range, an address that is not this machine's —
 * for `replay --port`, `simulate --port`, `record --http` and `record --simulate-port`.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOn } from '../../core/listen.js';
import { isTicktapeError } from '../../core/errors.js';
import { EXIT } from '../../core/errors.js';
import { removeTmpDirs, runCli, tmpDir } from '../hardening/helpers.js';

let taken: net.Server;
let port: number;
let dir: string;

beforeAll(async () => {
  taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  port = (taken.address() as net.AddressInfo).port;
  dir = tmpDir('tt-listen-');
  fs.mkdirSync(path.join(dir, 'empty'));
});

afterAll(async () => {
  await new Promise<void>((r) => taken.close(() => r()));
  removeTmpDirs();
});

function expectOneLine(stderr: string, code: string): void {
  const lines = stderr.split('\n').filter((l) => l && !l.startsWith('{'));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^ticktape: .+ \\[${code}\\]$`));
}

describe('a port in use', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['replay --port', () => ['replay', '--data', path.join(dir, 'empty'), '--port', String(port)], /the replay server cannot start: 127\.0\.0\.1:\d+ is in use.*pick another with --port, or --port 0 for any free port/],
    ['simulate --port', () => ['simulate', '--port', String(port)], /the simulator cannot start: 127\.0\.0\.1:\d+ is in use.*--port 0 for any free port/],
    ['record --http', () => ['record', '--simulate', '--data', path.join(dir, 'rec1'), '--http', `127.0.0.1:${port}`], /the HTTP endpoint .* cannot start: 127\.0\.0\.1:\d+ is in use.*--http host:port.*--http off/],
    ['record --simulate-port', () => ['record', '--simulate', '--data', path.join(dir, 'rec2'), '--http', 'off', '--simulate-port', String(port)], /the in-process simulator cannot start: .* is in use.*--simulate-port/],
  ];
  it.each(cases)('%s: exit 2, TT_ADDRESS_IN_USE, the option to change', async (_name, args, message) => {
    const r = await runCli(args(), { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(message);
    expectOneLine(r.stderr, 'TT_ADDRESS_IN_USE');
    expect(r.stdout).toBe('');
  });
});

describe('a port out of range', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['replay --port 70000', () => ['replay', '--data', path.join(dir, 'empty'), '--port', '70000'], /--port 70000 is not a port: use 1-65535, or 0/],
    ['simulate --port 70000', () => ['simulate', '--port', '70000'], /--port 70000 is not a port/],
    ['simulate --port -1', () => ['simulate', '--port', '-1'], /--port/],
    ['record --http 127.0.0.1:70000', () => ['record', '--simulate', '--data', path.join(dir, 'rec3'), '--http', '127.0.0.1:70000'], /--http: "127\.0\.0\.1:70000" is not an address/],
    ['record --simulate-port 70000', () => ['record', '--simulate', '--data', path.join(dir, 'rec4'), '--http', 'off', '--simulate-port', '70000'], /--simulate-port 70000 is not a port/],
  ];
  it.each(cases)('%s: exit 2, TT_CONFIG_INVALID, the valid range', async (_name, args, message) => {
    const r = await runCli(args(), { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(message);
    expectOneLine(r.stderr, 'TT_CONFIG_INVALID');
  });
});

describe('listenOn', () => {
  it('an address that is not this machine’s names it', async () => {
    const err = await listenOn(net.createServer(), '10.255.255.254', 0, { what: 'the simulator', option: '--host' }).catch((e: unknown) => e);
    expect(isTicktapeError(err) && err.code).toBe('TT_ADDRESS_IN_USE');
    expect((err as Error).message).toMatch(/10\.255\.255\.254 is not an address of this machine/);
  });

  it('port 0 listens on a free port', async () => {
    const s = net.createServer();
    await listenOn(s, '127.0.0.1', 0, { what: 'x', option: '--port' });
    expect((s.address() as net.AddressInfo).port).toBeGreaterThan(0);
    await new Promise<void>((r) => s.close(() => r()));
  });
});
