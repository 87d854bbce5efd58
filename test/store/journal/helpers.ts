/** Shared helpers of the journal tests: temp data folders and deterministic records. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TapeRecord } from '../../../schemas/record.js';

export function tempDataDir(prefix = 'ttj-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** 2026-11-23T10:00:00Z in ns. */
export const BASE_NS = 1_795_428_000_000_000_000n;

/** A frame with a deterministic payload of `size` bytes (binary when `binary`). */
export function frame(seq: number, opts: { size?: number; connId?: string; stream?: string; exchange?: string; recvNs?: bigint; binary?: boolean } = {}): TapeRecord {
  const size = opts.size ?? 40;
  const payload = Buffer.alloc(size);
  if (opts.binary) for (let i = 0; i < size; i++) payload[i] = (seq * 31 + i * 7) & 0xff;
  else {
    const text = `{"seq":${seq},"p":"${'x'.repeat(Math.max(0, size))}"}`;
    Buffer.from(text).copy(payload, 0, 0, size);
  }
  return {
    exchange: opts.exchange ?? 'coinstore',
    connId: opts.connId ?? 'rec1-abc-1',
    seq,
    recvNs: opts.recvNs ?? BASE_NS + BigInt(seq) * 1_000_000n,
    direction: 'in',
    kind: opts.binary ? 'binary' : 'text',
    stream: opts.stream ?? 'btcusdt@trade',
    endpoint: 'wss://ws.coinstore.com/s/ws',
    payload,
    flags: 0,
  };
}

/** Plain-object view of a record for deep equality (payload as hex). */
export function view(r: TapeRecord): Record<string, unknown> {
  return { ...r, payload: Buffer.from(r.payload).toString('hex'), recvNs: r.recvNs.toString() };
}
