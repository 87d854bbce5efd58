/**
 * No value from outside (a flag naming a folder, a config field, a record read back from a journal,
 * a symlink planted in the data folder) makes ticktape read or write outside its data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTicktapeError } from '../../core/errors.js';
import { isInside, resolveInside, safeInstanceId, safeJoin, safeName, safePartitionDir } from '../../core/safe-path.js';
import { openJournalWriter } from '../../store/journal/index.js';
import { runCli, tmpDir, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isTicktapeError(err) ? err.code : `not a TicktapeError: ${String(err)}`;
  }
  return 'no error';
}

/** Files under `dir`, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: false }) as string[]).filter((f) => fs.lstatSync(path.join(dir, f)).isFile()).sort();
}

/** A closed journal segment of `records` text frames of `exchange`, written through the journal writer. */
async function writeJournal(dataDir: string, exchange: string, records = 3, instance = 'paths'): Promise<void> {
  const w = openJournalWriter({ dataDir, instance });
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let i = 1; i <= records; i++) {
    w.append({ exchange, connId: `${instance}-x-1`, seq: i, recvNs: now + BigInt(i), direction: 'in', kind: 'text', stream: 'btcusdt@trade', endpoint: 'ws://127.0.0.1/x', payload: Buffer.from(`{"n":${i}}`), flags: 0 });
  }
  await w.close();
}

describe('core/safe-path', () => {
  const root = '/srv/ticktape/data';

  it('joins plain relative parts under the root', () => {
    expect(safeJoin(root, 'raw', 'exchange=coinstore')).toBe('/srv/ticktape/data/raw/exchange=coinstore');
    expect(safeJoin(root, 'journal/abc')).toBe('/srv/ticktape/data/journal/abc');
    expect(isInside(root, '/srv/ticktape/data/..x')).toBe(true);
    expect(isInside(root, '/srv/ticktape/dataX')).toBe(false);
  });

  it.each([['..'], ['../etc/passwd'], ['a/../../etc'], ['a\\..\\..\\etc'], ['/etc/passwd'], ['C:\\Windows'], ['ok\0.parquet'], [decodeURIComponent('..%2F..%2Fetc%2Fpasswd')], [decodeURIComponent('%2e%2e/%2e%2e/etc')]])(
    'refuses %j with TT_PATH_ESCAPE',
    (part) => {
      expect(code(() => safeJoin(root, part))).toBe('TT_PATH_ESCAPE');
    },
  );

  it('names: instance ids, hive keys', () => {
    expect(safeInstanceId('vps-1')).toBe('vps-1');
    for (const bad of ['../x', 'A', '', 'a/b', 'a'.repeat(41), 'x\0'])
      expect(
        code(() => safeInstanceId(bad)),
        bad,
      ).toBe('TT_PATH_ESCAPE');
    expect(safePartitionDir(root, 'raw', 'coinstore', '2026-11-23')).toBe('/srv/ticktape/data/raw/exchange=coinstore/date=2026-11-23');
    expect(code(() => safePartitionDir(root, 'raw', '../../etc', '2026-11-23'))).toBe('TT_PATH_ESCAPE');
    expect(code(() => safePartitionDir(root, 'raw', 'coinstore', '../../../tmp'))).toBe('TT_PATH_ESCAPE');
    expect(code(() => safePartitionDir(root, '../raw', 'coinstore', '2026-11-23'))).toBe('TT_PATH_ESCAPE');
    expect(code(() => safeName('..', 'x'))).toBe('TT_PATH_ESCAPE');
  });

  it('resolveInside follows symlinks: a link pointing out is refused, one pointing in is fine', () => {
    const base = tmpDir();
    const data = path.join(base, 'data');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(data, 'raw'), { recursive: true });
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(data, 'raw', 'exchange=evil'));
    fs.symlinkSync(path.join(data, 'raw'), path.join(data, 'alias'));
    expect(code(() => resolveInside(data, 'raw/exchange=evil/date=2026-11-23/x.parquet'))).toBe('TT_PATH_ESCAPE');
    expect(code(() => resolveInside(data, 'raw/exchange=evil'))).toBe('TT_PATH_ESCAPE');
    expect(resolveInside(data, 'alias/exchange=coinstore')).toBe(path.join(data, 'alias/exchange=coinstore'));
    expect(resolveInside(data, 'not/there/yet')).toBe(path.join(data, 'not/there/yet'));
    // the data folder itself may be a link (a volume mounted elsewhere)
    const linkedData = path.join(base, 'linked-data');
    fs.symlinkSync(data, linkedData);
    expect(resolveInside(linkedData, 'raw/x')).toBe(path.join(linkedData, 'raw/x'));
  });
});

describe('analysis script names', () => {
  let data: string;
  beforeAll(() => {
    data = path.join(tmpDir(), 'data');
    fs.mkdirSync(data);
  });

  it.each([['../../etc/passwd'], ['/etc/passwd'], ['..%2F..%2Fetc%2Fpasswd'], ['bars/../../../../etc/passwd'], ['views'], ['base'], ['bars.sql']])('ticktape analyze %s is refused: exit 2, no output', async (name) => {
    const r = await runCli(['analyze', name, '--data', data, '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No analysis script');
    expect(r.stderr).toContain('ticktape analyze --list');
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('root:');
  });
});

describe('flags and config values that name folders', () => {
  it('seal --instance ../x is refused before anything is read or written', async () => {
    const base = tmpDir();
    const data = path.join(base, 'data');
    fs.mkdirSync(data);
    const r = await runCli(['seal', '--data', data, '--instance', '../../outside']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TT_PATH_ESCAPE');
    expect(fs.readdirSync(base)).toEqual(['data']);
  });

  it.each([
    ['--instance ../x', ['--instance', '../x'], null],
    ['config instance', [], { instance: '../../x', simulate: true }],
    ['config exchange name', [], { exchanges: [{ name: '../../etc', channels: ['btcusdt@trade'] }] }],
    ['config data with a NUL byte', [], { data: '/tmp/a\u0000b', simulate: true }],
    ['config data empty', [], { data: '', simulate: true }],
  ] as const)('record: %s exits 2 naming the value', async (_what, flags, config) => {
    const base = tmpDir();
    const args = ['record', '--http', 'off'];
    if (config) {
      const file = path.join(base, 'ticktape.json');
      fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
      args.push('--config', file);
    } else args.push('--simulate', '--data', path.join(base, 'data'));
    const r = await runCli([...args, ...flags], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/instance|exchange|data/);
    expect(filesUnder(base).filter((f) => f !== 'ticktape.json' && !f.endsWith('instance-id'))).toEqual([]);
  });

  it('a journal record naming exchange ../../x is not sealed outside the data folder', async () => {
    const base = tmpDir();
    const data = path.join(base, 'data');
    await writeJournal(data, '../../../escaped');
    const r = await runCli(['seal', '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED');
    expect(r.stdout).toContain('is not a plain name');
    // nothing outside the data folder, no parquet anywhere, the journal segment kept for inspection
    expect(fs.readdirSync(base)).toEqual(['data']);
    expect(filesUnder(data).filter((f) => f.endsWith('.parquet'))).toEqual([]);
    expect(filesUnder(data).some((f) => /^journal\/paths\/.+\.ttj$/.test(f))).toBe(true);
  });
});

describe('symlinks planted in the data folder', () => {
  it('partitions and journals reached through a link pointing out are not read', async () => {
    const base = tmpDir();
    const data = path.join(base, 'data');
    const outside = path.join(base, 'outside');
    await writeJournal(data, 'coinstore', 3);
    expect((await runCli(['seal', '--data', data])).code).toBe(0);
    // outside: a full copy of a sealed store and a journal with more records
    await writeJournal(outside, 'coinstore', 5, 'other');
    fs.cpSync(path.join(data, 'raw'), path.join(outside, 'raw'), { recursive: true });
    const sealed = filesUnder(path.join(outside, 'raw')).find((f) => f.endsWith('.parquet'))!;
    // links: a partition folder, a partition file, a journal instance folder
    fs.symlinkSync(path.join(outside, 'raw', 'exchange=coinstore'), path.join(data, 'raw', 'exchange=nexus'));
    const dateDir = path.dirname(path.join(data, 'raw', sealed));
    fs.symlinkSync(path.join(outside, 'raw', sealed), path.join(dateDir, `linked-20261123T000000Z-abc-000001.parquet`));
    fs.symlinkSync(path.join(outside, 'journal', 'other'), path.join(data, 'journal', 'other'));

    const r = await runCli(['query', '--data', data, '--format', 'csv', 'SELECT exchange, count(*) AS n FROM raw GROUP BY ALL ORDER BY ALL']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['exchange,n', 'coinstore,3']);
    const ls = await runCli(['ls', '--data', data, '--format', 'json']);
    expect(ls.code).toBe(0);
    const inv = JSON.parse(ls.stdout) as { journals: Array<{ instance: string }>; exchanges: Array<{ exchange: string; files: number }> };
    expect(inv.journals.map((j) => j.instance)).not.toContain('other');
    expect(inv.exchanges).toEqual([expect.objectContaining({ exchange: 'coinstore', files: 1 })]);
  });
});
