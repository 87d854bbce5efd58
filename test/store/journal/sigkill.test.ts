/**
 * kill -9 at random moments, many times: every seq the child reported as flushed is in the journal
 * after recovery, none twice, in order, with nothing missing before it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listSegments, openJournalWriter, readSegment, recoverSegment } from '../../../store/journal/index.js';
import { tempDataDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, '..', '..', 'fixtures', 'journal-child.mjs');
const BUILT = path.join(here, '..', '..', '..', 'dist', 'store', 'journal', 'index.js');
const TRIALS = 30;

const t = tempDataDir('ttj-kill-');
afterAll(() => t.cleanup());

interface Trial {
  connId: string;
  reported: number[];
}

/** Kills the child `killAfterMs` after it reported ready, or after spawn when `early` (mid start-up recovery). */
function runAndKill(connId: string, killAfterMs: number, early: boolean): Promise<Trial> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, t.dir, 'kill', connId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (timer === null && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d) => (err += d));
    if (early) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited ${code}/${signal} before the kill: ${err}`));
        return;
      }
      const lines = out.split('\n');
      lines.pop(); // a line cut by the kill is not a report
      resolve({ connId, reported: lines.filter((l) => /^\d+$/.test(l)).map(Number) });
    });
  });
}

describe('journal under SIGKILL', () => {
  it(`loses no flushed record over ${TRIALS} kills at random moments`, async () => {
    expect(existsSync(BUILT), 'build first (npx tsc -p .): the child runs the built journal').toBe(true);
    const trials: Trial[] = [];
    let tornTails = 0;
    for (let i = 0; i < TRIALS; i++) {
      // Each child starts by recovering what the previous one left (and taking over its stale LOCK).
      // One trial in five is killed early, possibly during start-up recovery of the previous one's segment.
      const early = i % 5 === 4;
      trials.push(await runAndKill(`kill-t${i}`, early ? Math.floor(Math.random() * 120) : 5 + Math.floor(Math.random() * 200), early));
      for (const s of listSegments(t.dir, 'kill').filter((x) => x.open)) {
        const rep = recoverSegment(s.path); // the next child's start-up recovery then finds it clean
        if (rep.tornTailBytes > 0) tornTails++;
        expect(rep.corrupt).toEqual([]);
      }
    }
    // A last start-up recovery closes what the last child left.
    const w = openJournalWriter({ dataDir: t.dir, instance: 'kill' });
    await w.close();

    const byConn = new Map<string, number[]>();
    for (const s of listSegments(t.dir, 'kill')) {
      expect(s.open).toBe(false);
      for (const r of readSegment(s.path)) {
        let a = byConn.get(r.connId);
        if (!a) byConn.set(r.connId, (a = []));
        a.push(r.seq);
      }
    }
    let reportedTotal = 0;
    for (const tr of trials) {
      const seqs = byConn.get(tr.connId) ?? [];
      // in order, none twice, nothing missing: exactly 1..n
      expect(seqs, tr.connId).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      const last = tr.reported.length ? tr.reported[tr.reported.length - 1] : 0;
      expect(seqs.length, `${tr.connId}: flushed ${last}, found ${seqs.length}`).toBeGreaterThanOrEqual(last);
      reportedTotal += tr.reported.length;
    }
    expect(reportedTotal).toBeGreaterThan(TRIALS); // the kills landed while the children were writing
    console.log(`sigkill: ${TRIALS} kills, ${reportedTotal} flush reports checked, ${tornTails} torn tails cut`);
  });
});
