/**
 * Shipping a sealed store to a real S3 server (moto): objects at the same hive paths with their
 * sidecars, one manifest per day, nothing overwritten, a crash at every step finished by the next
 * run without uploading twice, multipart uploads of large files, and the read-through cache giving
 * back exactly the records the local store holds.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { skipWithout } from '../../helpers/system-tools.js';
import { startMoto, type Moto } from '../../helpers/moto.js';
import { listPartitionFiles } from '../../../store/partitions.js';
import { readManifest } from '../../../store/remote/manifest.js';
import { listManifestDays } from '../../../store/remote/manifest.js';
import { StoreCache } from '../../../store/remote/read-cache.js';
import { listOpenMultipart } from '../../../store/remote/s3-client.js';
import { pruneShipped, uploadBacklog, uploadStore } from '../../../store/remote/uploader.js';
import { UploadLedger } from '../../../store/remote/upload-ledger.js';
import type { RemoteCrashPoint } from '../../../store/remote/remote-crash.js';
import { recordLines, rmAll, sealedStore, tmpDataDir } from './fixtures.js';
import { genRecords, writeJournal } from '../seal/fixtures.js';
import { sealClosedSegments } from '../../../store/seal/index.js';

const skip = skipWithout('moto', 'S3 upload tests');
let moto: Moto;
const dirs: string[] = [];
let n = 0;
const url = () => `s3://tt-upload-${++n}-${process.pid}/data`;

beforeAll(async () => {
  if (!skip) moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
afterEach(() => rmAll(dirs));

async function keysOf(store: Awaited<ReturnType<Moto['store']>>): Promise<string[]> {
  const r = await store.client.send(new ListObjectsV2Command({ Bucket: store.cfg.bucket }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function readBack(store: Awaited<ReturnType<Moto['store']>>): Promise<string[]> {
  const cacheDir = tmpDataDir('cache');
  dirs.push(cacheDir);
  const cache = new StoreCache(store, { dir: cacheDir });
  const sync = await cache.sync();
  const snap = cache.snapshot(sync.days);
  try {
    return await recordLines(snap.dir);
  } finally {
    snap.close();
  }
}

describe.skipIf(skip)('upload to S3', () => {
  it('ships every sealed file with its sidecar to the same hive path, commits it, and reads back byte-identical', async () => {
    const data = await sealedStore('up', 'rec-a');
    dirs.push(data);
    const store = await moto.store(url());
    const local = listPartitionFiles(data);
    const r = await uploadStore(data, store);
    expect(r.failures).toEqual([]);
    expect(r.uploaded).toBe(local.length);
    const keys = await keysOf(store);
    for (const f of local) {
      const rel = path.relative(data, f.path).split(path.sep).join('/');
      expect(keys).toContain(`data/${rel}`);
      expect(keys).toContain(`data/${path.posix.dirname(rel)}/.${path.basename(f.path)}.sha256`);
    }
    const days = await listManifestDays(store);
    expect(days.length).toBeGreaterThan(0);
    const m = (await readManifest(store, { table: 'raw', exchange: 'coinstore', date: '2026-01-15' })).manifest;
    expect(m.files.map((f) => f.name).sort()).toEqual(
      local
        .filter((f) => f.table === 'raw' && f.exchange === 'coinstore')
        .map((f) => path.basename(f.path))
        .sort(),
    );
    expect(await readBack(store)).toEqual(await recordLines(data));
    // A second run ships nothing.
    const again = await uploadStore(data, store);
    expect(again).toMatchObject({ uploaded: 0, adopted: 0, skipped: local.length });
    expect(uploadBacklog(data, store.cfg.url).files).toBe(0);
  });

  it('never overwrites: another object under the same name is a conflict and stays as it was', async () => {
    const data = await sealedStore('clash', 'rec-c', 1);
    dirs.push(data);
    const store = await moto.store(url());
    const f = listPartitionFiles(data).find((x) => x.table === 'raw')!;
    const key = `data/${path.relative(data, f.path).split(path.sep).join('/')}`;
    await store.client.send(new PutObjectCommand({ Bucket: store.cfg.bucket, Key: key, Body: 'someone else' }));
    const r = await uploadStore(data, store);
    expect(r.failures.map((x) => x.code)).toEqual(['TT_STORE_CONFLICT']);
    const back = await (await import('../../../store/remote/s3-client.js')).getText(store, key);
    expect(back?.text).toBe('someone else');
    // The file stays local and is not marked shipped.
    expect(fs.existsSync(f.path)).toBe(true);
    expect(uploadBacklog(data, store.cfg.url).files).toBe(1);
  });

  const points: RemoteCrashPoint[] = ['upload-after-object', 'upload-after-sidecar', 'upload-after-commit'];
  for (const point of points) {
    it(`a crash ${point} is finished by the next run, without uploading again`, async () => {
      const data = await sealedStore(`crash-${point}`, 'rec-k', 2);
      dirs.push(data);
      const store = await moto.store(url());
      await expect(uploadStore(data, store, { crashAt: point })).rejects.toMatchObject({ name: 'InjectedCrash' });
      // A reader sees only what is committed: at most the file in flight is missing, nothing is doubled.
      const partial = await readBack(store).catch(() => [] as string[]);
      expect(new Set(partial).size).toBe(partial.length);
      const r = await uploadStore(data, store);
      expect(r.failures).toEqual([]);
      expect(r.adopted).toBeGreaterThanOrEqual(1);
      expect(r.uploaded + r.adopted).toBe(listPartitionFiles(data).length);
      expect(await readBack(store)).toEqual(await recordLines(data));
    });
  }

  it('ships large files in parts, aborts a multipart upload a killed run left open, and prunes local files only after keepLocalDays', async () => {
    const data = tmpDataDir('big');
    dirs.push(data);
    // Incompressible payloads: a raw file of about 12 MB.
    const recs = genRecords(200, { connId: 'rec-b-k-1' }).map((r) => ({ ...r, payload: randomBytes(60_000) }));
    await writeJournal(data, 'rec-b', [recs]);
    await sealClosedSegments(data);
    const store = await moto.store(url());
    const big = listPartitionFiles(data).find((f) => f.table === 'raw')!;
    expect(big.bytes).toBeGreaterThan(10 * 1024 * 1024);
    const key = `data/${path.relative(data, big.path).split(path.sep).join('/')}`;
    // What a killed run leaves: a multipart upload with a part in it.
    const { CreateMultipartUploadCommand, UploadPartCommand } = await import('@aws-sdk/client-s3');
    const mp = await store.client.send(new CreateMultipartUploadCommand({ Bucket: store.cfg.bucket, Key: key }));
    await store.client.send(new UploadPartCommand({ Bucket: store.cfg.bucket, Key: key, UploadId: mp.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 1) }));
    const r = await uploadStore(data, store, { partSizeBytes: 5 * 1024 * 1024 });
    expect(r.failures).toEqual([]);
    expect(r.abortedMultipart).toBe(1);
    expect(await listOpenMultipart(store, 'data/')).toEqual([]);
    expect(await readBack(store)).toEqual(await recordLines(data));
    // Local deletion: not before keepLocalDays, then only files the ledger has as committed.
    const t0 = UploadLedger.open(data, store.cfg.url).all()[0].committedAtMs;
    expect(pruneShipped(data, store.cfg.url, 1, t0 + 3_600_000).deleted).toBe(0);
    const files = listPartitionFiles(data).length;
    expect(pruneShipped(data, store.cfg.url, 1, t0 + 86_400_001).deleted).toBe(files);
    expect(listPartitionFiles(data)).toEqual([]);
    expect(await readBack(store)).toHaveLength(200);
  });
});
