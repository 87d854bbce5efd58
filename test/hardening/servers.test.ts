/**
 * The servers as a user starts them (real processes): where they listen, and what the replay server
 * does with abusive clients and hostile query parameters. The recording the replay serves is made
 * first by `ticktape record --simulate`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CliProcess, converse, listenAddresses, rawTcp, tmpDir, until, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

let dataDir: string;
const recorderCheck = { stderr: '', httpListen: [] as string[], simListen: [] as string[], health: null as null | { status: string; streams: unknown[] }, exit: null as null | number };

/** Records the simulator for a few seconds with `record --simulate --http 0`, checking its listeners while it runs. */
async function recordSomeData(dir: string): Promise<void> {
  const rec = new CliProcess(['record', '--simulate', '--http', '0', '--data', dir, '--instance', 'hardening', '--stagger-ms', '0']);
  try {
    const http = await rec.waitFor(/"port":(\d+),"msg":"http listening/, 'stderr');
    const sim = await rec.waitFor(/"url":"ws:\/\/127\.0\.0\.1:(\d+)","msg":"simulator started in-process"/, 'stderr');
    recorderCheck.httpListen = listenAddresses(Number(http[1]));
    recorderCheck.simListen = listenAddresses(Number(sim[1]));
    // enough data: every exchange has sent frames
    recorderCheck.health = await until(
      async () => {
        const h = (await (await fetch(`http://127.0.0.1:${http[1]}/health`)).json()) as { status: string; streams: Array<{ exchange: string; frames: number }> };
        const exchanges = new Set(h.streams.filter((s) => s.frames > 20).map((s) => s.exchange));
        return exchanges.size === 4 ? h : null;
      },
      'frames from all four exchanges',
      30_000,
      250,
    );
  } finally {
    recorderCheck.exit = (await rec.stop('SIGTERM')).code;
    recorderCheck.stderr = rec.stderr;
  }
}

class Replay {
  proc: CliProcess;
  port = 0;
  constructor(args: string[]) {
    this.proc = new CliProcess(['replay', '--data', dataDir, '--port', '0', ...args]);
  }
  async started(): Promise<this> {
    const m = await this.proc.waitFor(/listening on (\S+):(\d+)/);
    this.port = Number(m[2]);
    return this;
  }
  url(p: string): string {
    return `ws://127.0.0.1:${this.port}${p}`;
  }
  http(p: string, init?: RequestInit): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}${p}`, init);
  }
}

const sub = (channels: string[]) => JSON.stringify({ op: 'SUB', channel: channels, id: 1 });
const parse = (m: string | Buffer) => JSON.parse(typeof m === 'string' ? m : m.toString('utf8')) as Record<string, unknown>;

let replay: Replay;

beforeAll(async () => {
  dataDir = path.join(tmpDir(), 'data');
  await recordSomeData(dataDir);
  replay = await new Replay(['--speed', 'max', '--max-connections', '3', '--max-subscriptions', '2']).started();
}, 120_000);

afterAll(async () => {
  await replay?.proc.stop();
});

describe('listening addresses', () => {
  it('the recorder binds /health and its in-process simulator to 127.0.0.1, and stops with 0 on SIGTERM', () => {
    expect(recorderCheck.httpListen).toEqual(['127.0.0.1']);
    expect(recorderCheck.simListen).toEqual(['127.0.0.1']);
    expect(recorderCheck.health?.streams.length).toBeGreaterThan(0);
    expect(recorderCheck.exit).toBe(0);
    expect(recorderCheck.stderr).not.toContain('reachable from other machines');
  });

  it('the recorder binds /health to the address given with --http', async () => {
    const rec = new CliProcess(['record', '--simulate', '--http', '0.0.0.0:0', '--data', path.join(tmpDir(), 'data'), '--instance', 'hardening-open']);
    try {
      const port = Number((await rec.waitFor(/"port":(\d+),"msg":"http listening/, 'stderr'))[1]);
      expect(listenAddresses(port)).toEqual(['0.0.0.0']);
      expect(rec.stderr).toContain('listens on 0.0.0.0, reachable from other machines, without authentication');
    } finally {
      expect((await rec.stop()).code).toBe(0);
    }
  });

  it('the replay server binds to 127.0.0.1 by default', () => {
    expect(listenAddresses(replay.port)).toEqual(['127.0.0.1']);
  });

  it('ticktape simulate binds to 127.0.0.1 by default, and to the address given with --host', async () => {
    const sim = new CliProcess(['simulate', '--port', '0']);
    try {
      const port = Number((await sim.waitFor(/on port (\d+)/))[1]);
      expect(listenAddresses(port)).toEqual(['127.0.0.1']);
      expect(sim.stdout).toContain(`ws://127.0.0.1:${port}/coinstore/s/ws`);
      expect(sim.stderr).not.toContain('reachable from other machines');
    } finally {
      expect((await sim.stop()).code).toBe(0);
    }
    const open = new CliProcess(['simulate', '--port', '0', '--host', '0.0.0.0']);
    try {
      const port = Number((await open.waitFor(/on port (\d+)/))[1]);
      expect(listenAddresses(port)).toEqual(['0.0.0.0']);
      await open.waitFor(/reachable from other machines, without authentication/, 'stderr');
    } finally {
      await open.stop();
    }
  });
});

describe('replay: limits', () => {
  it('answers 503 past --max-connections (the /normalized socket counts too)', async () => {
    const held: WebSocket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const ws = new WebSocket(replay.url('/coinstore/s/ws'));
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        held.push(ws);
      }
      expect((await converse(replay.url('/coinstore/s/ws'), [])).status).toBe(503);
      expect((await converse(replay.url('/normalized?exchange=coinstore'), [])).status).toBe(503);
    } finally {
      for (const ws of held) ws.terminate();
    }
  });

  it("refuses a subscription past --max-subscriptions with the exchange's 400 reply", async () => {
    const c = await until(
      async () => {
        const r = await converse(replay.url('/coinstore/s/ws'), [sub(['btcusdt@trade', 'ethusdt@trade', 'btcusdt@ticker'])], { settle: (ms) => ms.some((m) => parse(m).C === 400) });
        return r.status === 503 ? null : r; // the held sockets of the previous test may still be closing
      },
      'a free connection slot',
      5_000,
      50,
    );
    const refusal = c!.messages.map(parse).find((m) => m.C === 400);
    expect(String(refusal?.payload)).toContain('at most 2 subscriptions');
  });

  it('closes a frame over the replay frame limit (64 KiB) with 1009', async () => {
    const c = await converse(replay.url('/coinstore/s/ws'), ['x'.repeat(128 << 10)]);
    expect(c.close?.code).toBe(1009);
  });

  it('answers non-JSON with 400 bad.request and keeps the session', async () => {
    const c = await converse(replay.url('/coinstore/s/ws'), ['{not json', Buffer.from([0, 1, 2, 255])], { settle: (ms) => ms.filter((m) => parse(m).C === 400).length >= 2 });
    expect(c.messages.filter((m) => parse(m).C === 400)).toHaveLength(2);
    expect(c.close).toBeNull();
  });
});

describe('replay: hostile parameters', () => {
  it.each([['from=../../etc/passwd'], ['to=%2Fetc%2Fpasswd'], ['from=%00'], ['speed=..%2F..'], ['session=..%2F..%2Fetc'], ['session=%2Fetc%2Fpasswd'], ['session=a%00b']])('?%s: the connection is closed with 1008 and nothing is served', async (q) => {
    const c = await converse(replay.url(`/coinstore/s/ws?${q}`), [sub(['btcusdt@trade'])]);
    expect(c.close?.code).toBe(1008);
    expect(c.messages.some((m) => parse(m).T === 'trade' || /"trade"/.test(String(m)))).toBe(false);
  });

  it('/normalized refuses exchange and kind values that are not names (400), and treats symbol as data only', async () => {
    for (const q of ['exchange=..%2F..%2Fetc%2Fpasswd', 'exchange=%2Fetc', 'exchange=coin%00store', 'kinds=..%2Fraw']) {
      const res = await replay.http(`/normalized?${q}`);
      expect(res.status, q).toBe(400);
      await res.text();
    }
    const bySymbol = await replay.http('/normalized?exchange=coinstore&symbol=..%2F..%2F..%2Fetc%2Fpasswd');
    expect(bySymbol.status).toBe(200);
    expect(await bySymbol.text()).toBe('');
    const ok = await replay.http('/normalized?exchange=coinstore&kinds=trade');
    const lines = (await ok.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'trades', exchange: 'coinstore' });
  });

  it('the control API never maps a path to a file', async () => {
    const res = await replay.http('/control/sessions/..%2F..%2Fetc%2Fpasswd');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('root:');
    for (const p of ['/control/../../../../etc/passwd', '/control/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd']) {
      const raw = await rawTcp(replay.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(raw.answer, p).toMatch(/^HTTP\/1\.1 404/);
      expect(raw.answer).not.toContain('root:');
    }
  });

  it('seek with a path for a time is refused with 400', async () => {
    const ws = new WebSocket(replay.url('/coinstore/s/ws?session=hard1'));
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(sub(['btcusdt@trade']));
      await until(async () => (await (await replay.http('/control/sessions/hard1')).status) === 200, 'session hard1', 5_000, 50);
      const res = await replay.http(`/control/sessions/hard1/seek?to=${encodeURIComponent('../../etc/passwd')}`, { method: 'POST' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/ISO 8601/);
    } finally {
      ws.terminate();
    }
  });

  it('after all that, a well-behaved client still gets the recorded trades', async () => {
    const c = await converse(replay.url('/coinstore/s/ws'), [sub(['btcusdt@trade'])], { settle: (ms) => ms.filter((m) => parse(m).T === 'trade').length >= 3, maxMs: 15_000 });
    expect(c.messages.filter((m) => parse(m).T === 'trade').length).toBeGreaterThanOrEqual(3);
  });
});
