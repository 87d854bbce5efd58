/**
 * Headless Chromium driven over the DevTools protocol (a plain `ws` client), so a third-party web
 * page (the Coinceres demo) can be run against the test server and what it sent, received and
 * logged can be read back.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

/** How long Chromium may take to start and print its DevTools URL on this (2-core) machine. */
const LAUNCH_TIMEOUT_MS = 30_000;

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

export function findChromium(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`Chromium was not found (looked at ${CANDIDATES.join(', ')}). Install it with ` + '`apt-get update && apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium/Chrome binary.');
  }
  return found;
}

/** Headless Chromium with nothing fetched from outside (no updates, sync or background traffic), on its own profile folder. */
function headlessFlags(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`];
}

/**
 * A local page run by a headless Chromium (up to 10 s of virtual time for its scripts) with `flags`
 * (`--dump-dom` prints the DOM after the scripts ran, `--screenshot=<png>` saves a picture), on a
 * new profile folder under `profileParent`.
 */
export function runPage(file: string, profileParent: string, flags: readonly string[]): SpawnSyncReturns<string> {
  const profile = mkdtempSync(path.join(profileParent, 'chromium-'));
  return spawnSync(findChromium(), [...headlessFlags(profile), '--virtual-time-budget=10000', ...flags, `file://${file}`], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
}

type Listener = (params: any, sessionId?: string) => void;

export interface Browser {
  send<T = any>(method: string, params?: object, sessionId?: string): Promise<T>;
  on(method: string, fn: Listener): void;
  /** Resolves when `pred` holds, re-checked after every protocol event; rejects after timeoutMs. */
  until(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** A fresh page: target attached with a flat session, Network/Runtime/Log/Page enabled. */
  newPage(): Promise<string>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const bin = findChromium();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ticktape-chromium-'));
  const child: ChildProcess = spawn(bin, [...headlessFlags(profile), '--remote-debugging-port=0', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools URL within ${LAUNCH_TIMEOUT_MS} ms:\n${stderr}`)), LAUNCH_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before it was ready:\n${stderr}`));
    });
  });

  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 256 << 20 });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  let id = 0;
  const pending = new Map<number, { res: (v: any) => void; rej: (e: Error) => void }>();
  const listeners = new Map<string, Listener[]>();
  const checks = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString());
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.rej(new Error(`${msg.error.message}`));
      else p?.res(msg.result);
      return;
    }
    for (const fn of listeners.get(msg.method) ?? []) fn(msg.params, msg.sessionId);
    for (const c of [...checks]) c();
  });

  const browser: Browser = {
    send(method, params = {}, sessionId) {
      const n = ++id;
      ws.send(JSON.stringify({ id: n, method, params, ...(sessionId ? { sessionId } : {}) }));
      return new Promise((res, rej) => pending.set(n, { res, rej }));
    },
    on(method, fn) {
      listeners.set(method, [...(listeners.get(method) ?? []), fn]);
    },
    until(pred, what, timeoutMs = 15_000) {
      return new Promise((res, rej) => {
        const check = () => {
          if (pred()) {
            clearTimeout(timer);
            checks.delete(check);
            res();
          }
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          rej(new Error(`timed out waiting for: ${what}`));
        }, timeoutMs);
        checks.add(check);
        check();
      });
    },
    async newPage() {
      const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
      for (const domain of ['Network', 'Runtime', 'Log', 'Page']) await browser.send(`${domain}.enable`, {}, sessionId);
      return sessionId as string;
    },
    async close() {
      try {
        await Promise.race([browser.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
      } catch {
        // already gone
      }
      ws.terminate();
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // the browser's own process group (it was started detached)
        } catch {
          // exited meanwhile
        }
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return browser;
}
