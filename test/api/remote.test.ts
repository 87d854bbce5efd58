/**
 * The library over a bucket: `openStore('s3://…')`, `replay({ data: 's3://…' })` and
 * `replayNormalized` read a store shipped to a real S3 server (moto) through the local cache, and
 * give what the same calls give over the local folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, replay, replayNormalized } from '../../api/index.js';
import { skipWithout } from '../helpers/system-tools.js';
import { MOTO_ENV, startMoto, type Moto } from '../helpers/moto.js';
import { uploadStore } from '../../store/remote/uploader.js';
import { sealedStore, tmpDataDir, T0 } from '../store/remote/fixtures.js';

const skip = skipWithout('moto', 'the library over an S3 bucket');
let moto: Moto;
let data: string;
const cacheDir = tmpDataDir('api-cache');
const URL = `s3://tt-api-${process.pid}/shipped`;
const saved = { ...process.env };

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  // The library takes credentials from the environment, as the SDK does.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOTO_ENV.AWS_SECRET_ACCESS_KEY, AWS_REGION: MOTO_ENV.AWS_REGION });
  data = await sealedStore('api-remote', 'east', 2, 150);
  const store = await moto.store(URL);
  const r = await uploadStore(data, store);
  expect(r.failures).toEqual([]);
  expect(r.uploaded).toBeGreaterThan(2);
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  for (const d of [data, cacheDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const remote = () => ({ endpoint: moto.endpoint, cacheDir });

async function lines(it: AsyncIterable<unknown>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  return out;
}

describe.skipIf(skip)('the library over s3://', () => {
  it('openStore queries the committed files of the bucket as the local store', async () => {
    const sql = 'SELECT exchange, conn_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM raw GROUP BY ALL ORDER BY ALL';
    const local = await openStore(data);
    const bucket = await openStore(URL, { remote: remote() });
    try {
      const want = await local.query(sql);
      expect(want.length).toBeGreaterThan(2);
      expect(await bucket.query(sql)).toEqual(want);
    } finally {
      local.close();
      bucket.close();
    }
    // What was fetched stays in the cache folder the caller named.
    expect(fs.readdirSync(cacheDir, { recursive: true }).some((f) => String(f).endsWith('.parquet'))).toBe(true);
    // close() removes the snapshot folder (hard links) once DuckDB let go of it, not the cached files.
    for (let i = 0; i < 200 && fs.readdirSync(path.join(cacheDir, '.views')).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.readdirSync(path.join(cacheDir, '.views'))).toEqual([]);
    expect(fs.readdirSync(cacheDir, { recursive: true }).some((f) => String(f).endsWith('.parquet'))).toBe(true);
  });

  it('replay() and replayNormalized() yield the same items as over the local folder', async () => {
    const want = await lines(replay({ data }));
    expect(want.length).toBeGreaterThan(300);
    expect(await lines(replay({ data: URL, remote: remote() }))).toEqual(want);
    // A time range fetches only its days, and still gives the local answer.
    const from = new Date(Number(T0 / 1_000_000n)).toISOString();
    expect(await lines(replay({ data: URL, remote: remote(), from, exchanges: ['nexus'] }))).toEqual(await lines(replay({ data, from, exchanges: ['nexus'] })));
    const normalized = await lines(replayNormalized({ data }));
    expect(await lines(replayNormalized({ data: URL, remote: remote() }))).toEqual(normalized);
  });

  it('a bucket without ticktape data is TT_NO_DATA, not an empty result', async () => {
    await moto.store(`s3://tt-api-empty-${process.pid}/x`);
    await expect(openStore(`s3://tt-api-empty-${process.pid}/x`, { remote: remote() })).rejects.toMatchObject({ code: 'TT_NO_DATA' });
  });
});
