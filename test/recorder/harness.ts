/**
 * Test harness for the recorder: runs `node dist/cli/main.js record ...` as a real child process,
 * follows its JSON logs on stderr, and reads what it left on disk (journal segments, sealed
 * partitions through DuckDB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSegments, readSegment } from '../../store/journal/index.js';
import type { TapeRecord } from '../../schemas/record.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export function tmpDir(prefix = 'tt-rec-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export class RecorderProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  stderr = '';
  private waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `command` runs something else in front of `record` (an installed `ticktape`, or a wrapper such
   * as `unshare ... ticktape`); the default is this checkout's build, `node dist/cli/main.js`.
   */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, command: string[] = [process.execPath, CLI]) {
    this.child = spawn(command[0], [...command.slice(1), 'record', ...args], {
      cwd: ROOT,
      env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      this.stderr += s;
      buf += s;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let parsed: LogLine | null = null;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue;
        }
        this.logs.push(parsed);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(parsed!)) return true;
          w.resolve(parsed!);
          return false;
        });
      }
    });
    this.child.stdout!.resume();
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first log line (past or future) matching `pred`; rejects on exit or timeout. */
  waitLog(pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const found = this.logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; stderr:\n${this.stderr.slice(-3000)}`)), timeoutMs);
      const w = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(w);
      void this.exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`recorder exited (${code}) before the awaited log line; stderr:\n${this.stderr.slice(-3000)}`));
      });
    });
  }

  async httpPort(): Promise<number> {
    const l = await this.waitLog((x) => x.msg === 'http listening (/health, /metrics)');
    return Number(l.port);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export async function getJson<T = any>(port: number, p: string, method = 'GET'): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { method });
  return (await res.json()) as T;
}

export async function getText(port: number, p: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return res.text();
}

/** Polls `fn` until it returns a truthy value (condition waits, not timed assertions). */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every record of every journal segment (open or closed) under the data folder. */
export function journalRecords(dataDir: string): TapeRecord[] {
  const out: TapeRecord[] = [];
  for (const seg of listSegments(dataDir)) for (const r of readSegment(seg.path)) out.push(r);
  return out;
}

export function text(rec: TapeRecord): string {
  return Buffer.from(rec.payload).toString('utf8');
}
