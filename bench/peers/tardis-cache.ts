/**
 * A tardis-dev local cache built from the same frames, so that tardis-dev's own `replay()` and
 * `replayNormalized()` read it exactly as they read what they download: one gzip'd NDJSON file per
 * minute, `<cacheDir>/feeds/<exchange>/<sha256 of the filters>/YYYY/MM/DD/HH/mm.json.gz`, each line
 * `<local timestamp, 28 characters> <message>`. The bench points tardis-dev's `endpoint` at a closed
 * local port, so a slice missing from the cache fails at once instead of reaching any network.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import type { TapeRecord } from '../../schemas/record.js';

export interface TardisFilter {
  channel: string;
  symbols?: string[];
}

/** tardis-dev's cache folder key: sha256 of the JSON of the (already optimized) filters. */
export function filtersHash(filters: readonly TardisFilter[]): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('hex');
}

/** tardis-dev's local timestamp: ISO 8601 with 7 fraction digits (100 ns), always 28 characters. */
export function tardisTimestamp(recvNs: bigint): string {
  const ms = Number(recvNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-01-15T10:00:00.123Z
  const frac = String((recvNs % 1_000_000_000n) / 100n).padStart(7, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

function slicePath(dir: string, minuteMs: number): string {
  const d = new Date(minuteMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return path.join(dir, String(d.getUTCFullYear()), two(d.getUTCMonth() + 1), two(d.getUTCDate()), two(d.getUTCHours()), `${two(d.getUTCMinutes())}.json.gz`);
}

export interface TardisCacheWriter {
  add(rec: TapeRecord, message: string): Promise<void>;
  close(): Promise<{ bytes: number; fromIso: string; toIso: string; lines: number }>;
}

/** Writes minute slices as the frames come (in receive order), gzip at its default level as served. */
export function tardisCacheWriter(cacheDir: string, exchange: string, filters: readonly TardisFilter[]): TardisCacheWriter {
  const dir = path.join(cacheDir, 'feeds', exchange, filtersHash(filters));
  let gz: Gzip | null = null;
  let out: fs.WriteStream | null = null;
  let minute = -1;
  let first = -1;
  let lines = 0;
  let pending: string[] = [];
  const files: string[] = [];
  const flushPending = async () => {
    if (!gz || pending.length === 0) return;
    if (!gz.write(pending.join(''))) await once(gz, 'drain');
    pending = [];
  };
  const closeSlice = async () => {
    if (!gz || !out) return;
    await flushPending();
    const done = once(out, 'finish');
    gz.end();
    await done;
    gz = null;
    out = null;
  };
  return {
    async add(rec, message) {
      const m = Math.floor(Number(rec.recvNs / 1_000_000n) / 60_000) * 60_000;
      if (m !== minute) {
        await closeSlice();
        // Minutes without frames still need a (empty) slice: tardis-dev walks every minute.
        for (let k = minute < 0 ? m : minute + 60_000; k < m; k += 60_000) {
          const p = slicePath(dir, k);
          fs.mkdirSync(path.dirname(p), { recursive: true });
          fs.writeFileSync(p, (await import('node:zlib')).gzipSync(''));
          files.push(p);
        }
        minute = m;
        if (first < 0) first = m;
        const p = slicePath(dir, m);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        gz = createGzip();
        out = fs.createWriteStream(p);
        gz.pipe(out);
        files.push(p);
      }
      pending.push(`${tardisTimestamp(rec.recvNs)} ${message}\n`);
      lines++;
      if (pending.length >= 2000) await flushPending();
    },
    async close() {
      await closeSlice();
      const bytes = files.reduce((a, f) => a + fs.statSync(f).size, 0);
      return { bytes, fromIso: new Date(first).toISOString(), toIso: new Date(minute + 60_000).toISOString(), lines };
    },
  };
}
