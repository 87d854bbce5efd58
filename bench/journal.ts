/**
 * Journal benchmarks: append rate with 200-byte frames at the default fsync cadence (one core, the
 * writer's own thread plus fdatasync in the thread pool), then scan / read / recovery rates over what
 * was written, and the alternative the design weighed: encoding each batch as a zstd-compressed
 * Arrow IPC message.
 */
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { listSegments, openJournalWriter, readSegment, recoverSegment, scanSegment } from '../store/journal/index.js';
import type { TapeRecord } from '../schemas/record.js';
import type { BenchResult } from './types.js';

const FRAMES = 1_000_000;
const FRAME_BYTES = 200;
const FRAMES_PER_TURN = 500;

/** ~200-byte JSON frames with varying digits, so compression figures mean something. */
function makePayloads(n: number): Buffer[] {
  let x = 0x2545f491;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const lv = (): string => `["${(64000 + rnd() * 200).toFixed(2)}","${(rnd() * 3).toFixed(4)}"]`;
    let s = `{"e":"depthUpdate","E":${1795428000000 + i},"s":"BTCUSDT","U":${9000000 + i * 3},"b":[${lv()},${lv()}],"a":[${lv()},${lv()}]}`;
    s = s.padEnd(FRAME_BYTES, ' ').slice(0, FRAME_BYTES);
    out.push(Buffer.from(s));
  }
  return out;
}

interface ZstdSimple {
  compress(data: Uint8Array, level?: number): Uint8Array | null;
}
function withZstd(): Promise<ZstdSimple> {
  const require = createRequire(import.meta.url);
  const { ZstdCodec } = require('zstd-codec') as { ZstdCodec: { run(cb: (z: { Simple: new () => ZstdSimple }) => void): void } };
  return new Promise((resolve) => ZstdCodec.run((z) => resolve(new z.Simple())));
}

/** The alternative framing: one Arrow IPC message per batch, zstd-compressed (encode cost only). */
async function arrowBatchAlternative(payloads: Buffer[]): Promise<{ framesPerS: number; bytesPerFrame: number }> {
  const zstd = await withZstd();
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let done = 0; done < n; done += FRAMES_PER_TURN) {
    const seq = new Float64Array(FRAMES_PER_TURN);
    const recv = new BigInt64Array(FRAMES_PER_TURN);
    const streams: string[] = [];
    const pls: Uint8Array[] = [];
    for (let i = 0; i < FRAMES_PER_TURN; i++) {
      seq[i] = done + i + 1;
      recv[i] = 1_795_428_000_000_000_000n + BigInt(done + i) * 1000n;
      streams.push(i % 2 ? 'btcusdt@trade' : 'btcusdt@depth20');
      pls.push(payloads[(done + i) % payloads.length]);
    }
    const table = new arrow.Table({
      seq: arrow.makeVector(seq),
      recv_ns: arrow.makeVector(recv),
      stream: arrow.vectorFromArray(streams, new arrow.Utf8()),
      payload: arrow.vectorFromArray(pls, new arrow.Binary()),
    });
    const c = zstd.compress(arrow.tableToIPC(table, 'stream'), 3);
    bytes += c?.length ?? 0;
  }
  return { framesPerS: n / secondsSince(t0), bytesPerFrame: bytes / n };
}

const secondsSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

export async function run(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ttj-bench-'));
  try {
    const payloads = makePayloads(4096);
    const w = openJournalWriter({ dataDir, instance: 'bench' });
    const base = BigInt(Date.now()) * 1_000_000n;
    const t0 = process.hrtime.bigint();
    let seq = 0;
    while (seq < FRAMES) {
      for (let i = 0; i < FRAMES_PER_TURN && seq < FRAMES; i++) {
        seq++;
        const rec: TapeRecord = {
          exchange: 'coinstore',
          connId: 'bench-x-1',
          seq,
          recvNs: base + BigInt(seq) * 1000n,
          direction: 'in',
          kind: 'text',
          stream: seq % 2 ? 'btcusdt@trade' : 'btcusdt@depth20',
          endpoint: 'wss://ws.coinstore.com/s/ws',
          payload: payloads[seq & 4095],
          flags: 0,
        };
        w.append(rec);
      }
      await new Promise((r) => setImmediate(r));
    }
    const appendS = secondsSince(t0);
    const st = w.stats();
    await w.close();
    const totalS = secondsSince(t0);
    const segs = listSegments(dataDir, 'bench');
    const diskBytes = segs.reduce((a, s) => a + s.bytes, 0);

    let t = process.hrtime.bigint();
    let scanned = 0;
    for (const s of segs) scanned += scanSegment(s.path).records;
    const scanS = secondsSince(t);

    t = process.hrtime.bigint();
    let read = 0;
    for (const s of segs) for (const r of readSegment(s.path)) read += r.payload.length > 0 ? 1 : 0;
    const readS = secondsSince(t);

    // Recovery with a rewrite: damage one record in the middle of the first segment.
    const victim = segs[0].path;
    const fd = openSync(victim, 'r+');
    writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, Math.floor(segs[0].bytes / 2));
    closeSync(fd);
    t = process.hrtime.bigint();
    const rep = recoverSegment(victim);
    const recoverS = secondsSince(t);
    const victimBytes = statSync(victim).size;

    // The price of durability per turn: await sync() (fdatasync) after every turn of frames.
    const SYNCED_FRAMES = 100_000;
    const ws = openJournalWriter({ dataDir, instance: 'bench-sync' });
    const ts = process.hrtime.bigint();
    for (let q = 1; q <= SYNCED_FRAMES; ) {
      for (let i = 0; i < FRAMES_PER_TURN; i++, q++) {
        ws.append({ exchange: 'coinstore', connId: 'bench-s-1', seq: q, recvNs: base + BigInt(q), direction: 'in', kind: 'text', stream: 'btcusdt@trade', endpoint: 'wss://ws.coinstore.com/s/ws', payload: payloads[q & 4095], flags: 0 });
      }
      await ws.sync();
    }
    const syncedS = secondsSince(ts);
    await ws.close();

    const alt = await arrowBatchAlternative(payloads);

    const mb = (b: number): number => b / 1e6;
    return [
      { name: 'append 200-byte frames', value: Math.round(FRAMES / appendS), unit: 'frames/s', note: `${FRAMES} frames, ${FRAMES_PER_TURN} per event-loop turn, fsync every 200 ms (${st.syncs} syncs)` },
      { name: 'append throughput (on disk)', value: mb(st.bytesWritten) / appendS, unit: 'MB/s', note: `${(st.bytesWritten / FRAMES).toFixed(0)} bytes per record on disk` },
      { name: 'append incl. close (final fsync)', value: Math.round(FRAMES / totalS), unit: 'frames/s' },
      { name: 'append with sync() after every turn', value: Math.round(SYNCED_FRAMES / syncedS), unit: 'frames/s', note: `fdatasync per ${FRAMES_PER_TURN} frames: ${((syncedS / (SYNCED_FRAMES / FRAMES_PER_TURN)) * 1000).toFixed(2)} ms per turn` },
      { name: 'scanSegment', value: mb(diskBytes) / scanS, unit: 'MB/s', note: `${scanned} records in ${segs.length} segment(s)` },
      { name: 'readSegment (decoded records)', value: Math.round(read / readS), unit: 'frames/s', note: `${(mb(diskBytes) / readS).toFixed(0)} MB/s` },
      { name: 'recoverSegment with one corrupt region', value: mb(victimBytes) / recoverS, unit: 'MB/s', note: `${rep.quarantined} region quarantined, segment rewritten` },
      { name: 'alternative: Arrow IPC + zstd(3) per batch, encode only', value: Math.round(alt.framesPerS), unit: 'frames/s', note: `${alt.bytesPerFrame.toFixed(1)} bytes per frame; no write, no fsync` },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
