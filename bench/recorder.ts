/**
 * Recorder benchmark: sustained ingest on one core, and the cost of normalizing what was ingested.
 *
 *  - ingest (simulator): the recorder (in this process) records Coinstore trades + depth of several
 *    symbols from the simulator running at full speed in a child process (so its CPU is not ours).
 *  - ingest (blast): the same recorder against a minimal server that sends pre-built Coinstore trade
 *    frames as fast as the socket takes them: the recorder's own ceiling, without the simulator's.
 *  - for each: frames/s, recorder CPU % (of one core), peak RSS, journal MB/s, and the delay from a
 *    frame's arrival (the `message` event) to its being written to the journal file (it then
 *    survives a SIGKILL), p50 / p99, sampled on every 64th record.
 *  - normalize: sealing the recorded journal (normalization happens at seal time), frames/s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowNs } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { buildConfig } from '../recorder/config.js';
import type { RecordSink } from '../recorder/connection.js';
import { Recorder } from '../recorder/recorder.js';
import { sealClosedSegments } from '../store/seal/index.js';
import { openJournalWriter } from '../store/journal/index.js';
import { readRecords } from '../store/reader/index.js';
import { NormalizerSet } from '../store/seal/normalizers.js';
import type { TapeRecord } from '../schemas/record.js';
import type { JournalWriterHandle } from '../store/journal/api.js';
import type { BenchResult } from './types.js';

export const INGEST_SECONDS = Number(process.env.TICKTAPE_BENCH_RECORDER_S ?? 8);
const SAMPLE_EVERY = 64;
const here = path.dirname(fileURLToPath(import.meta.url));

interface LatencyProbe {
  sink: (inner: RecordSink, journal: JournalWriterHandle) => RecordSink;
  latenciesUs(): number[];
  stop(): void;
}

/** Wraps the journal sink: remembers the arrival time of sampled records, checks when they are written. */
function latencyProbe(): LatencyProbe {
  const pending: Array<{ idx: number; recvNs: bigint }> = [];
  const out: number[] = [];
  let journal: JournalWriterHandle | null = null;
  let appended = 0;
  const check = () => {
    if (!journal || !pending.length) return;
    const written = journal.stats().written;
    const now = nowNs();
    while (pending.length && pending[0].idx <= written) out.push(Number(now - pending.shift()!.recvNs) / 1000);
  };
  // A frame is written at the end of its event-loop turn: check right after each turn.
  let scheduled = false;
  const timer = setInterval(check, 1);
  return {
    sink: (inner, j) => {
      journal = j;
      return {
        append(rec) {
          inner.append(rec);
          appended += 1;
          if (appended % SAMPLE_EVERY !== 0) return;
          // Writes can happen inside this turn (the recorder flushes under bursts): look now, and
          // again right after the turn, when the journal writes the rest.
          check();
          if (rec.direction === 'in') pending.push({ idx: appended, recvNs: rec.recvNs });
          if (!scheduled) {
            scheduled = true;
            setImmediate(() => {
              scheduled = false;
              setImmediate(check);
            });
          }
        },
      };
    },
    latenciesUs: () => out,
    stop: () => clearInterval(timer),
  };
}

function pct(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Starts the simulator (dist) in a child process at full speed; resolves with its port. */
async function startSimulatorChild(): Promise<{ port: number; child: ChildProcess }> {
  const cli = path.join(here, '..', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'simulate', '--port', '0', '--rate', 'max', '--symbols', 'BTC-USDT,ETH-USDT,LTC-USDT,EOS-USDT', '--fast-pushes', '--book-throttle-ms', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code}: ${buf.slice(-500)}`)));
  });
  return { port, child };
}

/**
 * A server, in its own process, that sends pre-built Coinstore trade frames back to back (about
 * 1 MiB kept in flight: as fast as the recorder reads, never unbounded).
 */
const BLAST_SERVER = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('listening', () => process.stdout.write(JSON.stringify({ port: wss.address().port }) + '\\n'));
wss.on('connection', (ws) => {
  let S = 0, tradeId = 0, running = false;
  ws.send(JSON.stringify({ S: ++S, T: 'resp', sid: 'bench', C: 200, M: 'established' }));
  const pump = () => {
    if (ws.readyState !== ws.OPEN) return;
    while (ws.bufferedAmount < 1 << 20) {
      tradeId += 1;
      const ts = Date.now();
      ws.send('{"S":' + (++S) + ',"T":"trade","channel":"btcusdt@trade","price":"65001.' + (tradeId % 100) + '","tradeId":' + tradeId + ',"seq":' + tradeId + ',"ts":' + ts + ',"takerSide":"BUY","time":' + Math.floor(ts / 1000) + ',"volume":"0.0' + (tradeId % 97) + '","symbol":"BTCUSDT","instrumentId":4}');
    }
    setImmediate(pump);
  };
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m));
    if (msg.op !== 'SUB') return;
    ws.send(JSON.stringify({ S: ++S, T: 'echo', sid: 'bench', C: 200, M: 'command.received', echo: msg }));
    ws.send(JSON.stringify({ S: ++S, T: 'resp', sid: 'bench', C: 200, M: 'sub.channel.success' }));
    if (!running) { running = true; pump(); }
  });
});
`;

async function startBlastServer(): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BLAST_SERVER], { cwd: path.join(here, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`blast server exited ${code}`)));
  });
  return { port, close: () => child.kill('SIGTERM') };
}

interface IngestFigures {
  frames: number;
  seconds: number;
  cpuPct: number;
  rssMb: number;
  journalMb: number;
  p50Us: number;
  p99Us: number;
  dataDir: string;
}

async function ingest(label: string, channels: string[], baseUrl: string): Promise<IngestFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tt-bench-rec-${label}-`));
  const probe = latencyProbe();
  const config = buildConfig({ instance: 'bench', http: 'off', staggerMs: 0, seal: { atShutdown: false }, exchanges: [{ name: 'coinstore', channels, baseUrl }] }, null, { data: dataDir });
  const rec = await Recorder.start({ config, log: silentLogger, wrapSink: probe.sink });
  // Warm up (connect, subscribe, JIT) before measuring.
  await new Promise((r) => setTimeout(r, 1000));
  const h0 = rec.health();
  const frames0 = h0.streams.reduce((a, s) => a + s.frames, 0);
  const bytes0 = h0.journal?.bytes_written ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let rss = 0;
  const rssTimer = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 200);
  await new Promise((r) => setTimeout(r, INGEST_SECONDS * 1000));
  const h1 = rec.health();
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(rssTimer);
  probe.stop();
  await rec.stop({ seal: false });
  const lat = probe.latenciesUs();
  return {
    frames: (h1.streams.reduce((a, s) => a + s.frames, 0) - frames0) / seconds,
    seconds,
    cpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    rssMb: rss / 2 ** 20,
    journalMb: ((h1.journal?.bytes_written ?? 0) - bytes0) / seconds / 2 ** 20,
    p50Us: pct(lat, 50),
    p99Us: pct(lat, 99),
    dataDir,
  };
}

/**
 * Normalize + seal of everything the run recorded. The recorder seals closed segments in the
 * background while it runs, so the frames are first gathered back (sealed and unsealed) and written
 * as a fresh journal of 250k-frame segments; the seal of that journal is what is timed.
 */
async function normalize(dataDir: string): Promise<{ framesPerS: number; records: number; cpuPerS: number; pureFramesPerCpuS: number; rows: number }> {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-norm-'));
  try {
    const w = openJournalWriter({ dataDir: fresh, instance: 'bench' });
    let n = 0;
    const records: TapeRecord[] = [];
    for await (const batch of readRecords({ dataDir })) {
      for (const r of batch) {
        w.append(r);
        records.push(r);
        if (++n % 1000 === 0) w.flush();
        if (n % 250_000 === 0) w.rotate();
      }
    }
    await w.close();
    // the normalizers alone (pure functions, no storage): their share of a frame's CPU
    const set = new NormalizerSet();
    const p0 = process.cpuUsage();
    let rows = 0;
    for (const r of records) rows += set.normalize(r).length;
    const pu = process.cpuUsage(p0);
    const pureFramesPerCpuS = records.length / ((pu.user + pu.system) / 1e6);
    records.length = 0;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const report = await sealClosedSegments(fresh, { instance: 'bench' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    if (report.records !== n) throw new Error(`sealed ${report.records} of ${n} records`);
    return { framesPerS: report.records / s, records: report.records, cpuPerS: report.records / ((cpu.user + cpu.system) / 1e6), pureFramesPerCpuS, rows };
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
}

/** Normalize + seal of a run's recording, the normalizers alone, and ingest + normalization per CPU-second. */
async function normalizeFigures(label: string, f: IngestFigures, tables: string): Promise<BenchResult[]> {
  const n = await normalize(f.dataDir);
  return [
    { name: `normalize (seal) ${label} journal: frames/s`, value: Math.round(n.framesPerS), unit: 'frames/s', note: `${n.records} records → ${tables} Parquet` },
    { name: `normalize (seal) ${label} journal: per CPU-second`, value: Math.round(n.cpuPerS), unit: 'frames/CPU-s', note: 'all threads (JS + DuckDB)' },
    { name: `normalizers alone (${label} frames)`, value: Math.round(n.pureFramesPerCpuS), unit: 'frames/CPU-s', note: `${n.rows} rows; pure functions, no storage` },
    {
      name: `ingest + normalization on one core (${label})`,
      value: Math.round(1 / (1 / (f.frames / (f.cpuPct / 100)) + 1 / n.pureFramesPerCpuS)),
      unit: 'frames/CPU-s',
      note: 'receive, journal and normalize every frame; writing the normalized rows to Parquet runs in the seal process',
    },
  ];
}

function figures(label: string, f: IngestFigures, note: string): BenchResult[] {
  return [
    { name: `ingest ${label}: frames/s`, value: Math.round(f.frames), unit: 'frames/s', note },
    { name: `ingest ${label}: recorder CPU`, value: Math.round(f.cpuPct), unit: '% of one core' },
    // Load-independent: what one fully used core would sustain at this cost per frame.
    { name: `ingest ${label}: frames per CPU-second`, value: Math.round(f.frames / (f.cpuPct / 100)), unit: 'frames/CPU-s' },
    { name: `ingest ${label}: peak RSS`, value: Math.round(f.rssMb), unit: 'MiB' },
    { name: `ingest ${label}: journal write rate`, value: Number(f.journalMb.toFixed(1)), unit: 'MiB/s' },
    { name: `ingest ${label}: arrival → in journal p50`, value: Math.round(f.p50Us), unit: 'µs' },
    { name: `ingest ${label}: arrival → in journal p99`, value: Math.round(f.p99Us), unit: 'µs' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const symbols = ['btcusdt', 'ethusdt', 'ltcusdt', 'eosusdt'];
  const sim = await startSimulatorChild();
  let simFigures: IngestFigures | null = null;
  try {
    simFigures = await ingest(
      'simulator',
      symbols.flatMap((s) => [`${s}@trade`, `${s}@depth@20`]),
      `ws://127.0.0.1:${sim.port}`,
    );
  } finally {
    sim.child.kill('SIGTERM');
  }
  out.push(...figures('simulator', simFigures, `Coinstore trades + top-20 depth of 4 symbols, simulator at --rate max in another process, ${INGEST_SECONDS} s`));
  out.push(...(await normalizeFigures('simulator', simFigures, 'raw + trades + book')));
  fs.rmSync(simFigures.dataDir, { recursive: true, force: true });

  const blast = await startBlastServer();
  let blastFigures: IngestFigures;
  try {
    blastFigures = await ingest('blast', ['btcusdt@trade'], `ws://127.0.0.1:${blast.port}`);
  } finally {
    blast.close();
  }
  out.push(...figures('blast', blastFigures, `~200-byte Coinstore trade frames sent back to back by a minimal server, ${INGEST_SECONDS} s`));
  out.push(...(await normalizeFigures('blast', blastFigures, 'raw + trades')));
  fs.rmSync(blastFigures.dataDir, { recursive: true, force: true });
  return out;
}
