/**
 * Soak run: the recorder (a child process, `ticktape record --config ...`) against the simulator
 * with fault injection for TICKTAPE_SOAK_SECONDS (default 600). Every SOAK_SAMPLE_MS it samples the
 * recorder's RSS, its open file handles (/proc/<pid>/fd) and /health; at the end it stops the
 * recorder with SIGTERM and compares what the recorder kept (frames, malformed frames flagged,
 * gap rows by cause) with what the simulator did (frames sent, faults injected, from its counters).
 *
 * The simulator runs in this process rather than inside the recorder (`record --simulate`): the
 * recorder's RSS and handles are then its own, and the simulator's fault counters are read exactly.
 * The recorder records the same plan `--simulate` builds (every exchange's default public channels
 * and its private ones with the demo credentials).
 *
 * Not part of `npm run bench` without arguments (it takes minutes): run `npm run bench -- soak`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXCHANGES } from '../exchanges/registry.js';
import { EXCHANGE_IDS } from '../exchanges/types.js';
import { startSimulator } from '../simulator/server.js';
import { openTape } from '../store/duck/index.js';
import type { BenchResult } from './types.js';

export const DEFAULT_SOAK_SECONDS = 600;
/** How often the recorder is sampled. */
export const SOAK_SAMPLE_MS = 10_000;
/** Faults injected on every connection: a drop (no close frame) every N frames, malformed frames, a lifetime cap. */
export const SOAK_FAULTS = { dropEvery: 1_000, malformedRate: 0.001, lifetimeS: 60 } as const;
/** Market steps per second of the simulator (each step moves every instrument once). */
export const SOAK_RATE = 200;
/** SIGTERM must end the recorder within this long (flush, seal). */
export const SOAK_STOP_TIMEOUT_MS = 60_000;

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');

interface Sample {
  t: number;
  rssMb: number;
  fds: number;
  status: string;
  appended: number;
  openGaps: number;
  reconnects: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Mean of the first and of the last quarter of the samples (at least one sample each). */
function quartiles(xs: number[]): { first: number; last: number } {
  const q = Math.max(1, Math.floor(xs.length / 4));
  return { first: mean(xs.slice(0, q)), last: mean(xs.slice(-q)) };
}

function soakRequested(): boolean {
  return process.argv.slice(2).includes('soak') || process.env.TICKTAPE_SOAK_SECONDS !== undefined;
}

export async function run(): Promise<BenchResult[]> {
  if (!soakRequested()) {
    process.stderr.write('soak: skipped (takes minutes); run `npm run bench -- soak`, TICKTAPE_SOAK_SECONDS sets the duration\n');
    return [];
  }
  const seconds = Number(process.env.TICKTAPE_SOAK_SECONDS ?? DEFAULT_SOAK_SECONDS);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`TICKTAPE_SOAK_SECONDS must be a positive number of seconds, got "${process.env.TICKTAPE_SOAK_SECONDS}"`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticktape-soak-'));
  const data = path.join(dir, 'data');
  const sim = await startSimulator({ port: 0, seed: 11, rate: SOAK_RATE, faults: { ...SOAK_FAULTS } });
  const instruments = sim.market.instruments;
  const config = {
    instance: 'soak',
    data,
    http: '127.0.0.1:0',
    staggerMs: 0,
    backoff: { initialMs: 200, maxMs: 2_000 },
    // Seal every minute so sealing (a child process, DuckDB, Parquet files) runs during the soak too.
    seal: { intervalMs: 60_000 },
    exchanges: EXCHANGE_IDS.map((id) => ({
      name: id,
      channels: [...EXCHANGES[id].defaultChannels(instruments), ...EXCHANGES[id].privateChannels(instruments)],
      baseUrl: `ws://127.0.0.1:${sim.port}`,
      credentials: { ...EXCHANGES[id].demoCredentials },
    })),
  };
  const configFile = path.join(dir, 'ticktape.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 1), { mode: 0o600 });

  const child = spawn(process.execPath, [CLI, 'record', '--config', configFile], {
    env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const pid = child.pid!;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  let errors = 0;
  let port = 0;
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
    let i: number;
    while ((i = stderr.indexOf('\n')) >= 0) {
      const line = stderr.slice(0, i);
      stderr = stderr.slice(i + 1);
      try {
        const l = JSON.parse(line) as { level: number; msg: string; port?: number };
        if (l.msg === 'http listening (/health, /metrics)') port = Number(l.port);
        if (l.level >= 50) errors++;
      } catch {
        // the status line on a TTY; not JSON
      }
    }
  });

  const samples: Sample[] = [];
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const sample = async (): Promise<void> => {
    const h = port
      ? ((await fetch(`http://127.0.0.1:${port}/health`)
          .then((r) => r.json())
          .catch(() => null)) as {
          status: string;
          journal: { appended: number } | null;
          open_gaps: number;
          streams: Array<{ reconnects: number }>;
        } | null)
      : null;
    const s: Sample = {
      t: Math.round((Date.now() - started) / 1000),
      rssMb: rssMb(pid),
      fds: fdCount(pid),
      status: h?.status ?? 'no answer',
      appended: h?.journal?.appended ?? 0,
      openGaps: h?.open_gaps ?? 0,
      reconnects: h ? h.streams.reduce((a, x) => a + x.reconnects, 0) : 0,
    };
    samples.push(s);
    process.stderr.write(`soak t=${s.t}s rss=${s.rssMb.toFixed(1)}MB fds=${s.fds} health=${s.status} appended=${s.appended} open_gaps=${s.openGaps} reconnects=${s.reconnects}\n`);
  };

  try {
    while (Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, Math.min(SOAK_SAMPLE_MS, Math.max(0, deadline - Date.now()))));
      if (child.exitCode !== null) break;
      await sample();
    }
    if (child.exitCode !== null) throw new Error(`the recorder exited early (${child.exitCode}): ${stderr.slice(-2000)}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  const stopAt = Date.now();
  const stopTimer = setTimeout(() => child.kill('SIGKILL'), SOAK_STOP_TIMEOUT_MS);
  const exit = await exited;
  clearTimeout(stopTimer);
  const stopMs = Date.now() - stopAt;
  const simStats = sim.stats();
  await sim.close();

  const tape = await openTape(data);
  let recorded = 0;
  let malformedFlagged = 0;
  const gapsByCause: Record<string, number> = {};
  let disconnectedConnections = 0;
  let lostFrames = 0;
  try {
    const r = (await tape.conn.runAndReadAll(`SELECT count(*)::BIGINT, count(*) FILTER (WHERE flags & 1 = 1)::BIGINT FROM raw WHERE direction = 'in' AND kind IN ('text', 'binary')`)).getRows()[0];
    recorded = Number(r[0]);
    malformedFlagged = Number(r[1]);
    // One gap row per stream a connection carried; the injected fault is per connection.
    for (const [cause, n, conns, lost] of (await tape.conn.runAndReadAll(`SELECT cause, count(*)::BIGINT, count(DISTINCT conn_id)::BIGINT, coalesce(sum(lost_frames), 0)::BIGINT FROM gaps GROUP BY cause ORDER BY cause`)).getRows()) {
      gapsByCause[String(cause)] = Number(n);
      if (cause === 'disconnect') disconnectedConnections = Number(conns);
      lostFrames += Number(lost);
    }
  } finally {
    tape.close();
  }
  const rss = quartiles(samples.map((s) => s.rssMb));
  const fds = quartiles(samples.map((s) => s.fds));
  const injectedDisconnects = simStats.faults.drops + simStats.faults.lifetimeCloses;
  const gapNote =
    Object.entries(gapsByCause)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none';
  const keep = process.env.TICKTAPE_SOAK_KEEP === '1';
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`soak: ${seconds}s, exit ${exit.code ?? exit.signal} after SIGTERM in ${stopMs} ms, error log lines ${errors}; ${keep ? `data kept in ${dir}` : 'data removed (TICKTAPE_SOAK_KEEP=1 keeps it)'}\n`);

  return [
    { name: 'duration', value: seconds, unit: 's', note: `${samples.length} samples every ${SOAK_SAMPLE_MS / 1000} s; faults dropEvery ${SOAK_FAULTS.dropEvery}, malformedRate ${SOAK_FAULTS.malformedRate}, lifetime ${SOAK_FAULTS.lifetimeS} s` },
    { name: 'frames sent by the simulator', value: simStats.frames, unit: 'frames' },
    { name: 'frames recorded (in)', value: recorded, unit: 'frames', note: 'text and binary frames received; the rest of what was sent is covered by disconnect gaps' },
    { name: 'disconnects injected', value: injectedDisconnects, unit: 'connections', note: `${simStats.faults.drops} drops, ${simStats.faults.lifetimeCloses} lifetime closes` },
    { name: 'connections with disconnect gaps', value: disconnectedConnections, unit: 'connections', note: `gap rows (one per stream) by cause: ${gapNote}; ${lostFrames} frames known lost` },
    { name: 'malformed frames injected', value: simStats.faults.malformed, unit: 'frames' },
    { name: 'malformed frames flagged', value: malformedFlagged, unit: 'frames', note: 'kept raw with FLAG_MALFORMED' },
    { name: 'RSS first quartile', value: rss.first, unit: 'MB' },
    { name: 'RSS last quartile', value: rss.last, unit: 'MB', note: `growth ${(((rss.last - rss.first) / rss.first) * 100).toFixed(1)} %; max ${Math.max(...samples.map((s) => s.rssMb)).toFixed(1)} MB` },
    { name: 'open handles first quartile', value: fds.first, unit: 'fds' },
    { name: 'open handles last quartile', value: fds.last, unit: 'fds', note: `max ${Math.max(...samples.map((s) => s.fds))}` },
    { name: 'stop after SIGTERM', value: stopMs, unit: 'ms', note: `exit ${exit.code ?? exit.signal}` },
    { name: 'error log lines', value: errors, unit: 'lines' },
  ];
}
