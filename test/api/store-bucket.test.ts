/**
 * `Store.verify()` and `Store.seal({ compact: true })` of an s3:// store work on the bucket (moto):
 * verify reports the instances and finds an object damaged in the bucket whether its committed copy
 * is cached or not; seal compacts in the bucket exactly as `ticktape seal --compact --data s3://…`
 * does, and the Store's next query reads the compacted files. `ticktape verify` and `ls` over the
 * bucket print what they printed before they went through the Store.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type BucketSealReport, type BucketVerifyReport } from '../../api/index.js';
import { skipWithout } from '../helpers/system-tools.js';
import { MOTO_ENV, startMoto, type Moto } from '../helpers/moto.js';
import { listManifestDays, readManifest } from '../../store/remote/manifest.js';
import type { RemoteStore } from '../../store/remote/s3-client.js';
import { uploadStore } from '../../store/remote/uploader.js';
import { sealedStore, tmpDataDir } from '../store/remote/fixtures.js';

const MAIN = path.resolve('dist/cli/main.js');
const skip = skipWithout('moto', 'the Store over an S3 bucket: verify and compaction');
const SQL = 'SELECT exchange, conn_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM raw GROUP BY ALL ORDER BY ALL';
let moto: Moto;
let data: string;
const dirs: string[] = [];
const saved = { ...process.env };
let n = 0;

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOTO_ENV.AWS_SECRET_ACCESS_KEY, AWS_REGION: MOTO_ENV.AWS_REGION });
  data = await sealedStore('store-bucket', 'east', 2, 150);
  dirs.push(data);
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh bucket holding the sealed store (two files per table, exchange and day). */
async function shipped(): Promise<{ url: string; store: RemoteStore }> {
  const url = `s3://tt-store-${++n}-${process.pid}/shipped`;
  const store = await moto.store(url);
  const r = await uploadStore(data, store);
  expect(r.failures).toEqual([]);
  return { url, store };
}

function cache(): string {
  const d = tmpDataDir('store-bucket-cache');
  dirs.push(d);
  return d;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ticktape(args: string[], cacheRoot: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...moto.env, TICKTAPE_CACHE_DIR: cacheRoot, TICKTAPE_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every committed file of the bucket: `table/exchange/date: instance name kind`, sorted. */
async function committed(store: RemoteStore): Promise<string[]> {
  const out: string[] = [];
  for (const d of await listManifestDays(store)) for (const f of (await readManifest(store, d)).manifest.files) out.push(`${d.table}/${d.exchange}/${d.date}: ${f.instance} ${f.name} ${f.kind}`);
  return out.sort();
}

/** The first committed raw file: its day, name and object key. */
async function firstRaw(store: RemoteStore): Promise<{ rel: string; key: string }> {
  const [d] = await listManifestDays(store, { table: 'raw' });
  const f = (await readManifest(store, d)).manifest.files[0];
  const rel = `raw/exchange=${d.exchange}/date=${d.date}/${f.name}`;
  return { rel, key: `${store.cfg.prefix}/${rel}` };
}

/** Overwrites an object with the same number of bytes, one of them changed (what a faulty copy leaves). */
async function damage(store: RemoteStore, key: string): Promise<void> {
  const got = await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
  const body = await got.Body!.transformToByteArray();
  body[Math.floor(body.length / 2)] ^= 0xff;
  await store.client.send(new PutObjectCommand({ Bucket: store.cfg.bucket, Key: key, Body: body }));
}

describe.skipIf(skip)('the Store over s3://: verify() and seal()', () => {
  it('verify() reports the instances, and finds an object damaged in the bucket, cached or not', async () => {
    const { url, store } = await shipped();
    const warm = cache();
    const s = await openStore(url, { remote: { endpoint: moto.endpoint, cacheDir: warm } });
    try {
      const clean = (await s.verify()) as BucketVerifyReport;
      expect(clean.damaged).toBe(false);
      expect(clean.url).toBe(url);
      expect(clean.instances.map((i) => [i.instance, i.firstDate, i.lastDate])).toEqual([['east', '2026-01-15', '2026-01-15']]);
      expect(clean.instances[0].files).toBe(clean.files);
      expect(clean.files).toBe(4);
      // the committed files are now in this cache; the bucket's copy is what verify checks
      expect((await s.query(SQL)).length).toBeGreaterThan(2);
      const { rel, key } = await firstRaw(store);
      await damage(store, key);
      const cached = (await s.verify()) as BucketVerifyReport;
      expect(cached.damaged).toBe(true);
      expect(cached.findings.filter((f) => f.severity === 'damage').map((f) => f.path)).toEqual([`${url}/${rel}`]);
      expect(cached.findings.find((f) => f.severity === 'damage')?.message).toMatch(/SHA-256 .* in the bucket, the manifest says .*damaged/);
    } finally {
      s.close();
    }
    // A cold cache: opening reads no object, so the damaged one is a finding, not an error of the open.
    const cold = await openStore(url, { remote: { endpoint: moto.endpoint, cacheDir: cache() } });
    try {
      const r = await cold.verify();
      expect(r.damaged).toBe(true);
      expect(r.findings.filter((f) => f.severity === 'damage').map((f) => f.path)).toEqual([`${url}/${(await firstRaw(store)).rel}`]);
      // a query needs every committed file: the damaged one is refused, named
      await expect(cold.query(SQL)).rejects.toMatchObject({ code: 'TT_PARTITION_DAMAGED' });
    } finally {
      cold.close();
    }
    // ticktape verify is the same call: exit 3 and the object named.
    const cli = await ticktape(['verify', '--data', url], cache());
    expect(cli.code, cli.stderr).toBe(3);
    expect(cli.stdout).toContain(`DAMAGE  ${url}/${(await firstRaw(store)).rel}: `);
    expect(cli.stdout).toMatch(/^Instances in s3:\/\/.*: east \(\d+ files, 2026-01-15\.\.2026-01-15\)$/m);
  }, 240_000);

  it('seal({ compact: true }) compacts in the bucket as ticktape seal --compact does, and the next query reads the day files', async () => {
    const viaStore = await shipped();
    const viaCli = await shipped();
    const before = await committed(viaStore.store);
    expect(before.filter((l) => l.endsWith(' day'))).toEqual([]);
    const s = await openStore(viaStore.url, { remote: { endpoint: moto.endpoint, cacheDir: cache() } });
    try {
      const want = await s.query(SQL);
      const filesBefore = (await s.ls()).exchanges.reduce((a, e) => a + e.files, 0);
      await expect(s.seal()).rejects.toMatchObject({ code: 'TT_CONFIG_INVALID', message: expect.stringContaining('add compact to compact it (seal({ compact: true }))') });
      const report = (await s.seal({ compact: true })) as BucketSealReport;
      expect(report.url).toBe(viaStore.url);
      const made = report.compacted.filter((r) => r.output);
      expect(made.length).toBe(2);
      for (const r of made) expect([r.instance, r.inputs.length]).toEqual(['east', 2]);
      // the Store let its snapshot go: the same rows, now from half as many files (the day files)
      expect(await s.query(SQL)).toEqual(want);
      expect((await s.ls()).exchanges.reduce((a, e) => a + e.files, 0)).toBe(filesBefore / 2);
    } finally {
      s.close();
    }
    const cli = await ticktape(['seal', '--compact', '--data', viaCli.url], cache());
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Compacted \d+ day file\(s\) in s3:\/\/.* \(\d+ files merged; inputs are deleted by a later run after the grace period\)\.$/m);
    const after = await committed(viaStore.store);
    expect(after.length).toBe(2);
    expect(after.every((l) => l.endsWith(' day'))).toBe(true);
    expect(await committed(viaCli.store)).toEqual(after);
    // without --compact, a bucket has nothing to seal: named as the flag
    const bare = await ticktape(['seal', '--data', viaCli.url], cache());
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`add --compact to compact it (ticktape seal --compact --data ${viaCli.url})`);
  }, 240_000);
});
