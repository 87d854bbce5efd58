/**
 * Simulator throughput: frames per second the simulator sustains to one client, per exchange
 * endpoint, with the market in `max` mode (it steps as fast as the client reads). The simulator
 * runs as its own process (`ticktape simulate --rate max`), as it does when it is the load
 * generator of the recorder benchmark; the client here speaks the exchange's protocol through the
 * module's client side until the subscriptions are acknowledged, then only counts frames.
 * Also: bare market steps per second (no sockets).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { EXCHANGES } from '../exchanges/registry.js';
import type { ExchangeId, OutFrame, StreamSpec } from '../exchanges/types.js';
import { Market } from '../simulator/market.js';
import type { BenchResult } from './types.js';

/** Counting window per endpoint, after a warm-up. */
const MEASURE_MS = 3_000;
const WARMUP_MS = 500;
const SYMBOLS = 'BTC-USDT,ETH-USDT';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '../cli/main.js');

function marketSteps(): BenchResult {
  const m = new Market({ seed: 1 });
  m.step(2_000); // warm-up
  const n = 50_000;
  const t0 = performance.now();
  m.step(n);
  const s = (performance.now() - t0) / 1000;
  return { name: 'market steps (2 symbols, no clients)', value: Math.round(n / s), unit: 'steps/s' };
}

async function startChild(): Promise<{ urls: Map<string, string>; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'simulate', '--port', '0', '--rate', 'max', '--seed', '1', '--symbols', SYMBOLS], {
    env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const urls = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/coinceres\s+trade\s+ws:/.test(out)) {
        for (const m of out.matchAll(/^(\w+)\s+(\w+)\s+(ws:\/\/\S+)/gm)) urls.set(`${m[1]}/${m[2]}`, m[3]);
        resolve();
      }
    });
  });
  return {
    urls,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function measure(exchange: ExchangeId, endpoint: string, url: string, streams: StreamSpec[]): Promise<{ frames: number; bytes: number; seconds: number }> {
  const mod = EXCHANGES[exchange];
  const session = mod.client.createSession({ endpointUrl: url, endpoint, streams, credentials: mod.demoCredentials, nowMs: () => Date.now() });
  const ws = new WebSocket(session.url, session.protocols ?? [], { headers: session.headers, perMessageDeflate: false });
  const send = (f: OutFrame) => ws.send(f.data, { binary: f.binary });
  let frames = 0;
  let bytes = 0;
  let parsing = true;
  let start = 0;
  const done = new Promise<{ frames: number; bytes: number; seconds: number }>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => {
      for (const f of session.onOpen()) send(f);
      setTimeout(() => {
        // From here on only count: the client's protocol work is not what is measured.
        parsing = false;
        frames = 0;
        bytes = 0;
        start = performance.now();
        setTimeout(() => {
          const seconds = (performance.now() - start) / 1000;
          resolve({ frames, bytes, seconds });
          ws.terminate();
        }, MEASURE_MS);
      }, WARMUP_MS);
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      frames += 1;
      bytes += data.byteLength;
      if (parsing) for (const r of session.onFrame(new Uint8Array(data), binary).replies ?? []) send(r);
    });
  });
  return done;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [marketSteps()];
  const child = await startChild();
  try {
    for (const mod of Object.values(EXCHANGES)) {
      if (!mod?.client) continue;
      const specs = mod.defaultChannels(sampleInstruments()).map((c) => mod.client.parseChannel(c));
      const byEndpoint = new Map<string, StreamSpec[]>();
      for (const s of specs) byEndpoint.set(s.endpoint, [...(byEndpoint.get(s.endpoint) ?? []), s]);
      for (const [endpoint, streams] of byEndpoint) {
        const url = child.urls.get(`${mod.id}/${endpoint}`);
        if (!url) continue;
        const r = await measure(mod.id, endpoint, url, streams);
        results.push({
          name: `${mod.id}/${endpoint} to one client`,
          value: Math.round(r.frames / r.seconds),
          unit: 'frames/s',
          note: `${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s, ${streams.length} default streams on ${SYMBOLS}, --rate max`,
        });
      }
    }
  } finally {
    await child.stop();
  }
  return results;
}

function sampleInstruments() {
  return new Market({ seed: 1, symbols: SYMBOLS.split(',') }).instruments;
}
