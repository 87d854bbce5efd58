/** Config validation: every error names its field; a bad config makes `ticktape record` exit 2. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig, configFromFlags, loadConfigFile, parseListen, quickConfig } from '../../recorder/config.js';
import { credentialsFromEnv, envNames } from '../../exchanges/credentials-env.js';
import { TicktapeError } from '../../core/errors.js';
import { ROOT, RecorderProcess, tmpDir } from './harness.js';

const dir = tmpDir('tt-cfg-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string, mode = 0o600): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, body, { mode });
  fs.chmodSync(p, mode);
  return p;
}

function errorOf(fn: () => unknown): TicktapeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TicktapeError);
    return err as TicktapeError;
  }
  throw new Error('expected an error');
}

describe('config file', () => {
  it('reads YAML and JSON with defaults filled in', () => {
    const y = write('a.yaml', 'data: ./d\nexchanges:\n  - name: coinstore\n    channels: [btcusdt@trade, 4@depth@20]\n');
    const cfg = configFromFlags({ config: y }).config;
    expect(cfg.dataDir).toBe(path.join(dir, 'd'));
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(cfg.fsyncIntervalMs).toBe(200);
    expect(cfg.sealIntervalMs).toBe(3_600_000);
    expect(cfg.exchanges[0].streams.map((s) => s.key)).toEqual(['btcusdt@trade', expect.stringContaining('@depth@20')]);
    const j = write('a.json', JSON.stringify({ http: 'off', exchanges: [{ name: 'nexus', channels: ['BTCUSDT@depth@5'] }] }));
    const c2 = loadConfigFile(j).config;
    expect(c2.http).toBe('off');
  });

  it('names the bad channel, its exchange and the valid forms', () => {
    const p = write('bad-channel.yaml', 'exchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n  - name: coinstore2\n    channels: [x]\n');
    expect(errorOf(() => configFromFlags({ config: p })).message).toMatch(/exchanges\[1\]\.name: unknown exchange "coinstore2"/);
    const q = write('bad-channel2.yaml', 'exchanges:\n  - name: coinsuper\n    channels: [BTC_USD@depth]\n  - name: coinstore\n    channels: [btcusdt@trade, foo]\n');
    const err = errorOf(() => configFromFlags({ config: q }));
    expect(err.code).toBe('TT_UNKNOWN_CHANNEL');
    expect(err.message).toMatch(/exchanges\[1\]\.channels\[1\]: unknown channel "foo" for coinstore .*valid forms: .*@trade/);
    // the valid forms are listed once, not once by the parser and once more here
    expect(err.message.match(/<symbol>@ticker/g)?.length).toBe(1);
  });

  it('names unknown and mistyped fields', () => {
    const p = write('bad-field.yaml', 'fsyncIntervalMs: -5\nexchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n    chanels: [x]\n');
    const msg = errorOf(() => configFromFlags({ config: p })).message;
    expect(msg).toMatch(/fsyncIntervalMs: /);
    expect(msg).toMatch(/exchanges\[0\]: unknown field\(s\) "chanels"/);
    expect(errorOf(() => parseListen('nonsense', 'http')).message).toMatch(/^http: "nonsense" is not an address/);
  });

  it("seal.compactZstdLevel: unset by default (each table's default level), 1-22 accepted, anything else names the field", () => {
    const ex = 'exchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n';
    expect(configFromFlags({ config: write('lvl-default.yaml', ex) }).config.compactZstdLevel).toBeUndefined();
    expect(configFromFlags({ config: write('lvl-19.yaml', `seal:\n  compactZstdLevel: 19\n${ex}`) }).config.compactZstdLevel).toBe(19);
    expect(configFromFlags({ config: write('lvl-1.json', JSON.stringify({ seal: { compactZstdLevel: 1 }, exchanges: [{ name: 'coinstore', channels: ['btcusdt@trade'] }] })) }).config.compactZstdLevel).toBe(1);
    for (const bad of ['0', '23', '9.5', '"9"', '-3']) {
      const err = errorOf(() => configFromFlags({ config: write('lvl-bad.yaml', `seal:\n  intervalMs: 60000\n  compactZstdLevel: ${bad}\n${ex}`) }));
      expect(err.code).toBe('TT_CONFIG_INVALID');
      expect(err.message).toMatch(/seal\.compactZstdLevel: /);
    }
    expect(errorOf(() => configFromFlags({ config: write('lvl-bad2.yaml', `seal:\n  compactZstdLevel: 30\n${ex}`) })).message).toMatch(/seal\.compactZstdLevel: use an integer from 1 to 22/);
  });

  it('seal.shutdownBudgetMs: default 15 s, at most 50 s (a stop gives up after 60 s), named when wrong', () => {
    const ex = 'exchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n';
    expect(configFromFlags({ config: write('budget-default.yaml', ex) }).config.sealShutdownBudgetMs).toBe(15_000);
    expect(configFromFlags({ config: write('budget-5s.yaml', `seal:\n  shutdownBudgetMs: 5000\n${ex}`) }).config.sealShutdownBudgetMs).toBe(5000);
    for (const bad of ['0', '60000', '1.5', '"5000"']) {
      const err = errorOf(() => configFromFlags({ config: write('budget-bad.yaml', `seal:\n  shutdownBudgetMs: ${bad}\n${ex}`) }));
      expect(err.code).toBe('TT_CONFIG_INVALID');
      expect(err.message).toMatch(/seal\.shutdownBudgetMs: /);
    }
    expect(errorOf(() => configFromFlags({ config: write('budget-big.yaml', `seal:\n  shutdownBudgetMs: 60000\n${ex}`) })).message).toMatch(/at most 50000/);
  });

  it('takes credentials from the environment and says which variables are missing', () => {
    expect(envNames('coinstore', 'apiKey')).toEqual(['TICKTAPE_COINSTORE_API_KEY', 'TICKTAPE_COINSTORE_APIKEY']);
    expect(credentialsFromEnv('coinstore', ['apiKey', 'userId'], { TICKTAPE_COINSTORE_APIKEY: 'k', TICKTAPE_COINSTORE_USER_ID: '7' })).toEqual({ apiKey: 'k', userId: '7' });
    const err = errorOf(() => quickConfig({ exchange: 'coinstore', channels: ['!@account'] }, {}));
    expect(err.code).toBe('TT_CREDENTIALS_MISSING');
    expect(err.message).toMatch(/TICKTAPE_COINSTORE_API_KEY/);
    const ok = quickConfig({ exchange: 'coinstore', channels: ['!@account'] }, { TICKTAPE_COINSTORE_API_KEY: 'k', TICKTAPE_COINSTORE_USER_ID: '7' });
    expect(ok.exchanges[0].credentials).toEqual({ apiKey: 'k', userId: '7' });
  });

  it('warns when a config with credentials is readable by others', () => {
    const p = write('open.yaml', 'exchanges:\n  - name: coinstore\n    channels: ["!@account"]\n    credentials: {apiKey: k, userId: "7"}\n', 0o644);
    expect(configFromFlags({ config: p }).warnings.join()).toMatch(/readable by group or others.*chmod 600/);
    const q = write('closed.yaml', fs.readFileSync(p, 'utf8'), 0o600);
    expect(configFromFlags({ config: q }).warnings).toEqual([]);
  });

  it('quick form requires channels and an exchange', () => {
    expect(errorOf(() => quickConfig({ exchange: 'coinstore' })).message).toMatch(/^--channels:/);
    expect(errorOf(() => quickConfig({})).message).toMatch(/Nothing to record/);
    expect(buildConfig({ simulate: true }, null).simulate).toMatchObject({ seed: 1 });
  });
});

describe('ticktape record with a bad config', () => {
  it('exits 2 and names the field', async () => {
    const p = write('cli-bad.yaml', 'exchanges:\n  - name: coinstore\n    channels: [btcusdt@trade, foo]\n');
    const rec = new RecorderProcess(['--config', p, '--data', path.join(dir, 'data'), '--http', 'off']);
    const { code } = await rec.exited;
    expect(code).toBe(2);
    expect(rec.stderr).toMatch(/exchanges\[0\]\.channels\[1\]: unknown channel "foo" for coinstore/);
    expect(rec.stderr).toMatch(/TT_UNKNOWN_CHANNEL/);
  });

  it('exits 2 on a bad seal.compactZstdLevel and names the field', async () => {
    const p = write('cli-bad-level.yaml', 'seal:\n  compactZstdLevel: 0\nexchanges:\n  - name: coinstore\n    channels: [btcusdt@trade]\n');
    const rec = new RecorderProcess(['--config', p, '--data', path.join(dir, 'data-lvl'), '--http', 'off']);
    const { code } = await rec.exited;
    expect(code).toBe(2);
    expect(rec.stderr).toMatch(/seal\.compactZstdLevel: use an integer from 1 to 22/);
  });
});

describe('deploy/ticktape.sample.yaml', () => {
  it('is a valid configuration', () => {
    const sample = path.join(ROOT, 'deploy', 'ticktape.sample.yaml');
    const { config } = configFromFlags({ config: sample }, {});
    expect(config.exchanges.map((e) => e.id)).toEqual(['coinstore', 'coinsuper', 'coinceres']);
    expect(config.retention.days).toBeNull(); // the sample shows retention commented out: the default keeps everything
    expect(config.compactZstdLevel).toBeUndefined(); // commented out in the sample: 16 for raw, 9 for the others
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9100 });
  });
});

describe('ticktape record with a taken HTTP address', () => {
  it('exits 2 and says how to pick another', async () => {
    const http = await import('node:http');
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const rec = new RecorderProcess(['--exchange', 'coinstore', '--channels', 'btcusdt@trade', '--url', 'ws://127.0.0.1:9/s/ws', '--data', path.join(dir, 'data-http'), '--http', `127.0.0.1:${port}`]);
      const { code } = await rec.exited;
      expect(code).toBe(2);
      expect(rec.stderr).toMatch(/is in use .*--http off/);
      expect(rec.logs.some((l) => l.msg === 'connected')).toBe(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
