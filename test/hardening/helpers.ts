/**
 * Helpers of the hardening tests: the built CLI as a child process (one-shot or long-running, with
 * its stdout and stderr kept), WebSocket conversations, raw TCP, and the listening address of a
 * port as the kernel reports it (/proc/net/tcp), which is what "binds to loopback" means.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

const made: string[] = [];

/** A fresh temporary folder, removed by `removeTmpDirs` (call it in afterAll). */
export function tmpDir(prefix = 'tt-hard-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `ticktape <args>` to completion. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ticktape ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms; stderr:\n${stderr.slice(-2000)}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes are drained
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

/** A long-running `ticktape <args>` (simulate, replay, record) with its output kept. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits until stdout or stderr matches `re`; returns the match. */
  async waitFor(re: RegExp, where: 'stdout' | 'stderr' = 'stdout', timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this[where]);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before ${re}; stderr:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on ${where}; stderr:\n${this.stderr.slice(-3000)}`);
      await sleep(50);
    }
  }

  /** Structured log lines (pino JSON) written so far. */
  logs(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a partial last line
      }
    }
    return out;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value (a condition wait, not a timed assertion). */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Local addresses the kernel lists in LISTEN state for `port` (IPv4 and IPv6), e.g. ['127.0.0.1']
 * or ['0.0.0.0'].
 */
export function listenAddresses(port: number): string[] {
  const out: string[] = [];
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, p] = cols[1].split(':');
      if (p !== hexPort) continue;
      if (addr.length === 8) {
        const b = Buffer.from(addr, 'hex');
        out.push(`${b[3]}.${b[2]}.${b[1]}.${b[0]}`);
      } else {
        out.push(addr === '00000000000000000000000000000000' ? '::' : addr === '00000000000000000000000001000000' ? '::1' : addr);
      }
    }
  }
  return out;
}

export interface Conversation {
  /** Messages received (text as string, binary as Buffer). */
  messages: Array<string | Buffer>;
  /** Close code and reason, or null when the socket was still open at the end. */
  close: { code: number; reason: string } | null;
  /** HTTP status when the upgrade was refused. */
  status: number | null;
}

/**
 * Opens a WebSocket, sends `send` once open, and collects what comes back until the socket closes
 * or `settle` resolves true for the messages so far (or `maxMs` passes: then it is still open).
 */
export function converse(url: string, send: Array<string | Buffer>, opts: { protocols?: string | string[]; maxMs?: number; settle?: (messages: Array<string | Buffer>) => boolean; headers?: Record<string, string> } = {}): Promise<Conversation> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.protocols, { headers: opts.headers });
    const conv: Conversation = { messages: [], close: null, status: null };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(conv);
    };
    const timer = setTimeout(finish, opts.maxMs ?? 3_000);
    ws.on('unexpected-response', (_req, res) => {
      conv.status = res.statusCode ?? null;
      res.resume();
      finish();
    });
    ws.on('error', () => finish());
    ws.on('open', () => {
      for (const m of send) ws.send(m);
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      conv.messages.push(binary ? Buffer.from(data) : data.toString('utf8'));
      if (opts.settle?.(conv.messages)) finish();
    });
    ws.on('close', (code, reason) => {
      conv.close = { code, reason: reason.toString('utf8') };
      finish();
    });
  });
}

/** Sends raw bytes over TCP and collects the answer until the peer closes (or `maxMs`). */
export function rawTcp(port: number, data: string | Buffer, maxMs = 5_000): Promise<{ answer: string; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let answer = '';
    let settled = false;
    const finish = (closedByPeer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ answer, closedByPeer });
    };
    const timer = setTimeout(() => finish(false), maxMs);
    s.on('connect', () => s.write(data));
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
  });
}
