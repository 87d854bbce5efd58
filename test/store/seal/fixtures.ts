/** Shared fixtures of the sealing and reader tests: synthetic records and journals written by the real writer. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openJournalWriter } from '../../../store/journal/index.js';
import type { TapeRecord } from '../../../schemas/record.js';

/** 2026-01-15T10:00:00Z in ns. */
export const T0 = 1_768_471_200_000_000_000n;

export function tmpDataDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tt-${tag}-`));
}

/** A payload that exercises byte-exactness: binary bytes, NULs, invalid UTF-8, sizes around DuckDB's 12-byte inline limit. */
export function payloadFor(i: number): Uint8Array {
  switch (i % 5) {
    case 0:
      return Buffer.from(`{"T":"trade","p":"${(100 + i / 1000).toFixed(8)}","q":"0.10000000","i":${i}}`);
    case 1:
      return Uint8Array.from({ length: 1 + (i % 40) }, (_, k) => (i * 31 + k * 7) & 0xff);
    case 2:
      return Uint8Array.from([0, 0xff, 0xfe, 0x80, i & 0xff, 0, 0x0a]);
    case 3:
      return new Uint8Array(0);
    default:
      return Buffer.from(`ping ${i}`);
  }
}

export interface GenOptions {
  exchange?: string;
  connId?: string;
  streams?: string[];
  startNs?: bigint;
  stepNs?: bigint;
  startSeq?: number;
}

/** `n` records of one connection, recv_ns increasing. */
export function genRecords(n: number, o: GenOptions = {}): TapeRecord[] {
  const streams = o.streams ?? ['btcusdt@trade', 'ethusdt@depth'];
  const out: TapeRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      exchange: o.exchange ?? 'coinstore',
      connId: o.connId ?? 'inst-a-k1-1',
      seq: (o.startSeq ?? 1) + i,
      recvNs: (o.startNs ?? T0) + BigInt(i) * (o.stepNs ?? 1_000_000n),
      direction: i % 7 === 6 ? 'out' : 'in',
      kind: i % 5 === 1 || i % 5 === 2 ? 'binary' : 'text',
      stream: streams[i % streams.length],
      endpoint: 'wss://sim/ws',
      payload: payloadFor(i),
      flags: i % 11 === 10 ? 1 : 0,
    });
  }
  return out;
}

/** Writes records through the real journal writer, one closed segment per batch. Returns segment paths. */
export async function writeJournal(dataDir: string, instance: string, batches: TapeRecord[][]): Promise<string[]> {
  const paths: string[] = [];
  const w = openJournalWriter({ dataDir, instance, onSegmentClosed: (p) => paths.push(p) });
  for (let b = 0; b < batches.length; b++) {
    for (const r of batches[b]) w.append(r);
    w.flush();
    if (b < batches.length - 1) w.rotate();
  }
  await w.close();
  return paths.filter((p) => fs.existsSync(p));
}

export function key(r: Pick<TapeRecord, 'connId' | 'seq'>): string {
  return `${r.connId}#${r.seq}`;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
