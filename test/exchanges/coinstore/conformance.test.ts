/** The shared server-side conformance suite, driven by a plain `ws` client speaking Coinstore's protocol. */
import WebSocket from 'ws';
import { runConformance, type ConformanceClient } from '../conformance.js';

const DATA_TYPES = new Set(['trade', 'kline', 'ticker', 'depth', 'account', 'order']);
type Msg = Record<string, unknown>;

class Queue<T> {
  private items: T[] = [];
  private waiters: Array<(x: T) => void> = [];
  push(x: T): void {
    const w = this.waiters.shift();
    if (w) w(x);
    else this.items.push(x);
  }
  clear(): void {
    this.items = [];
  }
  next(timeoutMs: number, what: string): Promise<T> {
    const x = this.items.shift();
    if (x !== undefined) return Promise.resolve(x);
    return new Promise((resolve, reject) => {
      const waiter = (v: T) => {
        clearTimeout(t);
        resolve(v);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

async function open(url: string): Promise<{ ws: WebSocket; control: Queue<Msg>; data: Map<string, Queue<Msg>>; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const control = new Queue<Msg>();
  const data = new Map<string, Queue<Msg>>();
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (buf: Buffer) => {
    const msg = JSON.parse(buf.toString('utf8')) as Msg;
    if (typeof msg.T === 'string' && DATA_TYPES.has(msg.T) && typeof msg.channel === 'string') {
      const q = data.get(msg.channel) ?? new Queue<Msg>();
      data.set(msg.channel, q);
      q.push(msg);
    } else {
      control.push(msg);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const welcome = await control.next(3000, 'welcome');
  if (welcome.M !== 'established') throw new Error(`unexpected welcome ${JSON.stringify(welcome)}`);
  return { ws, control, data, closed };
}

/** Sends a command, returns its resp (after the echo). */
async function command(ws: WebSocket, control: Queue<Msg>, cmd: unknown): Promise<Msg> {
  ws.send(JSON.stringify(cmd));
  const echo = await control.next(3000, 'echo');
  if (echo.T !== 'echo') throw new Error(`expected an echo, got ${JSON.stringify(echo)}`);
  return control.next(3000, 'resp');
}

let nextId = 1;

runConformance({
  exchange: 'coinstore',
  endpoint: 'ws',
  channels: ['btcusdt@trade', '4@depth@5', 'btcusdt@kline@min_1', '4@ticker', '!@ticker'],
  badRequestCloses: false,
  idle: { timing: { heartbeatMs: 60_000, idleTimeoutMs: 300, maxLifeMs: 0 }, waitMs: 5000 },
  async connect(url): Promise<ConformanceClient> {
    const { ws, control, data, closed } = await open(url);
    const queue = (ch: string) => {
      const q = data.get(ch) ?? new Queue<Msg>();
      data.set(ch, q);
      return q;
    };
    return {
      async subscribe(channel) {
        const resp = await command(ws, control, { op: 'SUB', channel: [channel], id: nextId++ });
        if (resp.C !== 200) throw new Error(`SUB ${channel} refused: ${JSON.stringify(resp)}`);
      },
      nextData: (channel, timeoutMs) => queue(channel).next(timeoutMs, `${channel} data`),
      async unsubscribe(channel) {
        const resp = await command(ws, control, { op: 'UNSUB', channel: [channel], id: nextId++ });
        if (resp.C !== 200) throw new Error(`UNSUB ${channel} refused: ${JSON.stringify(resp)}`);
        queue(channel).clear();
      },
      async heartbeat() {
        // The documented pong message; the server swallows it (no reply is documented).
        ws.send(JSON.stringify({ op: 'pong', epochMillis: Date.now() }));
        return null;
      },
      async badRequest() {
        ws.send('this is not JSON');
        const resp = await control.next(3000, 'error resp');
        if (resp.C !== 400) throw new Error(`expected C:400, got ${JSON.stringify(resp)}`);
        return resp;
      },
      closed: () => closed,
      close: () => ws.close(),
    };
  },
  async refusedWithBadAuth(hostUrl) {
    const { ws, control } = await open(hostUrl('ws'));
    try {
      const resp = await command(ws, control, { op: 'LOGIN', channel: ['!@account'], auth: { 'user-id': 4930, token: 'wrong-key', type: 'api' }, id: nextId++ });
      if (resp.C === 200) throw new Error('a wrong API key was accepted');
      return resp;
    } finally {
      ws.close();
    }
  },
});
