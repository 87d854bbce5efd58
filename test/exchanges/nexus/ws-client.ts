/**
 * A plain `ws` client for the Nexus server tests: queues every text message, lets a test wait for
 * the next one matching a predicate, and reports the close code or an HTTP refusal.
 */
import WebSocket from 'ws';

export interface Received {
  text: string;
  json: unknown;
}

export interface TestClient {
  ws: WebSocket;
  /** Every message received so far, in order. */
  all: Received[];
  send(obj: unknown): void;
  sendText(text: string): void;
  /** Next message (from now on, or already queued and not yet taken) matching `pred`. */
  next(pred: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function connect(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const all: Received[] = [];
    let cursor = 0;
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      all.push({ text, json });
      for (const w of [...waiters]) w();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once('error', (err) => reject(err));
    ws.once('open', () => {
      const client: TestClient = {
        ws,
        all,
        send: (obj) => ws.send(JSON.stringify(obj)),
        sendText: (text) => ws.send(text),
        next(pred, timeoutMs = 3000) {
          return new Promise((res, rej) => {
            const check = () => {
              while (cursor < all.length) {
                const m = all[cursor++];
                if (pred(m)) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  res(m);
                  return;
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`no matching message within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        closed,
        close: () => ws.close(),
      };
      resolve(client);
    });
  });
}

export const isEvent = (event: string) => (m: Received) => (m.json as { event?: string } | null)?.event === event;
export const isError = (m: Received) => typeof (m.json as { result?: unknown } | null)?.result === 'string';
