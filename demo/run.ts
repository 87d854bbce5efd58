/**
 * `ticktape demo`: the whole product in one run against the built-in simulator.
 *  1. record all four exchanges (public and private channels) for `seconds`, with progress;
 *  2. replay the recording at 10x to a sample bot over Coinstore's native protocol;
 *  3. print a short analysis (bars, spread, gaps) and write the HTML report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../core/log.js';
import { configFromFlags } from '../recorder/config.js';
import { Recorder } from '../recorder/recorder.js';
import { startReplay } from '../replay/server.js';
import { openAnalysis } from '../analysis/open.js';
import { runScript } from '../analysis/scripts.js';
import { writeReport } from '../analysis/report/index.js';
import { formatReader } from '../store/duck/index.js';
import { ProgressLine } from './progress.js';
import { runSampleClient } from './sample-client.js';

interface DemoOptions {
  dataDir: string;
  seconds: number;
  speed: number;
  seed: number;
  log?: Logger;
  out?: NodeJS.WritableStream;
}

interface DemoResult {
  dataDir: string;
  framesRecorded: number;
  replayed: { frames: number; trades: number; books: number; sHoles: number; closeCode: number | null };
  reportPath: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = opts.out ?? process.stdout;
  const log = opts.log ?? silentLogger;
  const say = (s: string) => out.write(`${s}\n`);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const progress = new ProgressLine();

  // 1. Record
  say(`1/3  Recording all four exchanges from the built-in simulator for ${opts.seconds} s into ${opts.dataDir}`);
  const { config } = configFromFlags({ simulate: true, data: opts.dataDir, http: 'off', seed: opts.seed });
  const recorder = await Recorder.start({ config, log });
  const started = Date.now();
  let frames = 0;
  while (Date.now() - started < opts.seconds * 1000) {
    await sleep(250);
    const h = recorder.health();
    frames = h.streams.reduce((n, s) => n + s.frames, 0);
    const per = new Map<string, number>();
    for (const s of h.streams) per.set(s.exchange, (per.get(s.exchange) ?? 0) + s.frames);
    const elapsed = (Date.now() - started) / 1000;
    progress.update(elapsed / opts.seconds, `${elapsed.toFixed(0)}/${opts.seconds} s  ${frames} frames  ${[...per].map(([e, n]) => `${e} ${n}`).join('  ')}`);
  }
  progress.update(1, 'stopping, sealing partitions...');
  await recorder.stop({ seal: true });
  progress.done(`     recorded ${frames} frames, sealed into ${path.join(opts.dataDir, '<table>/exchange=*/date=*/')}`);

  // 2. Replay at 10x to a sample bot
  say(`2/3  Replaying the recording at ${opts.speed}x to a sample Coinstore bot`);
  const replay = await startReplay({ dataDir: opts.dataDir, port: 0, speed: opts.speed, graceMs: 100 }, log);
  let replayed;
  try {
    const url = replay.url('coinstore', 'ws');
    replayed = await runSampleClient(url, 'btcusdt', ((opts.seconds + 60) * 1000) / opts.speed + 10_000);
    say(
      `     ${url}: ${replayed.frames} frames (${replayed.trades} trades, ${replayed.books} books) in ${replayed.seconds.toFixed(1)} s, ` +
        `S holes: ${replayed.sHoles}, closed with ${replayed.closeCode} at the end of the range; lateness p99 ${replay.stats.latenessMs().p99.toFixed(2)} ms`,
    );
  } finally {
    await replay.close();
  }

  // 3. Analysis and report
  say('3/3  Analysis');
  const tape = await openAnalysis(opts.dataDir, { includeJournal: true });
  const reportPath = path.join(opts.dataDir, 'report.html');
  try {
    const show = async (title: string, script: string, params: Parameters<typeof runScript>[2]) => {
      const r = await runScript(tape.conn, script, params);
      say(`\n${title}`);
      out.write(formatReader(r, 'table'));
    };
    await show('Trades per exchange and symbol', 'trade_summary', {});
    await show('10-second bars, Coinstore BTCUSDT', 'bars', { exchange: 'coinstore', symbol: 'BTCUSDT', interval: '10 seconds' });
    await show('Spread (bps) per exchange and symbol', 'spread', { interval: '1 hour' });
    await show('Gaps', 'gaps', {});
    await writeReport(tape.conn, opts.dataDir, reportPath, { exchange: null, symbol: null });
  } finally {
    tape.close();
  }
  say(`\nReport: ${reportPath}`);
  say(`Explore: npx ticktape query --data ${opts.dataDir} "SELECT * FROM quality"`);
  return { dataDir: opts.dataDir, framesRecorded: frames, replayed: replayed!, reportPath };
}
