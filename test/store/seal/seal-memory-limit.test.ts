/**
 * Sealing stays within the seal session's DuckDB memory limit however large the segment: a
 * segment of more than one rank block (each block is written in stream order) seals, verifies and
 * replays byte for byte with DuckDB limited to 64 MB through `TICKTAPE_DUCKDB_MEMORY`, the
 * documented setting, in `ticktape seal` as an operator runs it. Sorting a whole block of
 * templated rows at once needs about twice that.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { shape } from '../../../bench/peers/shapes.js';
import { readRecords } from '../../../store/reader/index.js';
import { RAW_BLOCK_ROWS } from '../../../store/seal/parquet-file.js';
import { hex, tmpDataDir, writeJournal } from './fixtures.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/cli/main.js');
/** Well below what one rank block of these rows takes to sort in DuckDB (about 100 MB). */
const SMALL_DUCKDB_MEMORY = '64MB';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!fs.existsSync(main))('sealing with a small DuckDB memory limit', () => {
  it('a segment of more than one rank block seals and verifies with DuckDB limited to 64 MB', async () => {
    const data = tmpDataDir('seal-mem');
    dirs.push(data);
    // Coinstore trade pushes (long payload templates) under an exchange without a normalizer: the
    // raw path is what crosses rank blocks, and no normalization keeps the test short.
    const n = RAW_BLOCK_ROWS + 6_000;
    const recs = [...shape('coinstore-trades').frames(n)].map((r) => ({ ...r, exchange: 'benchex' }));
    expect(recs).toHaveLength(n);
    await writeJournal(data, 'inst-m', [recs]);

    const env = { ...process.env, TICKTAPE_DUCKDB_MEMORY: SMALL_DUCKDB_MEMORY, TICKTAPE_LOG_LEVEL: 'warn' };
    const sealed = await run(process.execPath, [main, 'seal', '--data', data], { env, maxBuffer: 1 << 24 });
    expect(sealed.stdout).toMatch(new RegExp(`Sealed 1 segment\\(s\\): ${n} records`));
    expect(fs.readdirSync(path.join(data, 'journal', 'inst-m')).filter((f) => f.endsWith('.ttj'))).toEqual([]);

    const verified = await run(process.execPath, [main, 'verify', '--data', data, '--json'], { env, maxBuffer: 1 << 24 });
    const report = JSON.parse(verified.stdout) as { files: number; rows: number; findings: unknown[]; damaged: boolean };
    expect(report.findings).toEqual([]);
    expect(report.damaged).toBe(false);
    expect(report.files).toBeGreaterThan(0);

    const got: string[] = [];
    for await (const batch of readRecords({ dataDir: data })) for (const r of batch) got.push(`${r.connId}#${r.seq}@${r.recvNs}:${hex(r.payload)}`);
    expect(got).toEqual(recs.map((r) => `${r.connId}#${r.seq}@${r.recvNs}:${hex(r.payload)}`));
  }, 600_000);
});
