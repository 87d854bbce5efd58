/**
 * `ticktape record --simulate --rate max` (a real child process): the built-in simulator goes as
 * fast as the recorder reads, as `ticktape simulate --rate max` does. Over the same stretch of
 * wall time it records far more frames than at a low rate, every gap it writes is an honest one
 * (no recorded frame inside it, every reconnect bridged), and the sealed store verifies.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, getJson, RecorderProcess, tmpDir, until } from './harness.js';
import { framesInsideGaps, gapRecords, query, unbridgedReconnects } from './sim-harness.js';

const run = promisify(execFile);
/** Wall time each recorder records once every exchange delivers (a window, not a timed assertion). */
const RECORD_WINDOW_MS = 4_000;
/** The low rate compared against: steps per second. */
const LOW_RATE = '2';

const dirs: string[] = [];
const procs: RecorderProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** Records the in-process simulator at `rate` for RECORD_WINDOW_MS, stops with SIGTERM; returns the data folder. */
async function recordAt(rate: string): Promise<{ data: string; stderr: string }> {
  const dir = tmpDir('tt-rate-');
  dirs.push(dir);
  const data = path.join(dir, 'data');
  const rec = new RecorderProcess(['--simulate', '--rate', rate, '--data', data, '--http', '127.0.0.1:0', '--stagger-ms', '10']);
  procs.push(rec);
  const port = await rec.httpPort();
  await until(
    async () => {
      const h = await getJson(port, '/health');
      return new Set((h.streams as Array<{ exchange: string; frames: number }>).filter((s) => s.frames > 0).map((s) => s.exchange)).size === 4;
    },
    'every exchange to deliver frames',
    60_000,
  );
  await new Promise((r) => setTimeout(r, RECORD_WINDOW_MS));
  const stopped = await rec.stop('SIGTERM');
  expect(stopped.code, rec.stderr.slice(-3000)).toBe(0);
  return { data, stderr: rec.stderr };
}

async function dataFrames(data: string): Promise<number> {
  const [r] = await query(data, `SELECT count(*) AS n FROM raw WHERE direction = 'in' AND kind IN ('text', 'binary')`);
  return Number(r.n);
}

describe('ticktape record --rate max', () => {
  it('records far more than at a low rate in the same time, with honest gaps only, and the store verifies', async () => {
    const low = await recordAt(LOW_RATE);
    const max = await recordAt('max');
    const lowFrames = await dataFrames(low.data);
    const maxFrames = await dataFrames(max.data);
    expect(lowFrames).toBeGreaterThan(0);
    expect(maxFrames, `max ${maxFrames} frames against ${lowFrames} at ${LOW_RATE} steps/s`).toBeGreaterThan(4 * lowFrames);

    // Gaps: none lies over recorded frames, every reconnect is bridged, none is a sequence hole
    // (the simulator drops nothing; a fast feed must not look lossy).
    expect(await framesInsideGaps(max.data)).toEqual([]);
    expect(await unbridgedReconnects(max.data)).toEqual([]);
    expect((await gapRecords(max.data)).filter((g) => g.cause === 'sequence')).toEqual([]);

    // A stop seals within its budget (seal.shutdownBudgetMs); on a loaded machine what is left stays
    // in the journal, and `ticktape seal` seals it as an operator would before checking the store.
    await run(process.execPath, [CLI, 'seal', '--data', max.data], { maxBuffer: 1 << 24 });
    const verified = await run(process.execPath, [CLI, 'verify', '--data', max.data, '--json'], { maxBuffer: 1 << 24 });
    const report = JSON.parse(verified.stdout) as { files: number; findings: unknown[]; damaged: boolean };
    expect(report.findings).toEqual([]);
    expect(report.damaged).toBe(false);
    expect(report.files).toBeGreaterThan(0);
  }, 300_000);
});
