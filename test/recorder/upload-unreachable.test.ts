/**
 * A recorder whose object store cannot be reached (its endpoint a loopback port nothing listens
 * on) records on: frames keep coming into the journal and sealing goes on, the sealed files wait
 * on disk as the upload backlog, which /health and /metrics show growing with its lag, failures and
 * the last error; and with free space below twice the low-disk threshold (but above it: the disk
 * warning is not raised yet) an `upload backlog` alert is raised, with no journal record lost.
 * After the stop every sealed file is still on disk.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.js';
import { listPartitionFiles } from '../../store/partitions.js';
import { getJson, RecorderProcess, tmpDir, until } from './harness.js';
import { startSim, writeSimConfig } from './sim-harness.js';

let sim: Simulator;
let rec: RecorderProcess | null = null;
const root = tmpDir('tt-upload-unreachable-');

/** A loopback port nothing listens on (taken from the system, then let go). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  sim = await startSim({ rate: 40 });
});
afterAll(async () => {
  if (rec && rec.child.exitCode === null && rec.child.signalCode === null) await rec.stop('SIGKILL');
  await sim?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('a recorder with an unreachable object store', () => {
  it('records on while the backlog grows on disk, shows it in /health and /metrics, and alerts before the disk is low', async () => {
    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    const free = fs.statfsSync(root).bavail * fs.statfsSync(root).bsize;
    // The low-disk threshold at 0.6 × the free space: free is above it (no disk warning) and
    // below twice it (the backlog alert's condition), whatever else the machine writes meanwhile.
    const lowDiskGb = (free * 0.6) / 1024 ** 3;
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const cfg = writeSimConfig(root, sim, data, {
      exchanges: ['coinstore'],
      publicOnly: true,
      perExchange: { channels: ['btcusdt@trade', 'btcusdt@depth@20'] },
      extra: { instance: 'lonely', lowDiskGb, seal: { intervalMs: 2000 }, store: { url: 's3://unreachable-bucket/tape', endpoint, keepLocalDays: 0 } },
    });
    rec = new RecorderProcess(['--config', cfg], { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing-secret-not-logged', AWS_REGION: 'us-east-1' });
    const port = await rec.httpPort();
    const first = await until(
      async () => {
        const h = await getJson(port, '/health').catch(() => null);
        return h?.upload && h.upload.backlog_files > 0 && h.upload.failures > 0 ? h : null;
      },
      'a backlog and failed uploads',
      120_000,
      100,
    );
    expect(first.upload.last_error).toEqual(expect.any(String));
    expect(first.upload.uploaded_files).toBe(0);
    const frames = (h: { streams: Array<{ frames: number }> }) => h.streams.reduce((a, s) => a + s.frames, 0);
    // Recording and sealing go on: more frames, and the backlog grows with each seal.
    const later = await until(
      async () => {
        const h = await getJson(port, '/health').catch(() => null);
        return h?.upload && h.upload.backlog_files > first.upload.backlog_files && frames(h) > frames(first) && h.upload.lag_s > 0 ? h : null;
      },
      'the backlog to grow while recording goes on',
      120_000,
      200,
    );
    expect(later.upload.backlog_bytes).toBeGreaterThan(first.upload.backlog_bytes);
    expect(later.journal.lost_records).toBe(0);
    expect(later.streams.every((s: { journal_lost_frames: number }) => s.journal_lost_frames === 0)).toBe(true);
    // The alert comes while the disk is not low yet.
    const alerted = await until(
      async () => {
        const h = await getJson(port, '/health').catch(() => null);
        return h?.alerts?.some((a: { cause: string | null }) => a.cause === 'upload backlog') ? h : null;
      },
      'the upload backlog alert',
      60_000,
      200,
    );
    expect(alerted.disk.low).toBe(false);
    expect(alerted.alerts.find((a: { cause: string | null }) => a.cause === 'upload backlog').message).toMatch(/upload backlog of \d+ file\(s\)/);
    expect(alerted.status).not.toBe('ok');
    expect(JSON.stringify(alerted)).not.toContain('testing-secret');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(metric('ticktape_upload_backlog_files')).toBeGreaterThan(0);
    expect(metric('ticktape_upload_backlog_bytes')).toBeGreaterThan(0);
    expect(metric('ticktape_upload_lag_seconds')).toBeGreaterThan(0);
    expect(metric('ticktape_upload_failures')).toBeGreaterThan(0);
    expect(metric('ticktape_upload_bytes_per_second')).toBe(0);
    expect(metric('ticktape_upload_uploaded_bytes')).toBe(0);
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    // Nothing was shipped, so nothing was deleted (keepLocalDays 0 applies to shipped files only).
    expect(listPartitionFiles(data).length).toBeGreaterThanOrEqual(later.upload.backlog_files);
  }, 300_000);
});
