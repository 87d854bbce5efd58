import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord, encodeSegmentHeader, listSegments, openJournalWriter, readSegment } from '../../../store/journal/index.js';
import { TicktapeError } from '../../../core/errors.js';
import { frame, tempDataDir, view } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TicktapeError ? err.code : String(err);
  }
  return undefined;
}

describe('journal LOCK and start-up recovery', () => {
  it('refuses a second writer on the same instance with TT_JOURNAL_LOCKED', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const w = openJournalWriter({ dataDir: t.dir, instance: 'one' });
    expect(readFileSync(path.join(t.dir, 'journal', 'one', 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    expect(codeOf(() => openJournalWriter({ dataDir: t.dir, instance: 'one' }))).toBe('TT_JOURNAL_LOCKED');
    const other = openJournalWriter({ dataDir: t.dir, instance: 'two' });
    await other.close();
    await w.close();
    expect(existsSync(path.join(t.dir, 'journal', 'one', 'LOCK'))).toBe(false);
    const again = openJournalWriter({ dataDir: t.dir, instance: 'one' });
    await again.close();
  });

  it('takes over a LOCK left by a dead process', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const dir = path.join(t.dir, 'journal', 'stale');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'LOCK'), `${deadPid}\n`);
    const w = openJournalWriter({ dataDir: t.dir, instance: 'stale' });
    expect(readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await w.close();
  });

  it('rejects a malformed instance id', () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    expect(codeOf(() => openJournalWriter({ dataDir: t.dir, instance: '../up' }))).toBe('TT_CONFIG_INVALID');
  });

  it('recovers and closes the open segments a dead writer left, then starts a fresh one', async () => {
    const t = tempDataDir();
    cleanup = t.cleanup;
    const dir = path.join(t.dir, 'journal', 'back');
    mkdirSync(dir, { recursive: true });
    const name = '20261123T100000Z-dead-000001';
    const recs = [1, 2, 3].map((i) => frame(i));
    const torn = encodeRecord(frame(4)).subarray(0, 17);
    writeFileSync(path.join(dir, `${name}.ttj.open`), Buffer.concat([encodeSegmentHeader('back', name), ...recs.map(encodeRecord), torn]));
    writeFileSync(path.join(dir, '20261123T100001Z-dead-000002.ttj.open'), encodeSegmentHeader('back', '20261123T100001Z-dead-000002'));
    const closed: string[] = [];
    const w = openJournalWriter({ dataDir: t.dir, instance: 'back', onSegmentClosed: (p) => closed.push(p) });
    expect(closed).toEqual([path.join(dir, `${name}.ttj`)]);
    expect([...readSegment(closed[0])].map(view)).toEqual(recs.map(view));
    const segs = listSegments(t.dir, 'back');
    expect(segs.map((s) => [s.name.startsWith('20261123T100000Z'), s.open])).toEqual([
      [true, false],
      [false, true],
    ]);
    await w.close();
  });
});
