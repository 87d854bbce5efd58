/**
 * `replay --loop` memory: many sessions replaying one range at max speed, with and without
 * `--loop`, and the replay server's peak RSS in each case (each server in a fresh process of its
 * own, so one run's memory is not the other's; the clients in another). Without the loop every session ends after one pass; with it each
 * starts over at the end of the range, and the run lasts three passes. The goal is a peak with
 * `--loop` within 1.5× of the peak without it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startReplay } from '../replay/server.js';
import { runClients, sealedData, TOKEN } from './replay.js';
import type { BenchResult } from './types.js';

const SESSIONS = Number(process.env.TICKTAPE_BENCH_LOOP_SESSIONS ?? 256);
const FRAMES = Number(process.env.TICKTAPE_BENCH_LOOP_FRAMES ?? 20_000);
/** A looping run lasts this many times the duration of one pass without the loop. */
const LOOP_PASSES = 3;
const RSS_SAMPLE_MS = 25;
const RUN_FLAG = '--replay-loop-run';

interface Run {
  peakRssMb: number;
  baseRssMb: number;
  secs: number;
  frames: number;
  recordsRead: number;
  readsPeak: number;
  peakHeapMb: number;
}

async function sessions(dataDir: string, loop: boolean, forMs: number | null): Promise<Run> {
  const server = await startReplay({ dataDir, port: 0, speed: 'max', graceMs: 200, loop, maxConnections: SESSIONS + 16 });
  const base = process.memoryUsage().rss;
  let peak = base;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
  }, RSS_SAMPLE_MS);
  const t0 = Date.now();
  try {
    const { done, pid } = runClients(`ws://127.0.0.1:${server.port}/nexus/api/realtime?X-API-TOKEN=${TOKEN}`, 'nexus', SESSIONS, 'raw');
    if (forMs === null) {
      const reports = await done;
      const short = reports.filter((r) => r.frames < FRAMES).length;
      if (short) throw new Error(`${short} of ${SESSIONS} sessions got fewer than ${FRAMES} frames`);
    } else {
      await new Promise((r) => setTimeout(r, forMs));
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // ended by itself
      }
      await done.catch(() => undefined);
    }
    return { peakRssMb: peak / 2 ** 20, baseRssMb: base / 2 ** 20, secs: (Date.now() - t0) / 1000, frames: server.stats.frames, recordsRead: server.stats.recordsRead, readsPeak: server.stats.readsPeak, peakHeapMb: peakHeap / 2 ** 20 };
  } finally {
    clearInterval(sampler);
    await server.close();
  }
}

/** One run in a fresh process. */
function inChild(dataDir: string, loop: boolean, forMs: number | null): Promise<Run> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), RUN_FLAG, dataDir, String(loop), String(forMs ?? '')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`replay-loop run exited with ${code}`)))));
}

export async function run(): Promise<BenchResult[]> {
  const data = await sealedData('nexus', FRAMES, 1_000_000n);
  try {
    const once = await inChild(data, false, null);
    const looped = await inChild(data, true, Math.round(once.secs * 1000 * LOOP_PASSES));
    const passes = looped.frames / (SESSIONS * FRAMES);
    const ratio = looped.peakRssMb / once.peakRssMb;
    return [
      {
        name: `${SESSIONS} sessions, one pass: peak RSS`,
        value: Math.round(once.peakRssMb),
        unit: 'MiB',
        note: `before: ${Math.round(once.baseRssMb)} MiB; ${FRAMES} nexus frames each, max speed, ${once.secs.toFixed(1)} s; records read from the store: ${once.recordsRead}, at most ${once.readsPeak} reads open at once; peak JS heap + external ${Math.round(once.peakHeapMb)} MiB`,
      },
      {
        name: `${SESSIONS} sessions with --loop: peak RSS`,
        value: Math.round(looped.peakRssMb),
        unit: 'MiB',
        note: `before: ${Math.round(looped.baseRssMb)} MiB; ${passes.toFixed(1)} passes per session in ${looped.secs.toFixed(1)} s; records read: ${looped.recordsRead}, at most ${looped.readsPeak} reads open at once; peak JS heap + external ${Math.round(looped.peakHeapMb)} MiB`,
      },
      { name: '--loop peak RSS ÷ one pass', value: Number(ratio.toFixed(2)), unit: '×', note: 'goal ≤ 1.5' },
    ];
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}

if (process.argv[2] === RUN_FLAG) {
  void sessions(process.argv[3], process.argv[4] === 'true', process.argv[5] ? Number(process.argv[5]) : null).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
