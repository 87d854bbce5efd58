import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EXCHANGES } from '../../exchanges/registry.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';

interface Conn {
  ws: WebSocket;
  frames: Array<{ text: string; binary: boolean }>;
  closed: Promise<number>;
  waitFor(pred: (text: string) => boolean, timeoutMs?: number): Promise<string>;
}

async function connect(url: string): Promise<Conn> {
  const ws = new WebSocket(url);
  const frames: Array<{ text: string; binary: boolean }> = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer, binary: boolean) => {
    frames.push({ text: data.toString('utf8'), binary });
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < frames.length; seen++) {
            if (pred(frames[seen].text)) {
              waiters.delete(check);
              clearTimeout(t);
              resolve(frames[seen].text);
              return;
            }
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame in ${timeoutMs} ms (${frames.length} frames)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

const sub = (ch: string, id = 1) => JSON.stringify({ op: 'SUB', channel: [ch], id });

describe('simulator server: determinism end to end', () => {
  it('two simulators with the same seed and clock origin send byte-identical frames; another seed differs', async () => {
    const run = async (seed: number) => {
      const sim = await startSimulator({ port: 0, seed, rate: 0, originMs: Date.UTC(2026, 0, 1) });
      try {
        const c = await connect(sim.url('coinstore', 'ws'));
        c.ws.send(sub('btcusdt@trade', 1));
        c.ws.send(sub('ethusdt@depth@20', 2));
        await c.waitFor((t) => t.includes('sub.channel.success') && t.includes('"S":5'));
        // rate 0: the market only moves when stepped, so the frames depend on nothing but the steps
        for (let i = 0; i < 40; i++) sim.step(50);
        // every frame was sent during step() or before it (the welcome); the simulator counts each
        const sent = sim.stats().routes['coinstore/ws'].frames;
        await c.waitFor(() => c.frames.length >= sent);
        expect(c.frames.length).toBe(sent);
        c.ws.close();
        await c.closed;
        return c.frames.map((f) => f.text);
      } finally {
        await sim.close();
      }
    };
    const a = await run(42);
    const b = await run(42);
    const other = await run(43);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(other).not.toEqual(a);
  });
});

describe('simulator server: credentials', () => {
  it('accepts extra credentials besides the demo ones, and still refuses wrong ones', async () => {
    const sim = await startSimulator({ port: 0, rate: 100, credentials: { nexus: [{ token: 'extra-token-1' }] } });
    const mod = EXCHANGES.nexus;
    const open = async (token: string) => {
      const session = mod.client.createSession({ endpointUrl: sim.url('nexus', 'realtime'), endpoint: 'realtime', streams: [], credentials: { token }, nowMs: () => Date.now() });
      const ws = new WebSocket(session.url, session.protocols ?? [], { headers: session.headers });
      const outcome = await new Promise<string>((resolve) => {
        ws.on('open', () => resolve('open'));
        ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
        ws.on('error', () => resolve('error'));
      });
      const code =
        outcome === 'open'
          ? await new Promise<number>((resolve) => {
              ws.on('close', (c) => resolve(c));
              setTimeout(() => resolve(-1), 300);
            })
          : null;
      ws.terminate();
      return { outcome, code };
    };
    try {
      expect(await open('extra-token-1')).toEqual({ outcome: 'open', code: -1 });
      expect(await open(mod.demoCredentials.token)).toEqual({ outcome: 'open', code: -1 });
      const bad = await open('wrong-token');
      expect(bad.outcome !== 'open' || bad.code !== -1).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator server (Coinstore endpoint over a real socket)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 5, rate: 400, symbols: ['BTC-USDT', 'ETH-USDT', 'LTC-BTC'] });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('lists a URL for every endpoint of every exchange under one port', () => {
    const routes = sim.endpoints().filter((e) => e.transport === 'websocket');
    const names = routes.map((r) => `${r.exchange}/${r.endpoint}`);
    for (const ex of ['coinstore', 'coinsuper', 'nexus', 'coinceres']) expect(names.some((n) => n.startsWith(`${ex}/`))).toBe(true);
    for (const r of routes) expect(r.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${sim.port}/`));
    for (const r of routes.filter((e) => !e.alias)) expect(r.url).toBe(sim.url(r.exchange, r.endpoint));
  });

  it('streams trades with consecutive ids from the shared market', async () => {
    const c = await connect(sim.url('coinstore', 'ws'));
    c.ws.send(sub('btcusdt@trade'));
    await c.waitFor((t) => t.includes('"T":"trade"'));
    const ids: number[] = [];
    while (ids.length < 30) {
      const before = c.frames.length;
      await c.waitFor(() => c.frames.length > before);
      ids.length = 0;
      for (const f of c.frames) {
        const m = JSON.parse(f.text) as { T?: string; tradeId?: number; data?: Array<{ tradeId: number }> };
        if (m.T !== 'trade') continue;
        if (typeof m.tradeId === 'number') ids.push(m.tradeId);
        else for (const d of m.data ?? []) ids.push(d.tradeId);
      }
    }
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
    c.ws.close();
    await c.closed;
  });

  it('drops a connection after N frames without a close frame, and counts it', async () => {
    const before = sim.stats().faults.drops;
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.dropEvery=25`);
    c.ws.send(sub('btcusdt@trade'));
    const code = await c.closed;
    expect(code).toBe(1006);
    // every frame counts, the welcome first: the 25th is the last before the cut
    expect(c.frames.length).toBe(25);
    expect(sim.stats().faults.drops).toBe(before + 1);
  });

  it('replaces data frames with malformed bytes at the given rate, and counts them', async () => {
    const before = sim.stats().faults.malformed;
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.malformedRate=0.3&fault.dropEvery=200`);
    c.ws.send(sub('btcusdt@trade'));
    await c.closed;
    const bad = c.frames.filter((f) => !isJson(f.text)).length;
    expect(bad).toBeGreaterThan(10);
    expect(sim.stats().faults.malformed - before).toBe(bad);
    // control frames (welcome, echo, resp) are never malformed
    expect(isJson(c.frames[0].text) && isJson(c.frames[1].text) && isJson(c.frames[2].text)).toBe(true);
  });

  it('drops a connection after N seconds without a close frame', async () => {
    const before = sim.stats().faults.drops;
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.dropEverySeconds=0.3`);
    c.ws.send(sub('btcusdt@trade'));
    expect(await c.closed).toBe(1006);
    expect(c.frames.some((f) => f.text.includes('"T":"trade"'))).toBe(true);
    expect(sim.stats().faults.drops).toBe(before + 1);
  });

  it('closes with 1000 at the connection lifetime limit', async () => {
    const before = sim.stats().faults.lifetimeCloses;
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.lifetimeS=0.3`);
    c.ws.send(sub('btcusdt@trade'));
    expect(await c.closed).toBe(1000);
    expect(sim.stats().faults.lifetimeCloses).toBe(before + 1);
  });

  it('stalls one stream while the socket and the other streams go on', async () => {
    const before = sim.stats().faults;
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.stall=trade&fault.stallAfter=3`);
    c.ws.send(sub('btcusdt@trade', 1));
    c.ws.send(sub('btcusdt@depth@20', 2));
    const depthCount = () => c.frames.filter((f) => f.text.includes('"T":"depth"')).length;
    while (depthCount() < 10) await c.waitFor(() => depthCount() >= 10).catch(() => undefined);
    const trades = c.frames.filter((f) => f.text.includes('"T":"trade"')).length;
    expect(trades).toBe(3);
    const now = sim.stats().faults;
    expect(now.stalledStreams).toBe(before.stalledStreams + 1);
    expect(now.withheldItems).toBeGreaterThan(before.withheldItems);
    c.ws.close();
    await c.closed;
  });

  it('delays frames and stops reading on request, counting both', async () => {
    const before = sim.stats().faults;
    const slow = await connect(`${sim.url('coinstore', 'ws')}?fault.delayMs=20`);
    slow.ws.send(sub('btcusdt@trade'));
    await slow.waitFor((t) => t.includes('"T":"trade"'));
    expect(sim.stats().faults.delayed).toBeGreaterThan(before.delayed);
    slow.ws.close();
    await slow.closed;

    const deaf = await connect(`${sim.url('coinstore', 'ws')}?fault.stopReading=1`);
    expect(sim.stats().faults.stoppedReading).toBe(before.stoppedReading + 1);
    deaf.ws.send(sub('btcusdt@trade'));
    // the subscription is never read, so nothing but the welcome arrives
    await expect(deaf.waitFor((t) => t.includes('"T":"echo"'), 500)).rejects.toThrow();
    expect(deaf.frames.length).toBe(1);
    deaf.ws.terminate();
  });

  it('closes a connection with a bad fault parameter with 1008 and the reason', async () => {
    const c = await connect(`${sim.url('coinstore', 'ws')}?fault.malformedRate=7`);
    const reason = new Promise<string>((resolve) => c.ws.on('close', (_code, r) => resolve(r.toString())));
    expect(await c.closed).toBe(1008);
    expect(await reason).toMatch(/malformedRate must be between 0 and 1/);
  });

  it('reports frames and bytes per route', () => {
    const s = sim.stats();
    expect(s.routes['coinstore/ws'].frames).toBeGreaterThan(50);
    expect(s.routes['coinstore/ws'].bytes).toBeGreaterThan(s.routes['coinstore/ws'].frames * 20);
    expect(s.frames).toBeGreaterThanOrEqual(s.routes['coinstore/ws'].frames);
    expect(s.steps).toBeGreaterThan(0);
    expect(s.delivered.trade).toBeGreaterThan(0);
  });
});
