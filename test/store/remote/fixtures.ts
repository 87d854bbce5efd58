/** Shared fixtures of the remote-store tests: sealed stores written by the real sealer, read back through the real reader. */
import fs from 'node:fs';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { readRecords } from '../../../store/reader/index.js';
import { genRecords, hex, tmpDataDir, writeJournal, T0 } from '../seal/fixtures.js';

export { T0, tmpDataDir };

/** A sealed store of one instance: `segments` sealed segments of `n` records each (two exchanges). */
export async function sealedStore(tag: string, instance: string, segments = 3, n = 200, startNs = T0): Promise<string> {
  const data = tmpDataDir(tag);
  const batches = Array.from({ length: segments }, (_, s) => [
    ...genRecords(n, { connId: `${instance}-k-${s + 1}`, startNs: startNs + BigInt(s) * 3_600_000_000_000n }),
    ...genRecords(Math.floor(n / 4), { connId: `${instance}-n-${s + 1}`, exchange: 'nexus', streams: ['BTC/USD'], startNs: startNs + BigInt(s) * 3_600_000_000_000n + 7n }),
  ]);
  await writeJournal(data, instance, batches);
  await sealClosedSegments(data);
  return data;
}

/** Every record of a data folder as one comparable line, in reader order. */
export async function recordLines(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readRecords({ dataDir })) {
    for (const r of batch) out.push(`${r.recvNs} ${r.connId} ${r.seq} ${r.direction} ${r.kind} ${r.stream} ${r.flags} ${hex(r.payload)}`);
  }
  return out;
}

export function rmAll(dirs: string[]): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
