/**
 * `ticktape report --data s3://…` through the real CLI (a child process): the report of a bucket is
 * the report of the local store it was shipped from, byte for byte but for the data's name (the
 * bucket's URL, not the cache folder it was read through) and the time it was made; an
 * --exchange the bucket does not hold exits 4 as it does locally.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadStore } from '../../store/remote/uploader.js';
import { multiDayMarketStore } from '../api/multi-day-store.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { skipWithout } from '../helpers/system-tools.js';
import { tmpDataDir } from '../store/seal/fixtures.js';

const MAIN = path.resolve('dist/cli/main.js');
const skip = skipWithout('moto', 'ticktape report over an S3 bucket');
let moto: Moto;
let data: string;
const root = tmpDataDir('cli-remote-report');
const URL = `s3://tt-cli-report-${process.pid}/r`;

function ticktape(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...moto.env, TICKTAPE_CACHE_DIR: path.join(root, 'cache'), TICKTAPE_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  data = await multiDayMarketStore('cli-remote-report-data', 2);
  expect((await uploadStore(data, await moto.store(URL))).failures).toEqual([]);
}, 120_000);
afterAll(async () => {
  await moto?.stop();
  for (const d of [root, data]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skip)('ticktape report --data s3://', () => {
  it('writes the report of the local store it was shipped from', async () => {
    const local = path.join(root, 'local.html');
    const remote = path.join(root, 'remote.html');
    const [a, b] = [await ticktape(['report', '--data', data, '--out', local]), await ticktape(['report', '--data', URL, '--out', remote])];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout.trim()).toBe(remote);
    // The same page but for the data's name (the bucket's URL, not the cache it was read through) and the time it was made.
    const html = (f: string, name: string) =>
      fs
        .readFileSync(f, 'utf8')
        .split(name)
        .join('<data>')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<generated>');
    const want = html(local, data);
    expect(want).toContain('BTCUSDT');
    expect(html(remote, URL)).toBe(want);
  }, 300_000);

  it('an --exchange the bucket does not hold exits 4, as over the local store', async () => {
    const r = await ticktape(['report', '--data', URL, '--exchange', 'nexus', '--out', path.join(root, 'none.html')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/ticktape: .*\[TT_/);
    expect(fs.existsSync(path.join(root, 'none.html'))).toBe(false);
  }, 300_000);
});
