/**
 * A real S3 server for the remote-store tests: `moto_server -H 127.0.0.1 -p PORT` on a free port,
 * started per test file and stopped by PID. It implements conditional writes, multipart uploads,
 * ranges and ListObjectsV2. Tests call `skipWithout('moto', …)` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { openRemoteStore, type RemoteStore } from '../../store/remote/s3-client.js';
import { resolveStoreConfig } from '../../store/remote/store-config.js';

export interface Moto {
  endpoint: string;
  /** Environment a ticktape child process needs to reach this server. */
  env: Record<string, string>;
  /** A client of `url` (a bucket is created on first use). */
  store(url: string): Promise<RemoteStore>;
  stop(): Promise<void>;
}

export const MOTO_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing-secret-not-logged', AWS_REGION: 'us-east-1' };

function listenable(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
}

/**
 * A free loopback port: any (the kernel's pick), or one of TICKTAPE_TEST_PORTS ("43000-43999") when
 * set, for machines where each user of it keeps to a range of ports.
 */
async function freePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.TICKTAPE_TEST_PORTS ?? '');
  if (!range) return listenable(0);
  const lo = Number(range[1]);
  const span = Number(range[2]) - lo + 1;
  const first = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    try {
      return await listenable(lo + ((first + i) % span));
    } catch {
      // taken: the next one
    }
  }
  throw new Error(`no free port in TICKTAPE_TEST_PORTS=${process.env.TICKTAPE_TEST_PORTS}`);
}

async function waitUp(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('moto_server did not start in time');
}

export async function startMoto(): Promise<Moto> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 10_000) stderr += c.toString();
    });
    try {
      await waitUp(port, child, Date.now() + 30_000);
    } catch (err) {
      if (child.pid) child.kill('SIGKILL');
      if (attempt < 2) continue;
      throw new Error(`${(err as Error).message}: ${stderr.slice(-2000)}`);
    }
    const endpoint = `http://127.0.0.1:${port}`;
    const env = { ...MOTO_ENV, AWS_ENDPOINT_URL: endpoint };
    const clients: RemoteStore[] = [];
    const buckets = new Set<string>();
    return {
      endpoint,
      env,
      async store(url: string) {
        const s = openRemoteStore(resolveStoreConfig(url, {}, env));
        clients.push(s);
        if (!buckets.has(s.cfg.bucket)) {
          try {
            await s.client.send(new CreateBucketCommand({ Bucket: s.cfg.bucket }));
          } catch (err) {
            if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
          }
          buckets.add(s.cfg.bucket);
        }
        return s;
      },
      async stop() {
        for (const c of clients) c.close();
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      },
    };
  }
}
