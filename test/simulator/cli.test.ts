import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(root, 'dist/cli/main.js');

function run(args: string[]): { child: ChildProcessWithoutNullStreams; exit: Promise<number | null>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [main, ...args], { cwd: root, env: { ...process.env, TICKTAPE_LOG_LEVEL: 'info' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stdout: () => out, stderr: () => err };
}

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!existsSync(main))('ticktape simulate (child process, built CLI)', () => {
  it('prints the URL table, serves a native endpoint, and exits 0 on SIGTERM', async () => {
    const p = run(['simulate', '--port', '0', '--seed', '3', '--symbols', 'BTC-USDT,ETH-USDT,LTC-BTC']);
    try {
      await until(() => /coinceres\s+trade\s+ws:\/\//.test(p.stdout()), 'the URL table');
      const out = p.stdout();
      expect(out).toMatch(/seed 3/);
      expect(out).toMatch(/BTC-USDT, ETH-USDT, LTC-BTC/);
      const urls = [...out.matchAll(/^(\w+)\s+(\w+)\s+(ws:\/\/\S+)/gm)].map((m) => ({ exchange: m[1], endpoint: m[2], url: m[3] }));
      expect(urls.map((u) => u.exchange)).toEqual(expect.arrayContaining(['coinstore', 'coinsuper', 'nexus', 'coinceres']));
      // logs go to stderr, never to stdout
      expect(out).not.toMatch(/"level"/);
      expect(p.stderr()).toMatch(/simulator listening/);

      const coinstore = urls.find((u) => u.exchange === 'coinstore')!;
      const ws = new WebSocket(coinstore.url);
      const frames: string[] = [];
      ws.on('message', (d: Buffer) => frames.push(d.toString()));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ op: 'SUB', channel: ['4@trade'], id: 1 }));
      await until(() => frames.some((f) => f.includes('"T":"trade"')), 'a trade');
      expect(JSON.parse(frames[0])).toMatchObject({ S: 1, T: 'resp', C: 200, M: 'established' });
      const trade = JSON.parse(frames.find((f) => f.includes('"T":"trade"'))!) as { symbol?: string; instrumentId?: number };
      expect(trade.instrumentId).toBe(4);
      ws.close();
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exit).toBe(0);
  });

  it('applies run-wide faults from flags: --fault-drop-every terminates connections', async () => {
    const p = run(['simulate', '--port', '0', '--fault-drop-every', '10']);
    try {
      await until(() => /coinstore\s+ws\s+ws:\/\//.test(p.stdout()), 'the URL table');
      const url = /coinstore\s+ws\s+(ws:\/\/\S+)/.exec(p.stdout())![1];
      const ws = new WebSocket(url);
      let frames = 0;
      ws.on('message', () => frames++);
      const code = new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      ws.on('open', () => ws.send(JSON.stringify({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 })));
      expect(await code).toBe(1006);
      expect(frames).toBeGreaterThanOrEqual(10);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exit).toBe(0);
  });

  it('refuses a bad flag with a non-zero exit and says which flag', async () => {
    const p = run(['simulate', '--rate', 'fast']);
    expect(await p.exit).not.toBe(0);
    expect(p.stderr()).toMatch(/--rate/);
  });

  it('serves MQTT over TCP on a free port with --port 0, and not at all with --mqtt-port off; the table lists it and /mqtt', async () => {
    const tcpLine = (out: string) => /^coinsuper\s+mqtt\s+(tcp:\/\/\S+)/m.exec(out)?.[1];
    const cases: Array<{ args: string[]; expect: (url: string | undefined) => void }> = [
      { args: ['--port', '0'], expect: (url) => expect(url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/) },
      { args: ['--port', '0', '--mqtt-port', 'off'], expect: (url) => expect(url).toBeUndefined() },
    ];
    for (const c of cases) {
      const p = run(['simulate', ...c.args]);
      try {
        await until(() => /coinceres\s+notify\s+ws:\/\//.test(p.stdout()), 'the URL table');
        await new Promise((r) => setTimeout(r, 100));
        const out = p.stdout();
        c.expect(tcpLine(out));
        expect(out).toMatch(/^coinsuper\s+mqtt\s+ws:\/\/127\.0\.0\.1:\d+\/mqtt\s/m);
        expect(out).toMatch(/^coinsuper\s+mqtt\s+ws:\/\/127\.0\.0\.1:\d+\/coinsuper\/mqtt\s/m);
        const url = tcpLine(out);
        if (url) {
          expect(out).toMatch(new RegExp(`MQTT over TCP on ${new URL(url).port}`));
          // a real MQTT client connects there
          const { connect } = await import('mqtt');
          const client = connect(url.replace(/^tcp:/, 'mqtt:'), { protocolVersion: 4, reconnectPeriod: 0, clientId: 'cli-test', username: 'api_subscriber', password: 'da65be18f44b33b69603c39fd03ddf49' });
          await new Promise<void>((resolve, reject) => {
            client.once('connect', () => resolve());
            client.once('error', reject);
          });
          client.end(true);
        }
      } finally {
        p.child.kill('SIGTERM');
      }
      expect(await p.exit).toBe(0);
    }
  });
});
